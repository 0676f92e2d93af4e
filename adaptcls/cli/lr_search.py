"""Estimate the initial learning rate of a config: ``python tools/lr_search.py CONFIG [options]``.

Modes (recipe.md, "Initial learning-rate estimation"): ``tpe`` (default: Optuna TPE + median
pruning, 15 trials x 6 epochs), ``grid`` (10 evenly spaced learning rates x 9 epochs) and
``range_test`` (half an epoch of warm-up, then an LR range test on at most one epoch of images; ``fastai`` is its
deprecated name). Ranges and other defaults come
from the config's ``lr_search`` dict (see adaptcls/lr_search/lr_search_settings.py).

Writes WORK_DIR/lr_search/: result.json, trials.csv, lr_search.png and lr_config.py (train with
``python tools/train.py WORK_DIR/lr_search/lr_config.py``). The TPE/grid study lives in
WORK_DIR/lr_search/study.db (or --storage): run the same command again to continue an
interrupted search, or start it on several machines with one --storage and --study-name to
share the trials. See docs/lr_search.md.
"""
import argparse
import os.path as osp

from mmengine.config import Config

from adaptcls.cli.cli_options import CfgOptionsAction
from adaptcls.cli.recipes import find_config
from adaptcls.lr_search.lr_search_settings import (ACCEPTED_MODES, SUGGESTION_RULES, LRSearchSettings,
                                                   canonical_mode, trial_setting_keys)

# torch, Optuna and the models are imported when the search runs: `--help` answers at once.


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Estimate the initial learning rate of an adaptcls config.',
        epilog='Example: python tools/lr_search.py configs/effnet_lite0_demo.py --data-root data/digits '
               '--mode tpe --trials 15 --epochs-per-trial 6')
    parser.add_argument('config', help='config file (e.g. configs/mnv3_large_baseline.py)')
    parser.add_argument('--mode', choices=ACCEPTED_MODES, default='tpe',
                        help='search method (default: tpe; fastai is the deprecated name of range_test)')
    parser.add_argument('--data-root', help='dataset folder holding train/<class>/ and val/<class>/')
    parser.add_argument('--work-dir', help='the search goes to WORK_DIR/lr_search (default: '
                        'work_dirs/<config name>, the work dir tools/train.py uses)')
    parser.add_argument('--trials', type=int, help='tpe: number of trials (default 15); grid: number of '
                        'grid points (default 10)')
    parser.add_argument('--epochs-per-trial', type=int,
                        help='training epochs per trial (tpe default 6, grid 9)')
    parser.add_argument('--range', type=float, nargs=2, metavar=('LOW', 'HIGH'),
                        help='learning-rate range (default: the config\'s lr_search.lr_range)')
    parser.add_argument('--step', type=float, help='step of the tpe learning-rate grid (default 0.001)')
    parser.add_argument('--rule', choices=SUGGESTION_RULES, help='range_test: how to read the curve '
                        '(default valley)')
    parser.add_argument('--storage', help='Optuna storage URL: sqlite:///PATH, postgresql://..., '
                        'mysql://..., or journal:PATH (default: sqlite:///WORK_DIR/lr_search/study.db)')
    parser.add_argument('--study-name', help='study name in the storage (default: <config name>_<mode>)')
    parser.add_argument('--seed', type=int, help='seed of every trial and of the sampler '
                        '(default: the config\'s randomness.seed)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, metavar='KEY=VALUE',
                        help='override config keys, e.g. lr_search.range_test_skip_end=2')
    args = parser.parse_args(argv)
    args.config = find_config(args.config)  # configs/NAME.py works outside a checkout too
    args.mode = canonical_mode(args.mode, '--mode')
    trial_options = (args.trials, args.epochs_per_trial, args.step, args.storage, args.study_name)
    if args.mode == 'range_test' and any(option is not None for option in trial_options):
        parser.error('--trials, --epochs-per-trial, --step, --storage and --study-name apply to the tpe and '
                     'grid modes; the range_test mode trains lr_search.range_test_warmup_epochs epochs, then '
                     'sweeps')
    if args.mode == 'grid' and args.step is not None:
        parser.error('--step applies to the tpe mode; the grid mode spaces --trials points evenly')
    if args.mode != 'range_test' and args.rule is not None:
        parser.error('--rule applies to the range_test mode only')
    return args


def search_settings(cfg: Config, args: argparse.Namespace) -> LRSearchSettings:
    """The config's ``lr_search`` settings with the command-line options applied."""
    overrides = dict(lr_range=args.range, lr_step=args.step, range_test_rule=args.rule)
    if args.mode != 'range_test':
        trials_key, epochs_key = trial_setting_keys(args.mode)
        overrides.update({trials_key: args.trials, epochs_key: args.epochs_per_trial})
    return LRSearchSettings.from_config(cfg, **overrides)


def main(argv=None) -> None:
    args = parse_args(argv)
    from adaptcls.config import build_config, record_data_split
    from adaptcls.lr_search.run_lr_search import run_lr_search
    from adaptcls.setup_env import init_entry_point
    init_entry_point()
    cfg = build_config(args.config, 'search', cfg_options=args.cfg_options, data_root=args.data_root,
                       work_dir=args.work_dir)
    record_data_split(cfg)  # a data root without a validation folder: the split the search validates on
    outcome = run_lr_search(cfg, args.mode, search_settings(cfg, args), storage=args.storage,
                            study_name=args.study_name, seed=args.seed)
    print(f'\nchosen lr: {outcome.chosen_lr}\n'
          f'train with it: python tools/train.py {osp.join(outcome.search_dir, "lr_config.py")}'
          + (f' --data-root {args.data_root}' if args.data_root else ''))
