"""tools/train.py --export: training, evaluation, FP32 + INT8 export, benchmark and WORK_DIR/report.md in one run."""
import json
import os.path as osp
import re

import pytest

from adaptcls.cli import delivery
from adaptcls.cli.html_report import SECTIONS
from tests.browser.headless_chromium import render_page
from tests.tools.conftest import tiny_config, tiny_data  # noqa: F401
from tests.tools.test_train_and_test import TEST, TRAIN, run_tool


@pytest.fixture(scope='module')
def exported_run(tiny_data, tmp_path_factory):  # noqa: F811
    tmp = tmp_path_factory.mktemp('train_export')
    config = tmp / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    work_dir = tmp / 'work'
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delivery, 'BENCHMARK_SECONDS', 0.2)  # the loop's length is not under test
        patch.setattr(delivery, 'BENCHMARK_WARMUP_RUNS', 1)
        # 48 px, not the config's 32: the evaluation, the export and the IR must all run at the trained size
        run_tool(TRAIN, str(config), '--data-root', tiny_data, '--work-dir', str(work_dir), '--export',
                 '--img-size', '48')
    return work_dir


def test_the_report_has_every_section_and_its_plots_exist(exported_run):
    report = (exported_run / 'report.md').read_text()
    for heading in ('## Data', '## Training', '## Evaluation of the best checkpoint', '## Deployment'):
        assert heading in report
    images = re.findall(r'!\[[^\]]*\]\(([^)]+)\)', report)
    assert set(images) == {'training_curves.png', 'confusion_matrix.png', 'export/benchmark.png'}
    assert all(osp.getsize(exported_run / image) > 1000 for image in images)
    assert '| OpenVINO INT8 | INT8 |' in report and 'Val top-1 on 12 images: FP32 IR' in report


def test_the_figures_in_the_report_are_the_runs_own(exported_run):
    report = (exported_run / 'report.md').read_text()
    summary = json.loads((exported_run / 'summary.json').read_text())
    export = json.loads((exported_run / 'export' / 'export.json').read_text())
    assert f'| {summary["best_metrics"]["top1"]:.4f} |' in report
    assert f'INT8 IR {export["int8"]["int8_top1"]:.4f}' in report
    assert {'model.xml', 'model_int8.xml', 'model.onnx'} <= set(export['files'])
    backends = json.loads((exported_run / 'export' / 'benchmark.json').read_text())['backends']
    assert {row['name'] for row in backends} == {'PyTorch eager', 'ONNX Runtime', 'OpenVINO FP32', 'OpenVINO INT8'}


def test_calibration_is_fitted_stored_and_applied_by_the_ir(exported_run):
    summary = json.loads((exported_run / 'summary.json').read_text())
    export = json.loads((exported_run / 'export' / 'export.json').read_text())
    calibration = summary['calibration']
    assert calibration['images'] == export['int8']['val_images'] and calibration['temperature'] > 0
    assert export['calibration']['temperature'] == pytest.approx(calibration['temperature'])
    assert {'ece_before', 'ece_after', 'nll_before', 'nll_after'} <= set(calibration)
    assert f'{calibration["ece_after"]:.4f} after' in (exported_run / 'report.md').read_text()


def test_report_html_renders_in_a_real_browser_with_the_runs_figures(exported_run):
    summary = json.loads((exported_run / 'summary.json').read_text())
    page = (exported_run / 'report.html').read_text()
    assert f'val top-1 {summary["best_metrics"]["top1"]:.4f}' in page
    assert 'class="missing"' not in page  # --export writes every section's files: analysis, calibration, export
    analysis = json.loads((exported_run / 'analysis' / 'analysis.json').read_text())
    assert analysis['val']['images'] == summary['calibration']['images']
    rendered = render_page(str(exported_run / 'report.html'), 'report_train_export.png')
    assert rendered.headings[1:] == [heading for _, heading in SECTIONS]
    assert rendered.images and all(width > 0 for _, width in rendered.images), rendered.images
    assert rendered.console_errors == []


def test_the_deployed_model_is_the_trained_one(exported_run):
    summary = json.loads((exported_run / 'summary.json').read_text())
    export = json.loads((exported_run / 'export' / 'export.json').read_text())
    assert export['input']['size'] == [48, 48]
    assert 'Input 48 x 48 px' in (exported_run / 'report.md').read_text()
    val_images = export['int8']['val_images']
    assert abs(export['int8']['fp32_top1'] - summary['best_metrics']['top1']) <= 1 / val_images + 1e-6


def test_a_checkpoint_is_refused_at_another_input_size(exported_run, tiny_data):  # noqa: F811
    from adaptcls.models.config_nodes import CheckpointMismatchError
    config = str(exported_run.parent / 'tiny.py')  # the recipe file: 32 px
    with pytest.raises(CheckpointMismatchError, match='trained and validated at 48 px.*--img-size 48'):
        run_tool(TEST, config, str(exported_run / 'best.pth'), '--data-root', tiny_data,
                 '--work-dir', str(exported_run / 'test_32px'))
    run_tool(TEST, config, str(exported_run / 'best.pth'), '--data-root', tiny_data, '--img-size', '48',
             '--work-dir', str(exported_run / 'test_48px'))


def test_a_reevaluation_that_differs_from_training_fails_loudly():
    fake = delivery.Delivery(checkpoint='w/best.pth', config='w/tiny.py', evaluation=dict(
        metrics=dict(top1=0.5), num_images=12), export={}, export_dir='w/export', benchmark={})
    delivery.check_reevaluation(dict(best_metrics=dict(top1=0.5 + 1 / 12)), fake)  # one image apart: fine
    with pytest.raises(delivery.ReevaluationMismatchError, match='0.7500 in training but 0.5000'):
        delivery.check_reevaluation(dict(best_metrics=dict(top1=0.75)), fake)


def test_console_lines_name_the_ir_and_the_fastest_backend():
    fake = delivery.Delivery(checkpoint='w/best.pth', config='w/tiny.py', evaluation={}, export_dir='w/export',
                             export=dict(files=['model.xml'], int8=dict(fp32_top1=0.9, int8_top1=0.89, val_images=10)),
                             benchmark=dict(backends=[dict(name='A', precision='FP32', median_ms=2.0),
                                                      dict(name='B', precision='INT8', median_ms=1.0)]))
    lines = delivery.delivery_lines(fake)
    assert 'FP32 0.9000, INT8 0.8900 (10 images)' in lines[1] and lines[2].startswith('Fastest: B (INT8), 1.00 ms')
    assert lines[3] == 'Predict: adaptcls predict w/export/model_int8.xml IMAGES_OR_FOLDERS'
