"""benchmarks/make_report.py: tables from fake benchmark JSON, missing and broken files, charts."""
import json
import os

import pytest

from benchmarks.make_report import NOT_RECORDED, SECTIONS, build_report, run_info
from benchmarks.report.charts import RECIPES_CHART, THROUGHPUT_CHART, write_charts
from benchmarks.report.tables import (adaptive_vs_baseline_table, data_pipeline_table, markdown_table,
                                      train_throughput_table)


def _spread(median, low, high):
    return dict(median=median, min=low, max=high, relative_spread=(high - low) / median, values=[low, median, high])


def _recipe(top1, mAP, epochs_run, wall_time_s, stopped_early):
    return dict(top1=top1, mAP=mAP, epochs_run=epochs_run, max_epochs=30, wall_time_s=wall_time_s,
                stopped_early=stopped_early)


ADAPTIVE_VS_BASELINE = dict(
    command='python benchmarks/adaptive_vs_baseline.py', date='2026-11-30 10:00', machine='host: 2 CPU cores',
    datasets=dict(digits=dict(baseline=_recipe(0.95, 0.97, 30, 600.4, False),
                              adaptive=_recipe(0.9625, 0.98, 21, 800.0, True)),
                  fashion_mnist=dict(baseline=_recipe(None, 0.8, 30, 100.0, False))))

TRAIN_THROUGHPUT = dict(
    command='python benchmarks/train_throughput.py', date='2026-11-30T09:00:00+00:00', machine='cpu', goal_ratio=0.95,
    settings=dict(model='mobilenetv3_large_100', input_size=96, batch=32, torch_threads=1, rounds=7,
                  timed_iters_per_round=12, warmup_iters_per_round=3),
    results=dict(sgd=dict(plain_images_per_s=_spread(40.0, 30.0, 50.0), adaptcls_images_per_s=_spread(39.0, 35.0, 43.0),
                          ratio=_spread(0.97, 0.9, 1.1), ratio_of_medians=0.975, cpu_ratio_of_medians=0.9912)))

DATA_PIPELINE = dict(
    command='python benchmarks/data_pipeline.py', date='d', machine='m', settings=dict(images_per_pass=256),
    rows=[dict(size=64, source_images='32x32 L PNG', pipeline_images_per_s=_spread(200.0, 190.0, 210.0),
               timm_augmix_images_per_s=_spread(400.0, 390.0, 410.0), augmix_share_of_pipeline_time=0.5,
               transform_ms={'0:LoadImage': 1.0, '1:AugMix': 2.5}, model_step_images_per_s=450.0,
               workers_to_keep_up=3)])


def test_markdown_table_has_header_separator_and_rows():
    assert markdown_table(['a', 'b'], [['1', '2'], ['3', '4']]) == [
        '| a | b |', '|---|---|', '| 1 | 2 |', '| 3 | 4 |']


def test_adaptive_vs_baseline_rows_difference_and_missing_values():
    lines = adaptive_vs_baseline_table(ADAPTIVE_VS_BASELINE)
    assert lines[:2] == ['| dataset | recipe | top-1 % | mAP % | epochs run / max | stopped early | wall time s |',
                         '|---|---|---|---|---|---|---|']
    assert lines[2:] == [
        '| digits | baseline | 95.00 | 97.00 | 30 / 30 | no | 600 |',
        '| digits | adaptive | 96.25 | 98.00 | 21 / 30 | yes | 800 |',
        '| digits | **adaptive - baseline** | +1.25 | +1.00 | -9 |  | +200 |',
        '| fashion_mnist | baseline | - | 80.00 | 30 / 30 | no | 100 |',  # one recipe only: no difference row
    ]


def test_adaptive_vs_baseline_quotes_settings_and_paper_when_present():
    data = dict(ADAPTIVE_VS_BASELINE, settings=dict(size=64, max_epochs=30), paper='paper, Table 2: 88.26')
    lines = adaptive_vs_baseline_table(data)
    assert lines[0] == 'Settings: size=64, max_epochs=30'
    assert lines[-1] == 'For reference, paper, Table 2: 88.26.'


def test_train_throughput_row():
    lines = train_throughput_table(TRAIN_THROUGHPUT)
    assert '| sgd | 40.0 | 39.0 | 0.975 | 0.900-1.100 | 0.991 | 50% / 21% |' in lines
    assert lines[0].startswith('mobilenetv3_large_100 (random weights), 96 px, batch 32, 1 torch thread(s); '
                               '7 alternating rounds of 12 timed iterations (after 3 warmup)')


def test_train_throughput_profile_lines_only_when_profiled():
    assert not any(line.startswith('Profile') for line in train_throughput_table(TRAIN_THROUGHPUT))
    profile = dict(profiled_ms_per_iter=700.0, framework_ms_per_iter=22.84, top=[
        dict(function=f'f{index}', ms_per_iter=float(index), calls_per_iter=1.0) for index in (5, 4, 3, 2)])
    results = dict(sgd=dict(TRAIN_THROUGHPUT['results']['sgd'], profile=profile))
    lines = train_throughput_table(dict(TRAIN_THROUGHPUT, results=results))
    assert lines[-1] == ("- sgd: framework code's own time 22.8 ms of a 700 ms profiled iteration; most: "
                         '`f5` 5.00 ms, `f4` 4.00 ms, `f3` 3.00 ms.')


def test_data_pipeline_row_and_slowest_transform_first():
    lines = data_pipeline_table(DATA_PIPELINE)
    assert '| 64 px | 200.0 | 400.0 | 50% | 450.0 | 3 |' in lines
    assert lines[:4] == ['Settings: images_per_pass=256', '', 'Source images: 32x32 L PNG.', '']
    assert lines[-1] == '- 64 px, ms per image: AugMix 2.50, LoadImage 1.00'


def test_run_info_formats_dict_machine_and_says_what_is_missing():
    assert run_info(dict(host=dict(machine='x86_64', cpu_count=2))) == [
        f'- Command: {NOT_RECORDED}', f'- Date: {NOT_RECORDED}', '- Machine: machine x86_64, cpu_count 2']
    assert run_info(dict(command='python x.py', date='today', machine='box', note='busy')) == [
        '- Command: `python x.py`', '- Date: today', '- Machine: box', '- Note: busy']


def _write(folder, name, data):
    with open(os.path.join(folder, name), 'w') as stream:
        json.dump(data, stream)


def test_report_says_not_run_yet_for_each_missing_json_and_lists_unknown_files(tmp_path):
    _write(tmp_path, 'adaptive_vs_baseline.json', ADAPTIVE_VS_BASELINE)
    _write(tmp_path, 'other_benchmark.json', dict(command='python other.py'))
    report = build_report(str(tmp_path))
    assert report['errors'] == []
    text = report['markdown']
    for section in SECTIONS:
        assert f'## {section.title}' in text
        expected = f'Not run yet: `{section.command}` writes `{section.name}.json`.'
        assert (expected in text) == (section.name != 'adaptive_vs_baseline')
    assert '| digits | adaptive | 96.25 | 98.00 | 21 / 30 | yes | 800 |' in text
    assert '## other_benchmark.json' in text and '- Command: `python other.py`' in text


def test_report_names_the_file_and_the_missing_key(tmp_path):
    broken = dict(ADAPTIVE_VS_BASELINE, datasets=dict(digits=dict(baseline=dict(top1=0.9))))
    _write(tmp_path, 'adaptive_vs_baseline.json', broken)
    report = build_report(str(tmp_path))
    assert len(report['errors']) == 1
    assert str(tmp_path / 'adaptive_vs_baseline.json') in report['errors'][0]
    assert "KeyError: 'mAP'" in report['errors'][0]
    assert f'**Error**: {report["errors"][0]}' in report['markdown']


@pytest.mark.parametrize('broken', [False, True])
def test_charts_are_written_for_present_json_and_errors_named(tmp_path, broken):
    _write(tmp_path, 'train_throughput.json', TRAIN_THROUGHPUT)
    pipeline_settings = dict(model_config='configs/m.py', torch_threads=1)
    _write(tmp_path, 'data_pipeline.json', dict(DATA_PIPELINE, settings=pipeline_settings))
    _write(tmp_path, 'adaptive_vs_baseline.json', dict(datasets={'digits': []}) if broken else ADAPTIVE_VS_BASELINE)
    charts = write_charts(str(tmp_path))
    assert charts['written'] == [THROUGHPUT_CHART] + ([] if broken else [RECIPES_CHART])
    assert (tmp_path / THROUGHPUT_CHART).stat().st_size > 0
    assert (tmp_path / RECIPES_CHART).exists() != broken
    assert len(charts['errors']) == int(broken)
