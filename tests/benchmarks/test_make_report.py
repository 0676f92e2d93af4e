"""benchmarks/make_report.py: tables from fake benchmark JSON, missing and broken files, charts."""
import json
import os

import pytest

from benchmarks.make_report import NOT_RECORDED, RESULTS_DIR, SECTIONS, build_report, run_info
from benchmarks.report.charts import CURVES_CHART, RECIPES_CHART, THROUGHPUT_CHART, write_charts
from benchmarks.common.recipe_table import aggregate, differences
from benchmarks.report.tables import data_pipeline_table, markdown_table, recipe_benchmark_table, train_throughput_table


def _spread(median, low, high):
    return dict(median=median, min=low, max=high, relative_spread=(high - low) / median, values=[low, median, high])


def _run(dataset, recipe, seed, top1, epochs_run, search_epochs, stopped_early):
    return dict(dataset=dataset, recipe=recipe, seed=seed, top1=top1, mAP=top1 + 0.02, best_epoch=epochs_run - 2,
                epochs_run=epochs_run, search_epochs=search_epochs, search_wall_time_s=10 * search_epochs, lr=0.01,
                wall_time_s=20.0 * epochs_run, stopped_early=stopped_early,
                val_top1_curve=[top1 * (1 - 0.5 ** epoch) for epoch in range(1, epochs_run + 1)])


_RUNS = [_run('digits', 'baseline', 0, 0.95, 30, 0.0, False), _run('digits', 'adaptive', 0, 0.9625, 21, 5.0, True)]
RECIPE_BENCHMARK = dict(
    command='python benchmarks/recipe_benchmark.py', date='2026-11-30 10:00', machine='host: 2 CPU cores',
    settings=dict(size=64, max_epochs=30), recipes=dict(baseline='the baseline', adaptive='the adaptive recipe'),
    runs=_RUNS, **aggregate(_RUNS))

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


def test_recipe_benchmark_rows_settings_and_legend():
    lines = recipe_benchmark_table(RECIPE_BENCHMARK)
    assert lines[0] == 'Settings: size=64, max_epochs=30'
    assert '| digits | adaptive | 1 | 0.9625 (0.963-0.963) | 0.9825 | 26.0 (5.0) | 19.0 | 1/1 | 0.01 | 50 | 420 |' in lines
    assert '| **average of 1** | baseline | | 0.9500 | 0.9700 | 30.0 | 28.0 | | | | 600 |' in lines
    assert lines[-2:] == ['- baseline: the baseline', '- adaptive: the adaptive recipe']


def test_recipe_benchmark_table_ends_with_the_differences_to_the_baseline():
    results = dict(RECIPE_BENCHMARK, differences=dict(baseline=differences(RECIPE_BENCHMARK)))
    lines = recipe_benchmark_table(results)
    assert lines[-1] == ('- adaptive - baseline (average over data sets): top-1 +1.25 pt (standard error nan), '
                         'mAP +1.25 pt (standard error nan)')


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
    assert run_info(dict(commands=['python x.py --a', 'python x.py --b'], date='today', machine='box')) == [
        '- Command: `python x.py --a`', '- Command: `python x.py --b`', '- Date: today', '- Machine: box']


def _write(folder, name, data):
    with open(os.path.join(folder, name), 'w') as stream:
        json.dump(data, stream)


def test_report_says_not_run_yet_for_each_missing_json_and_lists_unknown_files(tmp_path):
    _write(tmp_path, 'recipe_benchmark.json', RECIPE_BENCHMARK)
    _write(tmp_path, 'other_benchmark.json', dict(command='python other.py'))
    report = build_report(str(tmp_path))
    assert report['errors'] == []
    text = report['markdown']
    for section in SECTIONS:
        assert f'## {section.title}' in text
        expected = f'Not run yet: `{section.command}` writes `{section.name}.json`.'
        assert (expected in text) == (section.name != 'recipe_benchmark')
    assert '| digits | adaptive | 1 | 0.9625 (0.963-0.963) |' in text
    assert '## other_benchmark.json' in text and '- Command: `python other.py`' in text


def test_report_names_its_folder_relative_to_the_repository_or_in_full(tmp_path):
    assert 'the JSON files in `benchmarks/results/`' in build_report(RESULTS_DIR, sections=())['markdown']
    assert f'the JSON files in `{tmp_path}/`' in build_report(str(tmp_path))['markdown']


def test_report_names_the_file_and_the_missing_key(tmp_path):
    broken = dict(RECIPE_BENCHMARK, per_dataset=dict(digits=dict(baseline=dict(top1=0.9))))
    _write(tmp_path, 'recipe_benchmark.json', broken)
    report = build_report(str(tmp_path))
    assert len(report['errors']) == 1
    assert str(tmp_path / 'recipe_benchmark.json') in report['errors'][0]
    assert "KeyError: 'seeds'" in report['errors'][0]
    assert f'**Error**: {report["errors"][0]}' in report['markdown']


@pytest.mark.parametrize('broken', [False, True])
def test_charts_are_written_for_present_json_and_errors_named(tmp_path, broken):
    _write(tmp_path, 'train_throughput.json', TRAIN_THROUGHPUT)
    pipeline_settings = dict(model_config='configs/m.py', torch_threads=1)
    _write(tmp_path, 'data_pipeline.json', dict(DATA_PIPELINE, settings=pipeline_settings))
    _write(tmp_path, 'recipe_benchmark.json', dict(per_dataset={'digits': {}}) if broken else RECIPE_BENCHMARK)
    charts = write_charts(str(tmp_path))
    assert charts['written'] == [THROUGHPUT_CHART] + ([] if broken else [RECIPES_CHART, CURVES_CHART])
    assert (tmp_path / THROUGHPUT_CHART).stat().st_size > 0
    assert (tmp_path / RECIPES_CHART).exists() != broken
    assert len(charts['errors']) == 2 * int(broken)  # neither recipe chart can be drawn
