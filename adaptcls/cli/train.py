"""Train a classifier: ``adaptcls train CONFIG [options]`` (``python tools/train.py``), or from a data folder with a
recipe chosen by name: ``adaptcls train DATA_DIR [--model effnet_lite0] [--recipe adaptive] [--img-size N]
[--epochs N]``.

Writes checkpoints, logs, history.json, training_curves.png and summary.json to the work dir
(default: work_dirs/<config name>). Run with --help for every option.
"""
import argparse
import os
import os.path as osp
import time

from mmengine.config import Config

from adaptcls.cli.cli_options import CfgOptionsAction
from adaptcls.cli.recipes import DEFAULT_MODEL, DEFAULT_RECIPE, MODEL_NAMES, RECIPE_NAMES, find_config, recipe_config
from adaptcls.config.option_values import (BALANCE_MODES, DATA_SPLIT_DEFAULTS, EXPORT_RESERVE_SHARE, LR_ESTIMATE_SHARE,
                                           parse_duration)
from adaptcls.config.visualization import VIS_BACKEND_NAMES
from adaptcls.lr_search.lr_search_settings import ACCEPTED_MODES

# The rest (torch, mmengine's Runner, the models) is imported in the functions that train: `--help` answers at once.


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train an adaptcls classifier.',
        epilog='Examples: python tools/train.py configs/effnet_lite0_adaptive.py --data-root data/digits\n'
               '          adaptcls train data/digits --model mnv3_large --recipe baseline --img-size 96 --epochs 40',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', metavar='CONFIG | DATA_DIR',
                        help='a config file (e.g. configs/mnv3_large_adaptive.py), or a data folder holding '
                        'train/<class>/ and val/<class>/ (or valid/, validation/), or only class folders (then '
                        'split, see --val-fraction): then the config is configs/<--model>_<--recipe>.py')
    parser.add_argument('--model', choices=MODEL_NAMES, default=None,
                        help=f'with DATA_DIR: the backbone (default: {DEFAULT_MODEL})')
    parser.add_argument('--recipe', choices=RECIPE_NAMES, default=None,
                        help=f'with DATA_DIR: adaptive (the paper\'s recipe) or baseline (fixed cosine) '
                        f'(default: {DEFAULT_RECIPE})')
    parser.add_argument('--img-size', type=int, metavar='N',
                        help='input size in px: every size of the pipelines scaled from the config\'s (224)')
    parser.add_argument('--epochs', type=int, metavar='N',
                        help='train_cfg.max_epochs (the adaptive recipes usually stop earlier; a cosine spans all)')
    parser.add_argument('--work-dir', help='where checkpoints, logs and summary.json go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--data-root', help='dataset folder holding train/<class>/ and val/<class>/ (or valid/, '
                        'validation/); without a validation folder, its class folders (or train/) are split')
    parser.add_argument('--val-fraction', type=float, metavar='F',
                        help='a data root without a validation folder: the share of each class held out for '
                        f'validation (data_split.val_fraction, default {DATA_SPLIT_DEFAULTS["val_fraction"]}); '
                        'the split is seeded, stratified and recorded in WORK_DIR/data_split/')
    parser.add_argument('--split-seed', type=int, metavar='N',
                        help=f'the seed of that split (data_split.seed, default {DATA_SPLIT_DEFAULTS["seed"]})')
    parser.add_argument('--balance', choices=BALANCE_MODES,
                        help='an imbalanced training set: sampler draws every class equally often '
                        '(ClassBalancedSampler), loss weights the cross-entropy by n / (C * count) '
                        '(the class_balance key; default: neither)')
    parser.add_argument('--export', action='store_true',
                        help='after training: evaluate the best checkpoint (confusion matrix), export ONNX and '
                        'OpenVINO FP32 + INT8 IR into WORK_DIR/export (each verified against PyTorch), time each '
                        'backend, and write WORK_DIR/report.md and report.html (one self-contained page) with the '
                        'figures and plots')
    parser.add_argument('--time-limit', type=_duration, metavar='DURATION',
                        help='wall-clock budget of the whole command, LR estimate and --export included (e.g. 30m, '
                        '2h, 1h30m): training ends, with the best checkpoint so far, before '
                        'an epoch that would end past the budget (with --export, '
                        f'{EXPORT_RESERVE_SHARE * 100:.0f}%% of it is kept for the export); summary.json records the '
                        'budget under time_budget')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='PATH',
                        help='resume training: from PATH, or (no value) from the latest checkpoint '
                        'in the work dir')
    parser.add_argument('--overwrite', action='store_true',
                        help="start afresh in a work dir that holds a previous run's checkpoints and summary: "
                        'they are moved into WORK_DIR/replaced_<date>_<time>/ first (without this option such a '
                        'work dir is refused unless --resume)')
    parser.add_argument('--amp', nargs='?', const='auto', choices=('auto', 'bf16', 'fp16'), metavar='auto|bf16|fp16',
                        help='mixed precision (SAM included: both passes under autocast): bf16 (CPU and GPU), fp16 '
                        'with a gradient scaler (GPU), or auto (a bare --amp): bf16 if a probe before training '
                        'measures it faster on this machine, else fp32')
    parser.add_argument('--seed', type=int, help='random seed (overrides randomness.seed)')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms (slower; for exact reproducibility)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, metavar='KEY=VALUE',
                        help='override config keys, e.g. train_cfg.max_epochs=10')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher for distributed training (torchrun: pytorch)')
    parser.add_argument('--auto-lr', nargs='?', const='tpe', choices=ACCEPTED_MODES, metavar='MODE',
                        help='first search the initial learning rate (tools/lr_search.py; MODE tpe (default), '
                        'grid or range_test (fastai: its deprecated name); files in WORK_DIR/lr_search), then train '
                        'with it. Configs that set lr_search.auto_lr (the adaptive recipes: range_test) search '
                        'without this option')
    parser.add_argument('--no-auto-lr', action='store_true',
                        help="train at the config's lr even if the config sets lr_search.auto_lr")
    parser.add_argument('--vis', nargs='+', choices=VIS_BACKEND_NAMES, metavar='NAME',
                        help='also log the loss, lr and val metrics to these trackers: tensorboard (event files in '
                        'WORK_DIR/<timestamp>/vis_data; view with tensorboard --logdir WORK_DIR), mlflow '
                        "(WORK_DIR/mlflow.db); each needs pip install -e '.[NAME]'")
    parser.add_argument('--verbose', action='store_true',
                        help="also print mmengine's set-up records (environment dump, whole config, hooks, parameter "
                        'groups) on the console; the log file in the work dir always has them')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if osp.isdir(args.config):
        if args.data_root:
            parser.error(f'{args.config} is a data folder; drop --data-root {args.data_root}, or give a config file')
        args.data_root = args.config
        args.config = recipe_config(args.model or DEFAULT_MODEL, args.recipe or DEFAULT_RECIPE)
    elif args.model or args.recipe:
        parser.error('--model and --recipe choose the config for a data folder; with a config file, drop them')
    else:
        args.config = find_config(args.config)  # configs/NAME.py works outside a checkout too
    return args


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_time_budget(cfg: Config, started_at: float, limit_s: float, export: bool) -> None:
    """Adds the ``TimeBudgetHook`` of ``--time-limit`` to ``cfg.custom_hooks``: the budget began at ``started_at``
    (``time.time()``); with ``export``, :data:`EXPORT_RESERVE_SHARE` of it is kept for the export; the LR range test
    may take :data:`LR_ESTIMATE_SHARE` of it (``lr_search.range_test_max_seconds``)."""
    reserve_s = EXPORT_RESERVE_SHARE * limit_s if export else 0.0
    cfg.lr_search = dict(cfg.get('lr_search') or {}, range_test_max_seconds=LR_ESTIMATE_SHARE * limit_s)
    cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                        dict(type='TimeBudgetHook', started_at=started_at, limit_s=limit_s, reserve_s=reserve_s)]


def record_time_used(summary: dict, started_at: float) -> None:
    """Adds the whole command's time (export included) to ``summary['time_budget']``."""
    budget = summary['time_budget']
    budget['used_with_export_s'] = round(time.time() - started_at, 1)
    budget['export_s'] = round(budget['used_with_export_s'] - budget['used_s'], 1)


def config_arguments(args: argparse.Namespace) -> dict:
    """The arguments of ``adaptcls.config.build_config`` for these command-line options (mode ``'train'``)."""
    cfg_options = dict(args.cfg_options or {})
    for key, value in (('data_split.val_fraction', args.val_fraction), ('data_split.seed', args.split_seed),
                       ('class_balance', args.balance)):
        if value is not None:
            cfg_options[key] = value
    return dict(config_path=args.config, mode='train', cfg_options=cfg_options, data_root=args.data_root,
                work_dir=args.work_dir, launcher=args.launcher, resume=args.resume, img_size=args.img_size,
                max_epochs=args.epochs, replace_stale_split=args.overwrite and not args.resume)


def apply_run_options(cfg: Config, args: argparse.Namespace, started_at: float) -> None:
    """The options that change how the built config runs: ``--vis`` trackers, ``--amp``, ``--seed``,
    ``--deterministic`` and ``--time-limit`` (its budget began at ``started_at``)."""
    from adaptcls.config import add_vis_backends, enable_amp
    add_vis_backends(cfg, args.vis or ())
    if args.amp:
        enable_amp(cfg, args.amp)
    if args.seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}), seed=args.seed)
    if args.deterministic:
        cfg.randomness = dict(cfg.get('randomness', {}), deterministic=True)
    if args.time_limit:
        add_time_budget(cfg, started_at, args.time_limit, args.export)


def main(argv=None) -> None:
    args = parse_args(argv)
    from adaptcls.apis import train
    from adaptcls.cli.delivery import check_reevaluation, deliver, delivery_lines, require_deploy_packages
    from adaptcls.config import build_config
    from adaptcls.cli.html_report import write_html_report
    from adaptcls.cli.markdown_report import write_report
    from adaptcls.cli.run_report import run_report
    from adaptcls.engine.hooks.run_summary_hook import summary_file_name
    from adaptcls.setup_env import init_entry_point
    from adaptcls.utils import atomic_write_json

    from adaptcls.cli.cli_errors import remember_work_dir

    started_at = time.time()  # the --time-limit budget covers everything from here
    init_entry_point()
    cfg = build_config(**config_arguments(args))  # writes nothing: train() records the data split under its lock
    apply_run_options(cfg, args, started_at)
    remember_work_dir(cfg.work_dir)  # a crash file goes there
    print(f'Training {args.config}: results (checkpoints, summary.json, the full log) go to {cfg.work_dir}'
          f'{"" if args.verbose else " (--verbose prints the environment and config here too)"}')
    if args.export:
        require_deploy_packages()  # before hours of training, not after
    summary = train(cfg, overwrite=args.overwrite, auto_lr=args.auto_lr, no_auto_lr=args.no_auto_lr,
                    verbose=args.verbose)
    if summary is None:
        return
    summary_file = osp.join(cfg.work_dir, summary_file_name(cfg))
    report = run_report(summary, args.config, summary_file, export_hint=not args.export)
    if not args.export:
        print('\n' + report)
        if args.time_limit:
            budget = summary['time_budget']
            print(f'Time: {budget["used_s"]:.0f} s of the {budget["limit_s"]:.0f} s limit')
        return
    delivery = deliver(cfg.work_dir, args.data_root)
    check_reevaluation(summary, delivery)
    summary['calibration'] = delivery.calibration  # ECE before and after, the temperature the IRs apply
    if args.time_limit:
        record_time_used(summary, started_at)
    atomic_write_json(summary_file, summary)
    report_file = write_report(cfg.work_dir, args.config, summary, delivery)
    page = write_html_report(cfg.work_dir)
    print('\n'.join(['', report, *delivery_lines(delivery), f'Report: {report_file} and {page}']))
    if args.time_limit:
        budget = summary['time_budget']
        print(f'Time: {budget["used_with_export_s"]:.0f} s of the {budget["limit_s"]:.0f} s limit (training ended at '
              f'{budget["used_s"]:.0f} s, the export took {budget["export_s"]:.0f} s)')
