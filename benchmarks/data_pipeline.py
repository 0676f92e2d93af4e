#!/usr/bin/env python
"""Data pipeline throughput: the adaptive train pipeline per DataLoader worker, timm's AugMix alone, and
whether the pipeline keeps up with the adaptive model's SAM training step.

For each --sizes value, on the --data-root training images (the digits demo data by default):
- pipeline: ``dataset[i]`` of an ImageFolderDataset with the train_pipeline of --dataset-config (LoadImage
  from PNG, RandomCrop, Resize to the size, AugMix, flip, rotate, PackClsInputs), in this process, as one
  DataLoader worker runs it; plus the mean milliseconds of each transform;
- timm AugMix alone: timm's ``augment_and_mix_transform`` with the pipeline's AugMix settings (the same timm
  config string and hparams) on the same images, already decoded and resized (PIL);
- model step: ``train_step`` of --model-config's model (random weights, its optim wrapper, e.g. SAM) on a
  batch of the pipeline's outputs.
The pipeline and timm passes alternate over --rounds rounds (medians reported). A training loop is fed
when the workers together produce images at least as fast as the step consumes them:
workers needed = ceil(model images/s / pipeline images/s per worker).

Usage:
    python tools/make_demo_data.py --out data/digits     # if data/digits is absent
    python benchmarks/data_pipeline.py                   # 64 and 224 px
    python benchmarks/data_pipeline.py --quick
Writes benchmarks/results/data_pipeline.json.
"""
import argparse
import copy
import math
import os
from typing import Dict, List

import numpy as np
import torch

from mmengine.config import Config
from mmengine.logging import MMLogger
from timm.data.auto_augment import augment_and_mix_transform

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.registry import DATASETS, TRANSFORMS
from adaptcls.setup_env import register_all_modules
from adaptcls.utils import atomic_write_json
from benchmarks.common.model_step import time_train_steps, untrained_model_config
from benchmarks.common.pipeline_timing import (seed_global_rngs, time_dataset_items, time_pil_transform,
                                               time_transforms)
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, spread, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'data_pipeline.json')
QUICK = dict(images=64, rounds=2, steps=1)
"""--quick images per pass, rounds and timed model steps."""
THREADS_NOTE = ('the model step runs on 1 torch thread by default: on the shared 2-core machine 2 threads were '
                '10-50x slower while other jobs ran (see benchmarks/train_throughput.py); the pipeline is '
                'single-threaded Python/PIL work, one DataLoader worker per process.')
"""Why --threads defaults to 1 (stored with the results)."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default='data/digits', help='class-folder dataset (default: %(default)s)')
    parser.add_argument('--sizes', type=int, nargs='+', default=[64, 224], help='input sizes (default: 64 224)')
    parser.add_argument('--dataset-config', default='configs/_base_/datasets/image_folder_augmix.py',
                        help='config whose train_pipeline is timed (default: %(default)s)')
    parser.add_argument('--model-config', default='configs/mnv3_large_adaptive.py',
                        help='config whose model and optim_wrapper make the step (default: %(default)s)')
    parser.add_argument('--images', type=int, default=256, help='images per timed pass (default: %(default)s)')
    parser.add_argument('--rounds', type=int, default=3, help='alternating rounds (default: %(default)s)')
    parser.add_argument('--batch', type=int, default=32, help='batch of the model step (default: %(default)s)')
    parser.add_argument('--steps', type=int, default=3, help='timed model steps (default: %(default)s)')
    parser.add_argument('--warmup-steps', type=int, default=1, help='untimed model steps (default: %(default)s)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads of the model step; 0 keeps torch\'s default (default: %(default)s)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--seed', type=int, default=0, help='seed of the image order and augmentations')
    parser.add_argument('--note', default='', help='a remark stored with the results (e.g. machine load)')
    parser.add_argument('--out', default=RESULTS, help='result JSON (default: %(default)s)')
    args = apply_quick(parser.parse_args(), QUICK)
    if not os.path.isdir(os.path.join(args.data_root, 'train')):
        parser.error(f'--data-root {args.data_root} has no train/ folder; create the demo data with '
                     f'`python tools/make_demo_data.py --out {args.data_root}` or pass a class-folder dataset.')
    return args


def resized_pipeline(pipeline: List[dict], size: int) -> List[dict]:
    """A copy of ``pipeline`` whose Resize steps resize to ``size``.

    Raises:
        ValueError: the pipeline has no Resize (the size would not apply).
    """
    pipeline = copy.deepcopy(pipeline)
    resizes = [step for step in pipeline if step['type'] == 'Resize']
    if not resizes:
        raise ValueError(f'The train_pipeline has no Resize step to set to {size} px: {pipeline}')
    for step in resizes:
        step['size'] = size
    return pipeline


def decoded_images(dataset, indices: List[int], size: int) -> list:
    """The images at ``indices`` read by LoadImage and resized to ``size``, as PIL images."""
    from PIL import Image
    load, resize = TRANSFORMS.build(dict(type='LoadImage')), TRANSFORMS.build(dict(type='Resize', size=size))
    return [Image.fromarray(resize(load(dataset.get_data_info(index)))['img']) for index in indices]


def describe_sources(dataset, indices: List[int]) -> str:
    """The pixel sizes, Pillow modes and formats of the source files at ``indices`` (decoding cost depends on them)."""
    from PIL import Image
    kinds = set()
    for index in indices:
        with Image.open(dataset.get_data_info(index)['img_path']) as image:
            kinds.add(f'{image.width}x{image.height} {image.mode} {image.format}')
    return ', '.join(sorted(kinds))


def measure_size(args: argparse.Namespace, dataset_cfg: Config, model_cfg: Config, size: int) -> Dict:
    """Pipeline, timm AugMix and model step at one input size."""
    pipeline = resized_pipeline(dataset_cfg.train_pipeline, size)
    dataset = DATASETS.build(dict(copy.deepcopy(dataset_cfg.train_dataloader.dataset), data_root=args.data_root,
                                  pipeline=pipeline))
    order = np.random.default_rng(args.seed).permutation(len(dataset))
    indices = [int(index) for index in order[:args.images]]
    augmix_step = next(step for step in pipeline if step['type'] == 'AugMix')
    ours = TRANSFORMS.build(augmix_step)
    timm_augmix = augment_and_mix_transform(ours.config_str, dict(ours.hparams))
    images = decoded_images(dataset, indices, size)
    pipeline_ips, timm_ips, items = [], [], None
    for index in range(args.rounds):
        seed_global_rngs(args.seed + index)
        timed = time_dataset_items(dataset, indices)
        pipeline_ips.append(timed['images_per_s'])
        items = items or timed['items'][:args.batch]
        seed_global_rngs(args.seed + index)
        timm_ips.append(time_pil_transform(timm_augmix, images))
        print(f'[{size} px] round {index + 1}/{args.rounds}: pipeline {pipeline_ips[-1]:.1f} img/s, '
              f'timm AugMix alone {timm_ips[-1]:.1f} img/s', flush=True)
    seed_global_rngs(args.seed)
    transform_ms = time_transforms(dataset, indices)
    model_ips = time_train_steps(untrained_model_config(model_cfg.model, len(dataset.metainfo['classes'])),
                                 model_cfg.optim_wrapper, items, args.warmup_steps, args.steps)
    print(f'[{size} px] model step {model_ips:.1f} img/s', flush=True)
    pipeline_summary, timm_summary = spread(pipeline_ips), spread(timm_ips)
    return dict(size=size, source_images=describe_sources(dataset, indices), pipeline_images_per_s=pipeline_summary,
                timm_augmix_images_per_s=timm_summary,
                augmix_share_of_pipeline_time=pipeline_summary['median'] / timm_summary['median'],
                transform_ms=transform_ms, model_step_images_per_s=model_ips,
                workers_to_keep_up=math.ceil(model_ips / pipeline_summary['median']),
                one_worker_keeps_up=pipeline_summary['median'] >= model_ips)


def print_table(rows: List[Dict]) -> None:
    header = (f'{"size":>5} {"pipeline img/s":>14} {"timm AugMix img/s":>17} {"AugMix share":>12} '
              f'{"model step img/s":>16} {"workers needed":>14}')
    print('\n' + header + '\n' + '-' * len(header))
    for row in rows:
        print(f'{row["size"]:>5} {row["pipeline_images_per_s"]["median"]:14.1f} '
              f'{row["timm_augmix_images_per_s"]["median"]:17.1f} {row["augmix_share_of_pipeline_time"]:12.0%} '
              f'{row["model_step_images_per_s"]:16.1f} {row["workers_to_keep_up"]:>14}')
    print('(pipeline = one worker, single process; AugMix share = timm AugMix time / pipeline time per image; '
          'workers needed = ceil(model / pipeline))')
    print(f'source images: {rows[0]["source_images"]}' if rows else '')
    for row in rows:
        slowest = sorted(row['transform_ms'].items(), key=lambda item: -item[1])
        print(f'{row["size"]} px ms per image: ' + ', '.join(f'{name} {ms:.2f}' for name, ms in slowest))


def main() -> None:
    args = parse_args()
    os.chdir(REPO)
    register_all_modules()
    MMLogger.get_instance('data_pipeline', log_level='WARNING')  # the current logger: no per-parameter INFO lines
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # as tools/train.py's main does
    dataset_cfg, model_cfg = Config.fromfile(args.dataset_config), Config.fromfile(args.model_config)
    rows = [measure_size(args, dataset_cfg, model_cfg, size) for size in args.sizes]
    print_table(rows)
    atomic_write_json(args.out, dict(
        command=command_line(), date=today(), machine=machine(), note=args.note,
        settings=dict(data_root=args.data_root, dataset_config=args.dataset_config, model_config=args.model_config,
                      images_per_pass=args.images, rounds=args.rounds, batch=args.batch, timed_steps=args.steps,
                      warmup_steps=args.warmup_steps, torch_threads=torch.get_num_threads(),
                      threads_note=THREADS_NOTE, seed=args.seed, quick=args.quick),
        rows=rows))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
