#!/usr/bin/env python
"""LR-search benchmark: what each mode of tools/lr_search.py chooses, what that costs, and what a
full training reaches with the chosen learning rate, on the digits demo data.

For each mode (tpe, grid, range_test) it runs the search (a fresh study in its own work dir), then
trains the config from scratch with the chosen lr and records the best validation top-1. The grid
search's best lr (the paper's reference method) is printed beside every row. Without --quick the
recipe's budgets apply (TPE 15 x 6 epochs, grid 10 x 9, the config's full training); --quick
shrinks the searches and the final trainings (about half an hour on a 2-core CPU; ``make bench QUICK=1`` adds
1-epoch final trainings on a tiny data set).

Usage:
    python tools/make_demo_data.py --out data/digits
    python benchmarks/lr_search.py --quick                 # configs/effnet_lite0_demo.py on data/digits
Writes benchmarks/results/lr_search.json (``--results``; the searches and trainings under --work-dir).
"""
import argparse
import json
import os
import platform
import shutil
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.runner import Runner

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.config import build_config, set_max_epochs
from adaptcls.lr_search import SEARCH_MODES, LRSearchSettings
from adaptcls.lr_search.run_lr_search import run_lr_search
from adaptcls.setup_env import init_entry_point
from adaptcls.utils import atomic_write_json

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'lr_search.json')
QUICK_SETTINGS = dict(tpe_trials=6, tpe_epochs=2, grid_points=4, grid_epochs=2)
"""--quick search budgets (the recipe's: TPE 15 x 6 epochs, grid 10 x 9)."""
QUICK_TRAIN_EPOCHS = 4
"""--quick final training epochs (the demo config's: 10)."""
PAPER_TABLE11 = 'paper, Table 11: TPE gives the best top-1; fast.ai about 2 min vs 32 min for TPE'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='configs/effnet_lite0_demo.py',
                        help='config (default: %(default)s)')
    parser.add_argument('--data-root', default='data/digits', help='dataset (default: %(default)s)')
    parser.add_argument('--work-dir', default='work_dirs/bench_lr_search', help='default: %(default)s')
    parser.add_argument('--modes', nargs='+', choices=SEARCH_MODES, default=list(SEARCH_MODES))
    parser.add_argument('--quick', action='store_true',
                        help=f'search budgets {QUICK_SETTINGS}, {QUICK_TRAIN_EPOCHS}-epoch final trainings')
    parser.add_argument('--train-epochs', type=int, help='epochs of each final training (default: the '
                        f'config\'s, or {QUICK_TRAIN_EPOCHS} with --quick)')
    parser.add_argument('--seed', type=int, default=0, help='seed of searches and trainings (default: 0)')
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    return parser.parse_args()


def load_config(path: str, data_root: str, work_dir: str, seed: int) -> Config:
    cfg = build_config(path, 'train', data_root=data_root, work_dir=work_dir)
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    return cfg


def train_with_lr(args: argparse.Namespace, lr: float, work_dir: str, epochs: Optional[int]) -> Dict:
    """Trains the config from scratch at ``lr``; returns best top-1, epochs and wall time."""
    cfg = load_config(args.config, args.data_root, work_dir, args.seed)
    cfg.optim_wrapper.optimizer.lr = lr
    if epochs:
        set_max_epochs(cfg, epochs)
    cfg.log_level = 'WARNING'
    started = time.perf_counter()
    Runner.from_cfg(cfg).train()
    with open(os.path.join(work_dir, 'summary.json')) as stream:
        summary = json.load(stream)
    return dict(top1=summary['best_metrics'].get('top1'), epochs=summary['epochs_run'],
                wall_time_s=round(time.perf_counter() - started, 1))


def run_mode(args: argparse.Namespace, mode: str, train_epochs: Optional[int]) -> Dict:
    work_dir = os.path.join(args.work_dir, mode)
    shutil.rmtree(work_dir, ignore_errors=True)  # a fresh study and fresh trial folders
    cfg = load_config(args.config, args.data_root, os.path.join(work_dir, 'search'), args.seed)
    settings = LRSearchSettings.from_config(cfg, **(QUICK_SETTINGS if args.quick else {}))
    started = time.perf_counter()
    outcome = run_lr_search(cfg, mode, settings)
    search_wall = round(time.perf_counter() - started, 1)
    training = train_with_lr(args, outcome.chosen_lr, os.path.join(work_dir, 'train'), train_epochs)
    return dict(mode=mode, chosen_lr=outcome.chosen_lr,
                search_trained_epochs=round(outcome.total_trained_epochs, 2), search_wall_time_s=search_wall,
                final_top1=training['top1'], final_epochs=training['epochs'],
                final_wall_time_s=training['wall_time_s'])


def print_table(rows: List[Dict], grid_optimum: Optional[float]) -> None:
    header = f'{"mode":<7} {"chosen lr":>10} {"search ep":>9} {"search s":>9} {"top-1":>7} {"train ep":>8} ' \
             f'{"grid optimum":>12}'
    print('\n' + header + '\n' + '-' * len(header))
    for row in rows:
        top1 = f'{row["final_top1"]:.4f}' if row['final_top1'] is not None else '-'
        print(f'{row["mode"]:<7} {row["chosen_lr"]:>10.5g} {row["search_trained_epochs"]:>9} '
              f'{row["search_wall_time_s"]:>9} {top1:>7} {row["final_epochs"]:>8} '
              f'{grid_optimum if grid_optimum is not None else "-":>12}')
    print(f'({PAPER_TABLE11})')


def main() -> None:
    args = parse_args()
    init_entry_point()
    train_epochs = args.train_epochs or (QUICK_TRAIN_EPOCHS if args.quick else None)
    rows = [run_mode(args, mode, train_epochs) for mode in args.modes]
    grid_optimum = next((row['chosen_lr'] for row in rows if row['mode'] == 'grid'), None)
    print_table(rows, grid_optimum)
    atomic_write_json(args.results, dict(
        config=args.config, data_root=args.data_root, quick=args.quick,
        search_settings=QUICK_SETTINGS if args.quick else 'recipe defaults', final_train_epochs=train_epochs,
        seed=args.seed, grid_optimum_lr=grid_optimum, rows=rows,
        machine=dict(platform=platform.platform(), cpus=os.cpu_count(), python=platform.python_version()),
        command='python ' + ' '.join(sys.argv), date=time.strftime('%Y-%m-%d %H:%M')))
    print(f'wrote {args.results}')


if __name__ == '__main__':
    main()
