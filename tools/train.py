"""Train a classifier from a config: ``python tools/train.py CONFIG [options]``.

Writes checkpoints, logs, history.json, training_curves.png and summary.json to the work dir
(default: work_dirs/<config name>). Run with --help for every option.
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from adaptcls.apis import (avoid_single_image_batch, enable_amp, infer_num_classes, load_config,
                           prepare_distributed, set_data_root)
from adaptcls.apis.cli_errors import run_cli
from adaptcls.apis.cli_options import CfgOptionsAction
from adaptcls.apis.config_checks import check_config_keys, check_training_values
from adaptcls.apis.run_report import run_report
from adaptcls.apis.work_dir_guard import claim_work_dir
from adaptcls.lr_search import apply_auto_lr, auto_lr_mode
from adaptcls.utils import install_checkpoint_safety, register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train an adaptcls classifier.',
        epilog='Example: python tools/train.py configs/effnet_lite0_adaptive.py --data-root data/digits')
    parser.add_argument('config', help='config file (e.g. configs/mnv3_large_adaptive.py)')
    parser.add_argument('--work-dir', help='where checkpoints, logs and summary.json go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--data-root', help='dataset folder holding train/<class>/ and val/<class>/')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='PATH',
                        help='resume training: from PATH, or (no value) from the latest checkpoint '
                        'in the work dir')
    parser.add_argument('--overwrite', action='store_true',
                        help="start afresh in a work dir that holds a previous run's checkpoints and summary: "
                        'they are moved into WORK_DIR/replaced_<date>_<time>/ first (without this option such a '
                        'work dir is refused unless --resume)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument('--seed', type=int, help='random seed (overrides randomness.seed)')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms (slower; for exact reproducibility)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, metavar='KEY=VALUE',
                        help='override config keys, e.g. train_cfg.max_epochs=10')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher for distributed training (torchrun: pytorch)')
    parser.add_argument('--auto-lr', nargs='?', const='tpe', choices=('tpe', 'grid', 'fastai'), metavar='MODE',
                        help='first search the initial learning rate (tools/lr_search.py; MODE tpe (default), '
                        'grid or fastai; files in WORK_DIR/lr_search), then train with it. Configs that set '
                        'lr_search.auto_lr (the adaptive recipes: fastai) search without this option')
    parser.add_argument('--no-auto-lr', action='store_true',
                        help="train at the config's lr even if the config sets lr_search.auto_lr")
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    """Loads the config and applies the command-line options to it."""
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'Config file "{args.config}" does not exist (see configs/ for the recipes).')
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    check_config_keys(cfg, for_training=True)
    check_training_values(cfg)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.data_root:
        set_data_root(cfg, args.data_root)
    if args.resume == 'auto':
        _check_resumable(cfg.work_dir)
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    if args.amp:
        enable_amp(cfg)
    if args.seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}), seed=args.seed)
    if args.deterministic:
        cfg.randomness = dict(cfg.get('randomness', {}), deterministic=True)
    prepare_distributed(cfg)
    infer_num_classes(cfg)
    note = avoid_single_image_batch(cfg)
    if note:
        print(note)
    return cfg


def _check_resumable(work_dir: str) -> None:
    """Refuses a bare ``--resume`` before any data is read when the work dir holds no run to resume."""
    if not osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        raise FileNotFoundError(f'--resume: the work dir "{work_dir}" holds no run to resume (no last_checkpoint '
                                'file); give the checkpoint (--resume PATH), the run\'s --work-dir, or drop --resume '
                                'to start a new run.')


def main(argv=None) -> None:
    torch.set_flush_denormal(True)  # denormal floats can slow CPU training from scratch down many-fold
    args = parse_args(argv)
    register_all_modules()
    install_checkpoint_safety()
    cfg = build_config(args)
    work_dir_lock = claim_work_dir(cfg.work_dir, resume=bool(cfg.resume), overwrite=args.overwrite,
                                   rank=int(os.environ.get('RANK', '0')))
    try:
        train(cfg, args)
    finally:
        if work_dir_lock is not None:
            work_dir_lock.close()  # releases the lock


def train(cfg: Config, args: argparse.Namespace) -> None:
    """Searches the initial LR if asked, trains, and prints the short report."""
    search_mode = auto_lr_mode(cfg, args.auto_lr, args.no_auto_lr)
    lr_search_summary = apply_auto_lr(cfg, search_mode) if search_mode else None
    runner = Runner.from_cfg(cfg)
    if lr_search_summary:  # RunSummaryHook copies it into summary.json
        runner.message_hub.update_info('summary/lr_search', lr_search_summary)
    runner.train()
    summary_file = osp.join(cfg.work_dir, 'summary.json')
    if runner.rank == 0 and osp.isfile(summary_file):
        with open(summary_file) as stream:
            summary = json.load(stream)
        print('\n' + run_report(summary, args.config, summary_file))


if __name__ == '__main__':
    run_cli(main)
