"""What ``tools/train.py --time-limit`` delivers: the time used against the limit, and the top-1 reached.

Each run is the adaptive recipe as the recipe benchmark runs it (``benchmarks/recipe_benchmark.py``: EfficientNet-Lite0,
64 px, max_epochs 50, 1 data-loader worker, seed 0, the LR estimate included) with ``--time-limit`` on the command
line; the whole command is timed from outside (process start to exit). Figures per run: the limit, the seconds used
(outside and as summary.json records them), the overshoot, the epochs trained and cut, and the best val top-1 next to
the unlimited run's (the recipe benchmark's ``adaptive`` row of the same data set and seed, read from ``--reference``).

Each run writes ``WORK_DIR/<data set>_<limit>/`` and is reused when its summary.json exists (resumable).
JSON: ``benchmarks/results/time_limit.json``.

Usage:
    python benchmarks/time_limit.py --datasets digits cifar10 --limits 5m 10m 20m
    python benchmarks/time_limit.py --quick     # digits, 30 s
"""
import argparse
import json
import os
import sys
import time
from types import SimpleNamespace

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.config.option_values import parse_duration
from adaptcls.utils import atomic_write_json
from benchmarks.common import bench_datasets
from benchmarks.common.logged_run import run_logged
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, today
from benchmarks.recipe_benchmark import RECIPES, benchmark_config

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'time_limit.json')
REFERENCE = os.path.join(REPO, 'benchmarks', 'results', 'recipe_benchmark.json')
QUICK = dict(datasets=['digits'], limits=['30s'])
"""--quick data sets and time limits."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--datasets', nargs='+', choices=('digits', 'fashion_mnist', 'cifar10'),
                        default=['digits', 'cifar10'], help='default: %(default)s')
    parser.add_argument('--limits', nargs='+', default=['5m', '10m', '20m'], help='default: %(default)s')
    parser.add_argument('--seed', type=int, default=0, help='default: 0')
    parser.add_argument('--threads', type=int, default=1, help='torch threads per run (default: 1)')
    parser.add_argument('--work-dir', default='work_dirs/time_limit', help='default: %(default)s')
    parser.add_argument('--data-dir', default='data', help='where built-in data sets are written (default: data)')
    parser.add_argument('--reference', default=REFERENCE, help='recipe benchmark JSON of the unlimited runs')
    add_quick_option(parser, QUICK)
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    return apply_quick(parser.parse_args(argv), QUICK)


def timed_run(dataset: str, data_root: str, limit: str, args: argparse.Namespace) -> dict:
    """Runs (or reuses) one time-limited training; returns its figures."""
    work_dir = os.path.join(args.work_dir, f'{dataset}_{limit}')
    record_file = os.path.join(work_dir, 'outside_timing.json')
    if not os.path.isfile(record_file):
        os.makedirs(work_dir, exist_ok=True)
        settings = SimpleNamespace(size=64, workers=1, max_epochs=50)
        cfg = benchmark_config(RECIPES['adaptive'], settings, args.seed, flip=dataset != 'digits')
        config_file = os.path.join(work_dir, 'adaptive_time_limit_config.py')
        cfg.dump(config_file)
        command = [sys.executable, os.path.join(REPO, 'tools', 'train.py'), config_file, '--data-root', data_root,
                   '--work-dir', work_dir, '--time-limit', limit, '--overwrite']
        print(f'[{time.strftime("%H:%M:%S")}] {dataset} --time-limit {limit}: training', flush=True)
        started = time.time()
        run_logged(command, REPO, os.path.join(work_dir, 'train_stdout.log'), args.threads, f'{dataset} {limit}',
                   append=False)
        atomic_write_json(record_file, dict(outside_s=round(time.time() - started, 1)))
    with open(record_file) as stream:
        outside_s = json.load(stream)['outside_s']
    with open(os.path.join(work_dir, 'summary.json')) as stream:
        summary = json.load(stream)
    limit_s = parse_duration(limit)
    budget = summary['time_budget']
    row = dict(dataset=dataset, limit=limit, limit_s=limit_s, outside_s=outside_s, used_s=budget['used_s'],
               overshoot=round(outside_s / limit_s - 1, 4), before_training_s=budget['before_training_s'],
               epochs_run=summary['epochs_run'], epochs_cut=budget['epochs_cut'],
               stopped_by=('time' if budget['stopped_by_time'] else summary['stop_reason']),
               top1=summary['best_metrics']['top1'], mAP=summary['best_metrics']['mAP'])
    print(f'[{time.strftime("%H:%M:%S")}] {dataset} {limit}: {outside_s:.0f} s of {limit_s:.0f} s '
          f'({row["overshoot"]:+.1%}), {row["epochs_run"]} epochs, top-1 {row["top1"]:.4f}', flush=True)
    return row


def reference_top1(path: str, dataset: str, seed: int):
    """Best top-1 and epochs of the unlimited adaptive run of ``dataset`` and ``seed`` in the recipe benchmark JSON."""
    if not os.path.isfile(path):
        return None
    with open(path) as stream:
        runs = json.load(stream).get('runs', [])
    run = next((run for run in runs if (run['dataset'], run['recipe'], run['seed']) == (dataset, 'adaptive', seed)),
               None)
    return None if run is None else dict(top1=run['top1'], epochs_run=run['epochs_run'],
                                         search_epochs=run['search_epochs'])


def main(argv=None) -> None:
    args = parse_args(argv)
    data_roots = bench_datasets.prepare(args.datasets, args.data_dir, 100, 100)
    results = dict(command=command_line(), date=today(), machine=machine(), rows=[])
    for dataset, root in data_roots.items():
        for limit in args.limits:
            try:
                row = timed_run(dataset, root, limit, args)
            except RuntimeError as error:
                print(f'error: {error}', flush=True)
                continue
            row['unlimited'] = reference_top1(args.reference, dataset, args.seed)
            results['rows'].append(row)
            atomic_write_json(args.results, results)
    print('\n| data set | limit | used s (outside) | overshoot | epochs run (cut) | top-1 | unlimited top-1 (epochs) |')
    print('|---|---|---|---|---|---|---|')
    for row in results['rows']:
        unlimited = row['unlimited']
        reference = f'{unlimited["top1"]:.4f} ({unlimited["epochs_run"]})' if unlimited else 'n/a'
        print(f'| {row["dataset"]} | {row["limit"]} | {row["outside_s"]:.0f} | {row["overshoot"]:+.1%} | '
              f'{row["epochs_run"]} ({row["epochs_cut"]}) | {row["top1"]:.4f} | {reference} |')
    print(f'\nwrote {args.results}')


if __name__ == '__main__':
    main()
