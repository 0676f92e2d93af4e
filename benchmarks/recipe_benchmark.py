#!/usr/bin/env python
"""Recipe benchmark: what a user gets from each recipe on real data sets (tools/train.py on class folders).

Every run is ``tools/train.py CONFIG --data-root DIR`` in a subprocess, as a user runs it, with only the input size,
max_epochs, the seed and the data-loader workers changed from the recipe config (and, for digits, the horizontal
flip switched off: digits are not mirror-symmetric). Recipes (``--recipes``; ``--list`` prints them):
- baseline: the paper's fixed cosine baseline (configs/effnet_lite0_baseline.py), cosine over all max_epochs;
- timm_defaults: timm train.py's default fine-tuning recipe (configs/effnet_lite0_timm_defaults.py), the bar users
  hold us to;
- adaptive: the adaptive recipe exactly as a user gets it with no flags (configs/effnet_lite0_adaptive.py);
- adaptive_*: ablations, each the adaptive recipe with one thing changed (see RECIPES below).

Data sets (``--datasets``): digits (built in, 1437 / 360), a seeded class-balanced Fashion-MNIST subset and a seeded
class-balanced subset of shared/data/cifar10_6k (``--train-per-class`` / ``--val-per-class``; ``--classes`` keeps only
the named classes), and any class-folder data set as ``--data-root NAME=DIR``. Each (data set, recipe, seed) trains
once into ``WORK_DIR/<data set>_<size>px_<max>e/<recipe>/seed<k>``; a finished run (its summary.json) is reused and
an interrupted one resumes from its last checkpoint, so the benchmark is resumable: run the same command again.

Output: a table per data set (mean over seeds) and the average over data sets of best top-1, mAP, epochs run (training
+ LR search), the epoch of the best checkpoint, wall time, the LR used and what choosing it cost; each recipe's
average difference to the baseline and to timm's defaults in top-1 and mAP, with its standard error over seeds;
JSON in benchmarks/results/recipe_benchmark.json (every run, then the aggregates), written after each run.

Usage:
    python benchmarks/recipe_benchmark.py                                  # 3 data sets x 2 seeds, main recipes
    python benchmarks/recipe_benchmark.py --datasets cifar10 --recipes adaptive adaptive_am_paper_scale --seeds 0
    python benchmarks/recipe_benchmark.py --data-root flowers=~/data/flowers --size 96
    python benchmarks/recipe_benchmark.py --datasets cifar10 --classes airplane automobile bird cat deer --size 96 \\
        --max-epochs 40   # a small 5-class set (500 train images), like a user's
    python benchmarks/recipe_benchmark.py --seeds 0 1 2 --collect-only \\
        --runs-from benchmarks/results/recipe_benchmark.json   # a table of new runs and runs made on another machine
    python benchmarks/recipe_benchmark.py --seeds 0 1 2 --collect-only --runs-from OLD.json \
        --runs-from-recipes baseline timm_defaults   # new adaptive runs beside the file's baseline and timm runs
    python benchmarks/recipe_benchmark.py --quick   # CIFAR-10, 10 images per class, 32 px, 6 epochs, seed 0
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

from mmengine.config import Config

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.config import set_input_size, set_max_epochs
from adaptcls.utils import atomic_write_json
from benchmarks.common import bench_datasets
from benchmarks.common.ablations import ABLATIONS
from benchmarks.common.logged_run import run_logged
from benchmarks.common.recipe_rows import ADAPTIVE, Recipe
from benchmarks.common.recipe_table import (aggregate, all_differences, earlier_runs, lr_comparison,
                                           lr_comparison_rows, print_tables)
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'recipe_benchmark.json')
LR_RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'lr_search_comparison.json')


RECIPES: Dict[str, Recipe] = {
    'baseline': Recipe('configs/effnet_lite0_baseline.py', 'paper baseline: SGD, cosine over max_epochs, lr 0.003'),
    'timm_defaults': Recipe('configs/effnet_lite0_timm_defaults.py',
                            "timm train.py's defaults: SGD-Nesterov lr 0.025, 5-epoch warmup, cosine, LS 0.1, RRC"),
    'adaptive': Recipe(ADAPTIVE, 'adaptive recipe as a user gets it, no flags'),
    'adaptive_fixed_lr': Recipe(ADAPTIVE, 'adaptive at the config lr, no LR search', ('--no-auto-lr',)),
    **ABLATIONS,
}
"""recipe name -> Recipe. The first three are the benchmark's default rows; the ablations are in
benchmarks/common/ablations.py."""
LR_GRID = (0.0025, 0.005, 0.01, 0.02)
"""Learning rates of the LR-search comparison's grid of full adaptive trainings (0.02 lies above the EfficientNet
search range 0.001-0.010, to show whether that range's top caps the recipe)."""
TPE_BUDGET = dict(tpe_trials=8, tpe_epochs=3)
"""The LR-search comparison's TPE budget (the recipe's own: 15 trials x 6 epochs, about 90 epochs per data set, more
than this 2-core CPU affords per data set)."""
for _lr in LR_GRID:
    RECIPES[f'adaptive_lr_{_lr:g}'] = Recipe(
        ADAPTIVE, f'adaptive trained at lr {_lr:g} (no LR search): one point of the LR grid', ('--no-auto-lr',),
        edit=lambda cfg, lr=_lr: cfg.optim_wrapper.optimizer.update(lr=lr))
RECIPES['adaptive_tpe'] = Recipe(
    ADAPTIVE, f'adaptive with the LR chosen by a TPE search ({TPE_BUDGET["tpe_trials"]} trials x '
    f'{TPE_BUDGET["tpe_epochs"]} epochs) instead of the range test',
    edit=lambda cfg: cfg.lr_search.update(auto_lr='tpe', **TPE_BUDGET))
LR_COMPARISON_RECIPES = ('adaptive', 'adaptive_tpe', *(f'adaptive_lr_{lr:g}' for lr in LR_GRID))
"""The LR-search comparison: the range test (the default), TPE, and the grid of full trainings it is judged by."""
DEFAULT_RECIPES = ('baseline', 'timm_defaults', 'adaptive')
QUICK = dict(datasets=['cifar10'], train_per_class=10, val_per_class=10, seeds=[0], size=32, max_epochs=6)
"""--quick data set, images per class, seeds, input size and max_epochs (above timm_defaults' 5 warm-up epochs; the size
and max_epochs name the work dirs, so they stay apart from those of the 64 px, 50-epoch runs)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--recipes', nargs='+', choices=tuple(RECIPES), default=list(DEFAULT_RECIPES),
                        help='default: %(default)s')
    parser.add_argument('--datasets', nargs='*', choices=('digits', 'fashion_mnist', 'cifar10'),
                        default=['digits', 'fashion_mnist', 'cifar10'], help='built-in data sets (default: all)')
    parser.add_argument('--data-root', action='append', default=[], metavar='NAME=DIR',
                        help='another class-folder data set (train/<class>/, val/<class>/); repeatable')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1], help='training seeds (default: 0 1)')
    parser.add_argument('--size', type=int, default=64, help='input size in px (default: 64)')
    parser.add_argument('--max-epochs', type=int, default=50, help='max_epochs of every recipe (default: 50)')
    parser.add_argument('--train-per-class', type=int, default=100,
                        help='Fashion-MNIST / CIFAR-10 subsets: train images per class (default: 100)')
    parser.add_argument('--val-per-class', type=int, default=100,
                        help='Fashion-MNIST / CIFAR-10 subsets: val images per class (default: 100)')
    parser.add_argument('--classes', nargs='+', metavar='CLASS',
                        help='Fashion-MNIST / CIFAR-10 subsets: only these classes (class folder names; default: all '
                        '10), for a small set like a user\'s; the data set is then named e.g. cifar10_5classes')
    parser.add_argument('--jobs', type=int, default=2,
                        help='trainings run at once, each with cpu_count / jobs torch threads (default: 2)')
    parser.add_argument('--threads', type=int, help='torch threads per training (default: cpu_count / jobs)')
    parser.add_argument('--workers', type=int, default=1, help='data-loader workers per training (default: 1)')
    parser.add_argument('--work-dir', default='work_dirs/recipe_benchmark', help='default: %(default)s')
    parser.add_argument('--data-dir', default='data', help='where built-in data sets are written (default: data)')
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    parser.add_argument('--collect-only', action='store_true',
                        help='train nothing: tabulate the finished runs of the work dir (e.g. of an interrupted run)')
    parser.add_argument('--runs-from', nargs='+', default=[], metavar='JSON',
                        help='earlier result files whose runs of the chosen recipes, data sets and seeds join the '
                        'table instead of being trained or collected (their work dirs may be on another machine); '
                        'their settings (size, max epochs, images per class, classes) must match')
    parser.add_argument('--runs-from-recipes', nargs='+', metavar='RECIPE',
                        help='take only these recipes\' runs from the --runs-from files, e.g. baseline timm_defaults '
                        'beside new adaptive runs (default: every recipe of --recipes)')
    parser.add_argument('--list', action='store_true', help='print the recipes and exit')
    parser.add_argument('--lr-comparison', action='store_true',
                        help='the LR-search comparison instead: recipes ' + ' '.join(LR_COMPARISON_RECIPES) +
                        f' on fashion_mnist and cifar10, seed 0, into {LR_RESULTS} (other options still apply)')
    add_quick_option(parser, QUICK)
    args = parser.parse_args(argv)
    if args.lr_comparison:
        defaults = parser.parse_args([])
        for key, value in dict(recipes=list(LR_COMPARISON_RECIPES), datasets=['fashion_mnist', 'cifar10'],
                               seeds=[0], results=LR_RESULTS).items():
            if getattr(args, key) == getattr(defaults, key):
                setattr(args, key, value)
    return apply_quick(args, QUICK)


def _switch_off_flip(pipeline: List[dict]) -> None:
    for step in pipeline:
        if step['type'] == 'RandomHorizontalFlip':
            step['prob'] = 0.0


def benchmark_config(recipe: Recipe, args: argparse.Namespace, seed: int, flip: bool) -> Config:
    """The recipe config with the benchmark's size, max_epochs, seed and workers (and the recipe's ablation)."""
    cfg = Config.fromfile(os.path.join(REPO, recipe.config))
    set_input_size(cfg, args.size)  # every size of every pipeline scaled by size / 224, as --img-size does
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if not flip:
            _switch_off_flip(cfg[key].dataset.pipeline)
        cfg[key].update(num_workers=args.workers, persistent_workers=args.workers > 0)
    set_max_epochs(cfg, args.max_epochs)  # a cosine spans all epochs; warmups keep their length
    cfg.randomness = dict(seed=seed, deterministic=False)
    if recipe.edit is not None:
        recipe.edit(cfg)
    return cfg


def train(name: str, dataset: str, data_root: str, seed: int, args: argparse.Namespace) -> Dict:
    """Runs (or reuses, or resumes) one training; returns its figures from summary.json."""
    recipe = RECIPES[name]
    work_dir = os.path.join(args.work_dir, f'{dataset}_{args.size}px_{args.max_epochs}e', name, f'seed{seed}')
    summary_file = os.path.join(work_dir, 'summary.json')
    cfg = benchmark_config(recipe, args, seed, flip=dataset != 'digits')
    if not os.path.isfile(summary_file) and args.collect_only:
        raise RuntimeError(f'{dataset} {name} seed {seed}: not finished (no {summary_file}); --collect-only')
    if not os.path.isfile(summary_file):
        os.makedirs(work_dir, exist_ok=True)
        config_file = os.path.join(work_dir, f'{name}_benchmark_config.py')
        cfg.dump(config_file)
        resume = ['--resume'] if os.path.isfile(os.path.join(work_dir, 'last_checkpoint')) else []
        command = [sys.executable, os.path.join(REPO, 'tools', 'train.py'), config_file, '--data-root', data_root,
                   '--work-dir', work_dir, *recipe.train_args, *resume]
        threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
        print(f'[{time.strftime("%H:%M:%S")}] {dataset} {name} seed {seed}: training '
              f'({"resumed, " if resume else ""}log: {work_dir}/train_stdout.log)', flush=True)
        run_logged(command, REPO, os.path.join(work_dir, 'train_stdout.log'), threads, f'{dataset} {name} seed {seed}')
    with open(summary_file) as stream:
        summary = json.load(stream)
    with open(os.path.join(work_dir, 'history.json')) as stream:
        history = json.load(stream)
    search = summary.get('lr_search') or {}
    run = dict(dataset=dataset, recipe=name, seed=seed, top1=summary['best_metrics']['top1'],
               mAP=summary['best_metrics']['mAP'], best_epoch=summary.get('best_epoch'),
               epochs_run=summary['epochs_run'], max_epochs=summary['max_epochs'],
               search_epochs=search.get('total_trained_epochs', 0.0), search_wall_time_s=search.get('wall_time_s', 0.0),
               lr=search.get('chosen_lr', cfg.optim_wrapper.optimizer.lr), lr_source=search.get('mode', 'config'),
               stopped_early=summary['stopped_early'], stop_reason=summary.get('stop_reason'),
               lr_drops=[drop.get('epoch') for drop in summary.get('lr_drops') or []],
               wall_time_s=round(summary['wall_time_s'], 1), work_dir=work_dir,
               val_top1_curve=[round(entry['val']['top1'], 4) for entry in history if entry.get('val')])
    print(f'[{time.strftime("%H:%M:%S")}] {dataset} {name} seed {seed}: top1 {run["top1"]:.4f} mAP {run["mAP"]:.4f} '
          f'epochs {run["epochs_run"]}+{run["search_epochs"]:.1f} search, lr {run["lr"]}', flush=True)
    return run


def _save(results: Dict, path: str) -> None:
    """Recomputes the aggregates and differences of ``results['runs']`` and writes ``results`` to ``path``."""
    results.update(aggregate(results['runs']))
    results['differences'] = all_differences(results)
    atomic_write_json(path, results)


def _recipes_from_files(args: argparse.Namespace) -> List[str]:
    """The recipes whose runs the ``--runs-from`` files supply: ``--runs-from-recipes``, or all of ``--recipes``."""
    if args.runs_from_recipes is None:
        return args.recipes
    unknown = sorted(set(args.runs_from_recipes) - set(args.recipes))
    if unknown:
        sys.exit(f'--runs-from-recipes {" ".join(unknown)}: not in --recipes ({" ".join(args.recipes)}); '
                 'add them to --recipes or leave them out.')
    return args.runs_from_recipes


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.list:
        for name, recipe in RECIPES.items():
            print(f'{name:<26} {recipe.description}')
        return
    data_roots = bench_datasets.prepare(args.datasets, args.data_dir, args.train_per_class, args.val_per_class,
                                        args.classes)
    for item in args.data_root:
        name, _, root = item.partition('=')
        if not root or not os.path.isdir(os.path.join(os.path.expanduser(root), 'train')):
            sys.exit(f'--data-root {item}: expected NAME=DIR with DIR/train/<class>/ and DIR/val/<class>/')
        data_roots[name] = os.path.expanduser(root)
    results = dict(command=command_line(), date=today(), machine=f'{os.cpu_count()} CPU cores, no GPU',
                   settings=dict(size=args.size, max_epochs=args.max_epochs, seeds=args.seeds, jobs=args.jobs,
                                 train_per_class=args.train_per_class, val_per_class=args.val_per_class,
                                 classes=args.classes),
                   recipes={name: RECIPES[name].description for name in args.recipes},
                   data_roots=data_roots, runs=[])
    try:
        results['runs'] = earlier_runs(args.runs_from, results['settings'], _recipes_from_files(args), data_roots,
                                       args.seeds)
    except ValueError as error:
        sys.exit(str(error))
    results['runs_from'] = args.runs_from
    earlier = {(run['dataset'], run['recipe'], run['seed']) for run in results['runs']}
    jobs = [(name, dataset, root, seed) for seed in args.seeds for dataset, root in data_roots.items()
            for name in args.recipes if (dataset, name, seed) not in earlier]
    if results['runs']:
        _save(results, args.results)  # the table of the earlier runs, also when none is left to train
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(train, *job, args) for job in jobs]
        for future in futures:
            try:
                results['runs'].append(future.result())
            except RuntimeError as error:
                print(f'error: {error}', flush=True)
                continue
            _save(results, args.results)  # partial results survive an interruption
    print_tables(results)
    if args.lr_comparison:
        results['lr_comparison'] = lr_comparison(results['runs'])
        atomic_write_json(args.results, results)
        print('\n'.join(lr_comparison_rows(results['lr_comparison'])))
    print(f'\nwrote {args.results}')


if __name__ == '__main__':
    main()
