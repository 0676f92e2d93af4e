"""WORK_DIR/report.html: every section from the run's files, plots embedded, checked in a real browser."""
import json
import os
import re

import numpy as np
import pytest
from PIL import Image

from adaptcls.cli.html_report import RUN_FILES, SECTIONS, write_html_report
from adaptcls.cli.main import main as adaptcls_main
from tests.browser.headless_chromium import render_page

TOP1 = 0.8125


def _png(path, size=(40, 30)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), 120, np.uint8)).save(path)


def _json(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as stream:
        json.dump(content, stream)


@pytest.fixture
def full_run(tmp_path):
    """A work dir with every file a `train --export` run (with analysis and calibration) writes."""
    work = tmp_path / 'run'
    path = lambda key: str(work / RUN_FILES[key])  # noqa: E731
    _json(path('summary'), dict(config='configs/tiny.py', num_classes=2, classes=['cat', 'dog'], seed=0,
                                best_metrics=dict(top1=TOP1, mAP=0.9), best_epoch=3, epochs_run=5, max_epochs=10,
                                stopped_early=True, stop_reason='early stopping', wall_time_s=12.0,
                                lr_search=dict(mode='range_test', chosen_lr=0.01, suggested_lr=0.02, clipped='above',
                                               total_trained_epochs=1.5, wall_time_s=3.0),
                                lr_drops=[dict(epoch=3, reason='top1 did not improve for 2 epochs')]))
    _json(path('lr_search'), dict(train_images=40, lr_range=[0.001, 0.01]))
    _json(path('evaluation'), dict(num_images=16, metrics=dict(top1=TOP1, mAP=0.9)))
    _json(path('analysis'), dict(
        per_class=[dict(**{'class': 'cat'}, precision=0.8, recall=0.9, f1=0.85, support=8),
                   dict(**{'class': 'dog'}, precision=0.85, recall=0.75, f1=0.8, support=8)],
        confused_pairs=[dict(true='dog', predicted='cat', count=2, share=0.25)],
        confidently_wrong=[dict(path='/data/val/dog/d1.png', true='dog', predicted='cat', probability=0.97,
                                saliency_png='gallery/d1_saliency.png')],
        label_issues=dict(method='cleanlab find_label_issues', counts=dict(train=1, val=0), suspects=[
            dict(split='train', path='/data/train/cat/c9.png', given='cat', suggested='dog', score=0.03)])))
    _png(str(work / 'analysis' / 'gallery' / 'd1_saliency.png'))
    _json(path('calibration'), dict(temperature=1.7, ece_before=0.12, ece_after=0.03, images=16, bins=15,
                                    reliability_png='reliability.png'))
    _png(str(work / 'calibration' / 'reliability.png'))
    _json(path('export'), dict(input=dict(size=[48, 48]), files=['model.xml'], complexity=dict(params=1000, gmacs=0.01),
                               int8=dict(val_images=16, fp32_top1=TOP1, int8_top1=0.75)))
    _json(path('benchmark'), dict(settings=dict(threads=1, batch=1), host=dict(processor='x86_64'), backends=[
        dict(name='OpenVINO FP32', precision='FP32', median_ms=1.5, p90_ms=1.7, throughput_ips=600.0)]))
    for key in ('lr_search_png', 'training_curves_png', 'confusion_matrix_png', 'benchmark_png'):
        _png(path(key))
    return work


def test_every_section_is_filled_from_the_runs_files_with_every_plot_embedded(full_run):
    page = open(write_html_report(str(full_run))).read()
    for anchor, heading in SECTIONS:
        assert f'<section id="{anchor}"><h2>{heading}</h2>' in page
    assert 'class="missing"' not in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 6  # 5 plots + 1 gallery overlay
    assert not re.search(r'src="(?!data:)', page) and 'http' not in page  # nothing fetched
    # one accuracy for one model: the header's is the evaluation's, equal to training's best
    assert set(re.findall(r'top-1 (0\.\d{4})', page)) == {f'{TOP1:.4f}'}
    for text in ('Temperature <b>1.700</b>', '<b>0.0300</b> after', 'lay above the configured range',
                 'c9.png', 'Input <b>48 x 48 px</b>', '<td class="text">dog</td><td class="text">cat</td>'):
        assert text in page


def test_a_run_without_export_or_analysis_names_the_command_of_each_missing_section(full_run):
    for key in ('analysis', 'calibration', 'export', 'evaluation'):
        os.remove(full_run / RUN_FILES[key])
    os.remove(full_run / RUN_FILES['confusion_matrix_png'])
    page = open(write_html_report(str(full_run))).read()
    assert page.count('class="missing"') == 6
    for command in ('--analyze', 'adaptcls calibrate', 'adaptcls export', '--confusion-matrix'):
        assert command in page


def test_a_folder_that_is_not_a_run_is_refused_with_the_file_it_lacks(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        adaptcls_main(['report', str(tmp_path)])
    assert exit_info.value.code == 2
    assert 'has no summary.json' in capsys.readouterr().err


def test_the_page_renders_in_a_real_browser_every_image_loaded_and_no_console_error(full_run):
    adaptcls_main(['report', str(full_run)])
    rendered = render_page(str(full_run / 'report.html'), 'report_synthetic.png')
    assert rendered.headings[1:] == [heading for _, heading in SECTIONS]
    assert len(rendered.images) == 6 and all(width > 0 for _, width in rendered.images), rendered.images
    assert rendered.console_errors == []
    assert os.path.getsize(rendered.screenshot) > 10_000
