"""Markdown tables of each benchmark's JSON (benchmarks/results/*.json) for REPORT.md.

Each ``*_table(data)`` takes the parsed JSON and returns markdown lines; a missing key raises
``KeyError`` (make_report.py reports it, naming the file).
"""
from typing import Dict, Iterable, List, Optional, Sequence

from benchmarks.common.recipe_table import difference_lines, markdown_rows

MISSING = '-'
"""Shown for a value the JSON holds as null."""


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> List[str]:
    """A GitHub-flavoured markdown table: header, separator, one line per row (cells as given)."""
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '|'.join('---' for _ in headers) + '|']
    return lines + ['| ' + ' | '.join(row) + ' |' for row in rows]


def number(value: Optional[float], digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, or ``MISSING`` for None."""
    return MISSING if value is None else f'{value:.{digits}f}'


def percent(value: Optional[float], digits: int = 2) -> str:
    """A fraction in [0, 1] as a percentage with ``digits`` decimals, or ``MISSING`` for None."""
    return MISSING if value is None else f'{100 * value:.{digits}f}'


def settings_line(settings: Dict) -> str:
    """``key=value`` pairs of a settings dict, one line."""
    return 'Settings: ' + ', '.join(f'{key}={value}' for key, value in settings.items() if not key.endswith('_note'))


def train_throughput_table(data: Dict) -> List[str]:
    """benchmarks/train_throughput.py: plain vs adaptcls images per second per optimizer."""
    settings = data['settings']
    rows = []
    for name, result in data['results'].items():
        plain, ours, ratio = result['plain_images_per_s'], result['adaptcls_images_per_s'], result['ratio']
        rows.append([name, number(plain['median']), number(ours['median']), number(result['ratio_of_medians'], 3),
                     f'{ratio["min"]:.3f}-{ratio["max"]:.3f}', number(result['cpu_ratio_of_medians'], 3),
                     f'{plain["relative_spread"]:.0%} / {ours["relative_spread"]:.0%}'])
    return [f'{settings["model"]} (random weights), {settings["input_size"]} px, batch {settings["batch"]}, '
            f'{settings["torch_threads"]} torch thread(s); {settings["rounds"]} alternating rounds of '
            f'{settings["timed_iters_per_round"]} timed iterations (after {settings["warmup_iters_per_round"]} '
            f'warmup) per side; medians over the rounds. Goal: adaptcls / plain >= {data["goal_ratio"]}.', '',
            *markdown_table(['optimizer', 'plain img/s', 'adaptcls img/s', 'adaptcls / plain', 'per-round ratio',
                             'ratio per CPU second', 'spread plain / adaptcls'], rows),
            '', 'Spread = (max - min) / median over the rounds; ratio per CPU second compares images per CPU '
            'second of the process, which other jobs on the machine disturb less than wall time.',
            *_profile_lines(data['results'])]


PROFILE_FUNCTIONS_SHOWN = 3
"""Framework functions named per optimizer in the profile lines of the training-throughput section."""


def _profile_lines(results: Dict) -> List[str]:
    """One line per optimizer with a ``profile`` (train_throughput.py --profile); none without."""
    lines = []
    for name, result in results.items():
        profile = result.get('profile')
        if profile:
            top = ', '.join(f'`{entry["function"]}` {entry["ms_per_iter"]:.2f} ms'
                            for entry in profile['top'][:PROFILE_FUNCTIONS_SHOWN])
            lines.append(f'- {name}: framework code\'s own time {profile["framework_ms_per_iter"]:.1f} ms of a '
                         f'{profile["profiled_ms_per_iter"]:.0f} ms profiled iteration; most: {top}.')
    if lines:
        lines = ['', 'Profile (cProfile over the timed iterations of one extra adaptcls run; adaptcls, mmengine and '
                 'DataLoader code\'s own time, which the plain loop does not run; cProfile slows Python code, so '
                 'this overstates it):', ''] + lines
    return lines


def data_pipeline_table(data: Dict) -> List[str]:
    """benchmarks/data_pipeline.py: pipeline per worker, timm AugMix alone, model step, workers needed."""
    rows, breakdown = [], []
    for row in data['rows']:
        rows.append([f'{row["size"]} px', number(row['pipeline_images_per_s']['median']),
                     number(row['timm_augmix_images_per_s']['median']),
                     f'{row["augmix_share_of_pipeline_time"]:.0%}', number(row['model_step_images_per_s']),
                     str(row['workers_to_keep_up'])])
        slowest = sorted(row['transform_ms'].items(), key=lambda item: -item[1])
        breakdown.append(f'- {row["size"]} px, ms per image: ' + ', '.join(
            f'{name.split(":", 1)[-1]} {ms:.2f}' for name, ms in slowest))
    sources = sorted({row['source_images'] for row in data['rows'] if row.get('source_images')})
    return [settings_line(data['settings']), '', *([f'Source images: {"; ".join(sources)}.', ''] if sources else []),
            *markdown_table(['size', 'pipeline img/s (1 worker)', 'timm AugMix alone img/s', 'AugMix share',
                             'model step img/s', 'workers to keep up'], rows),
            '', 'AugMix share = timm AugMix time / pipeline time per image; workers to keep up = '
            'ceil(model step img/s / pipeline img/s per worker).', '', *breakdown]


def recipe_benchmark_table(data: Dict) -> List[str]:
    """benchmarks/recipe_benchmark.py: every recipe per data set (mean over seeds) and the averages."""
    lines = [settings_line(data['settings']), ''] if data.get('settings') else []
    lines += markdown_rows(data)
    lines += ['', 'top-1 and mAP: best val value of each run, mean over seeds (min-max of top-1); epochs: training '
              'epochs run + LR-search epochs; search s / wall s: seconds of the LR search / of training.']
    lines += [f'- {name}: {description}' for name, description in data.get('recipes', {}).items()]
    for reference, table in data.get('differences', {}).items():
        lines += [''] + [f'- {line}' for line in difference_lines(table, reference)]
    return lines


def lr_search_table(data: Dict) -> List[str]:
    """benchmarks/lr_search.py: each search mode's chosen lr, its cost and the final training's top-1."""
    rows = [[row['mode'], f'{row["chosen_lr"]:.4g}', number(row['search_trained_epochs'], 2),
             number(row['search_wall_time_s']), percent(row['final_top1']), str(row['final_epochs']),
             number(row['final_wall_time_s'])] for row in data['rows']]
    settings = dict(config=data['config'], data_root=data['data_root'], quick=data['quick'],
                    search=data['search_settings'], final_train_epochs=data['final_train_epochs'],
                    grid_optimum_lr=data['grid_optimum_lr'])
    return [settings_line(settings), '',
            *markdown_table(['mode', 'chosen lr', 'search epochs', 'search s', 'final top-1 %', 'final epochs',
                             'final train s'], rows)]


def deploy_table(data: Dict) -> List[str]:
    """benchmarks/deploy.py: our latency loop vs benchmark_app on the exported IR and on a large model."""
    large = data['large_model']
    lines = [settings_line(data['settings']), '', f'Exported IR ({data["exported_ir"]["export_dir"]}):', '',
             *markdown_table(_DEPLOY_HEADERS, _deploy_rows(data['exported_ir']['rows'])), '',
             f'{large["model"]} at {large["input_size"]} px, {large["weights"]}; INT8 calibration: '
             f'{large["int8_calibration"]}:', '', *markdown_table(_DEPLOY_HEADERS, _deploy_rows(large['rows'])), '',
             f'FP32 / INT8 median latency: {large["fp32_over_int8_median_ours"]:.2f} (ours), '
             f'{large["fp32_over_int8_median_benchmark_app"]:.2f} (benchmark_app).']
    if large.get('paper_table5_ms') is not None:
        lines.append(f'The paper (Table 5, OpenVINO 2021.3, another CPU) reports {large["paper_table5_ms"]} ms.')
    return lines


_DEPLOY_HEADERS = ['IR', 'ours median ms', 'benchmark_app median ms', 'ours / app', 'ours img/s', 'app img/s']


def _deploy_rows(rows: List[Dict]) -> List[List[str]]:
    return [[row['name'], number(row['ours']['median_ms'], 3), number(row['benchmark_app']['median_ms'], 3),
             number(row['median_ratio_ours_over_app'], 2), number(row['ours']['throughput_ips']),
             number(row['benchmark_app']['throughput_ips'])] for row in rows]
