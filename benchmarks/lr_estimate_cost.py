"""What the LR estimate (the adaptive recipe's range test) costs and chooses, with and without its epoch cap.

For each data set and seed, runs ``tools/lr_search.py CONFIG --mode range_test`` on the adaptive recipe's benchmark
config (the one ``benchmarks/recipe_benchmark.py`` trains: same size, seed, workers), once per value of
``lr_search.range_test_max_sweep_epochs`` in ``--caps`` (``inf``: no cap, the range test as it was before the cap: 100
sweep iterations at the training batch) and of ``lr_search.range_test_warmup_epochs`` in ``--warmups``. No training
follows: the figures are the chosen LR, the suggestion before clipping, the epochs of training the estimate cost
(warm-up + sweep) and its seconds. Whether a chosen LR trains well is what the recipe benchmark and its LR grid
(``--lr-comparison``) measure.

Each estimate writes ``WORK_DIR/<data set>_<size>px/cap_<cap>[_warmup_<w>]/seed<k>/lr_search/result.json`` and is
reused when that file exists, so the benchmark is resumable. JSON: ``benchmarks/results/lr_estimate_cost.json``.

Usage:
    python benchmarks/lr_estimate_cost.py --datasets digits fashion_mnist cifar10 --seeds 0 1 2
    python benchmarks/lr_estimate_cost.py --datasets --data-root flowers=../shared/data/flowers_1k --size 96
    python benchmarks/lr_estimate_cost.py --quick     # CIFAR-10, 10 images per class, 32 px, seed 0, cap 2
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.utils import atomic_write_json
from benchmarks.common import bench_datasets
from benchmarks.common.logged_run import run_logged
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, today
from benchmarks.recipe_benchmark import RECIPES, benchmark_config

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'lr_estimate_cost.json')
RESULT_KEYS = ('warmup_epochs', 'chosen_lr', 'suggested_lr', 'clipped', 'extra_epochs', 'sweep_batch_size',
               'train_batch_size', 'train_images', 'iterations_run', 'wall_time_s')
QUICK = dict(datasets=['cifar10'], train_per_class=10, val_per_class=10, size=32, seeds=[0], caps=[2.0],
             warmups=[1.0])
"""--quick data set, images per class, input size, seeds, caps and warm-ups (the size keeps its work dirs apart from
those of the 64 px runs)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--datasets', nargs='*', choices=('digits', 'fashion_mnist', 'cifar10'),
                        default=['digits', 'fashion_mnist', 'cifar10'], help='built-in data sets (default: all)')
    parser.add_argument('--data-root', action='append', default=[], metavar='NAME=DIR',
                        help='another class-folder data set (train/<class>/, val/<class>/); repeatable')
    parser.add_argument('--classes', nargs='+', metavar='CLASS', help='as in recipe_benchmark.py')
    parser.add_argument('--train-per-class', type=int, default=100, help='as in recipe_benchmark.py (default: 100)')
    parser.add_argument('--val-per-class', type=int, default=100, help='as in recipe_benchmark.py (default: 100)')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0], help='default: 0')
    parser.add_argument('--size', type=int, default=64, help='input size in px (default: 64)')
    parser.add_argument('--caps', nargs='+', type=float, default=[2.0, float('inf')],
                        help='values of lr_search.range_test_max_sweep_epochs (inf: no cap; default: 2 inf)')
    parser.add_argument('--warmups', nargs='+', type=float, default=[1.0],
                        help='values of lr_search.range_test_warmup_epochs (default: 1)')
    parser.add_argument('--jobs', type=int, default=1, help='estimates run at once, 1 thread each (default: 1)')
    parser.add_argument('--work-dir', default='work_dirs/lr_estimate_cost', help='default: %(default)s')
    parser.add_argument('--data-dir', default='data', help='where built-in data sets are written (default: data)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    return apply_quick(parser.parse_args(argv), QUICK)


def estimate(dataset: str, data_root: str, seed: int, cap: float, warmup: float, args: argparse.Namespace) -> dict:
    """Runs (or reuses) one range test; returns its figures from result.json."""
    variant = f'cap_{cap:g}' + ('' if warmup == 1 else f'_warmup_{warmup:g}')
    name = f'{dataset} {variant} seed {seed}'
    work_dir = os.path.join(args.work_dir, f'{dataset}_{args.size}px', variant, f'seed{seed}')
    result_file = os.path.join(work_dir, 'lr_search', 'result.json')
    if not os.path.isfile(result_file):
        os.makedirs(work_dir, exist_ok=True)
        settings = SimpleNamespace(size=args.size, workers=1, max_epochs=50)
        cfg = benchmark_config(RECIPES['adaptive'], settings, seed, flip=dataset != 'digits')
        cfg.lr_search = dict(cfg.get('lr_search') or {},
                             range_test_max_sweep_epochs=cap if cap != float('inf') else 1e9,
                             range_test_warmup_epochs=warmup)
        config_file = os.path.join(work_dir, 'adaptive_estimate_config.py')
        cfg.dump(config_file)
        command = [sys.executable, os.path.join(REPO, 'tools', 'lr_search.py'), config_file, '--mode', 'range_test',
                   '--data-root', data_root, '--work-dir', work_dir, '--seed', str(seed)]
        print(f'[{time.strftime("%H:%M:%S")}] {name}: estimating', flush=True)
        run_logged(command, REPO, os.path.join(work_dir, 'stdout.log'), 1, name)
    with open(result_file) as stream:
        result = json.load(stream)
    row = dict(dataset=dataset, cap=cap if cap != float('inf') else None, seed=seed,
               **{key: result.get(key) for key in RESULT_KEYS})
    print(f'[{time.strftime("%H:%M:%S")}] {name}: lr {row["chosen_lr"]:.4g} '
          f'(suggested {row["suggested_lr"]:.4g}) in {row["extra_epochs"]:.2f} epochs at batch '
          f'{row["sweep_batch_size"]}, {row["wall_time_s"]:.0f} s', flush=True)
    return row


def main(argv=None) -> None:
    args = parse_args(argv)
    data_roots = bench_datasets.prepare(args.datasets, args.data_dir, args.train_per_class, args.val_per_class,
                                        args.classes)
    for item in args.data_root:
        name, _, root = item.partition('=')
        data_roots[name] = os.path.abspath(os.path.expanduser(root))
    jobs = [(dataset, root, seed, cap, warmup) for seed in args.seeds for dataset, root in data_roots.items()
            for cap in args.caps for warmup in args.warmups]
    results = dict(command=command_line(), date=today(), machine=machine(),
                   size=args.size, rows=[])
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for future in [pool.submit(estimate, *job, args) for job in jobs]:
            try:
                results['rows'].append(future.result())
            except RuntimeError as error:
                print(f'error: {error}', flush=True)
                continue
            atomic_write_json(args.results, results)
    print(f'\nwrote {args.results}')


if __name__ == '__main__':
    main()
