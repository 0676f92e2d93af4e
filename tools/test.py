"""Evaluate a trained checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Prints top-1, top-5, class-balanced top-1, the paper's mAP and per-class AP on the config's test
set (by default the val folder), and writes them as JSON with --out.
"""
import argparse
import json
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from adaptcls.apis import prepare_distributed, infer_num_classes, set_data_root
from adaptcls.apis.cli_errors import run_cli
from adaptcls.apis.config_checks import check_config_keys
from adaptcls.datasets.unreadable_images import SKIPPED_IMAGES_INFO
from adaptcls.utils import atomic_write_json, install_checkpoint_safety, register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate an adaptcls checkpoint on a dataset.',
        epilog='Example: python tools/test.py configs/effnet_lite0_adaptive.py '
               'work_dirs/effnet_lite0_adaptive/best_top1_epoch_9.pth --data-root data/digits')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--data-root', help='dataset folder (the test set is its val/ folder by default)')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument('--work-dir', help='where logs go (default: work_dirs/<config name>/test)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config keys, e.g. test_dataloader.batch_size=16')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules()
    install_checkpoint_safety()
    for path, what in ((args.config, 'Config'), (args.checkpoint, 'Checkpoint')):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} file "{path}" does not exist.')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    check_config_keys(cfg, for_training=False)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0], 'test')
    if args.data_root:
        set_data_root(cfg, args.data_root)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    cfg.model = _no_pretrained_download(cfg.model)
    prepare_distributed(cfg)
    infer_num_classes(cfg)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        result = dict(config=args.config, checkpoint=args.checkpoint,
                      metrics={key: float(value) for key, value in metrics.items()})
        if runner.message_hub.get_info(SKIPPED_IMAGES_INFO):  # bad_images='skip' left images out
            result['skipped_images'] = runner.message_hub.get_info(SKIPPED_IMAGES_INFO)
        print(json.dumps(result, indent=2))
        if args.out:
            atomic_write_json(args.out, result)


def _no_pretrained_download(model_cfg):
    """The checkpoint provides every weight, so the backbone need not fetch pretrained ones."""
    backbone = model_cfg.get('backbone')
    if isinstance(backbone, dict) and 'pretrained' in backbone:
        backbone['pretrained'] = False
    return model_cfg


if __name__ == '__main__':
    run_cli(main)
