#!/usr/bin/env python
"""Adaptive recipe vs the fixed cosine baseline, EfficientNet-Lite0, on real data (the paper's claim, Table 2/10).

Both recipes train the same model (EfficientNet-Lite0 with its offline ImageNet weights) at the same input size and
the same max_epochs, each with its own recipe otherwise:
- baseline (configs/effnet_lite0_baseline.py): SGD, cosine annealing to zero over all max_epochs, lr 0.003,
  basic augmentation, linear head + CE;
- adaptive (configs/effnet_lite0_adaptive.py): SAM, no bias decay, 5 warmup epochs, ReduceLROnPlateauV2 with a
  forced drop at 75% of max_epochs and early stopping, AugMix, AM-Softmax head, lr 0.003;
- adaptive_auto_lr: the same, with the initial LR chosen by `tools/train.py --auto-lr fastai` (one warm-up epoch and
  one range-test epoch, reported as search epochs and search time on top of the training's).
Only the input size, the batch size (the recipes' declared 64, so no LR rescaling), max_epochs and, for digits, the
horizontal flip (off: digits are not mirror-symmetric) are changed from the recipe configs.

Datasets:
- fashion_mnist: a fixed, seeded, class-balanced subset of Fashion-MNIST (one of the paper's 11 datasets): train
  images from its training set, val images from its test set. Install: `apt-get install -y dataset-fashion-mnist`.
- digits: the built-in demo data (tools/make_demo_data.py: scikit-learn digits, 1437 train / 360 val).

Each training runs `tools/train.py` in a subprocess (what a user runs) and its `summary.json` gives top-1, mAP,
epochs run and wall time. A finished run is reused when its summary.json exists (delete --work-dir to start over),
so an interrupted benchmark continues where it stopped. Results: benchmarks/results/adaptive_vs_baseline.json.

Usage:
    python benchmarks/adaptive_vs_baseline.py                       # both datasets, 64 px, max 30 epochs
    python benchmarks/adaptive_vs_baseline.py --datasets digits --max-epochs 20
"""
import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import time
from typing import Dict, List

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from mmengine.config import Config  # noqa: E402
from PIL import Image  # noqa: E402

from adaptcls.utils import atomic_write_json  # noqa: E402

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'adaptive_vs_baseline.json')
RECIPES = {
    'baseline': ('configs/effnet_lite0_baseline.py', []),
    'adaptive': ('configs/effnet_lite0_adaptive.py', []),
    # The paper's full pipeline: the initial LR comes from the fast.ai-style search (its epochs are counted).
    'adaptive_auto_lr': ('configs/effnet_lite0_adaptive.py', ['--auto-lr', 'fastai']),
}
"""recipe name -> (config, extra tools/train.py arguments)."""
FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
FASHION_MNIST_CLASSES = ('t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag',
                         'ankle_boot')
RECIPE_BATCH_SIZE = 64
"""The batch size both recipes declare their LR for (auto_scale_lr base_batch_size): no LR rescaling."""
PAPER = ('paper, Table 2 (11 datasets, MNV3-large, 224 px, GPU): adaptive 88.26 top-1 / 91.79 mAP in 81 epochs on '
         'average vs baseline 86.01 top-1 over 200 epochs')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--recipes', nargs='+', choices=tuple(RECIPES), default=list(RECIPES),
                        help='default: %(default)s')
    parser.add_argument('--datasets', nargs='+', choices=('fashion_mnist', 'digits'),
                        default=['fashion_mnist', 'digits'], help='default: %(default)s')
    parser.add_argument('--size', type=int, default=64, help='input size in px for both recipes (default: 64)')
    parser.add_argument('--max-epochs', type=int, default=30, help='max_epochs of both recipes (default: 30)')
    parser.add_argument('--train-per-class', type=int, default=200,
                        help='Fashion-MNIST subset: train images per class (default: 200, i.e. 2000)')
    parser.add_argument('--val-per-class', type=int, default=100,
                        help='Fashion-MNIST subset: val images per class (default: 100, i.e. 1000)')
    parser.add_argument('--workers', type=int, default=2, help='dataloader workers (default: 2)')
    parser.add_argument('--seed', type=int, default=0, help='subset and training seed (default: 0)')
    parser.add_argument('--work-dir', default='work_dirs/bench_adaptive_vs_baseline', help='default: %(default)s')
    parser.add_argument('--data-dir', default='data', help='where the datasets are written (default: data)')
    return parser.parse_args()


def read_idx(path: str) -> np.ndarray:
    """Reads a gzip'ed IDX file (the MNIST format: big-endian header of dimension sizes, then uint8 data)."""
    with gzip.open(path, 'rb') as stream:
        raw = stream.read()
    num_dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(num_dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * num_dims).reshape(shape)


def write_fashion_mnist_subset(root: str, train_per_class: int, val_per_class: int, seed: int) -> str:
    """Writes a seeded class-balanced Fashion-MNIST subset as PNG class folders; returns its data root."""
    out = os.path.join(root, f'fashion_mnist_{train_per_class}x10_{val_per_class}x10_seed{seed}')
    if os.path.isfile(os.path.join(out, 'complete')):
        return out
    if not os.path.isdir(FASHION_MNIST_DIR):
        sys.exit(f'Fashion-MNIST is not installed in {FASHION_MNIST_DIR}: run '
                 '`apt-get update && apt-get install -y dataset-fashion-mnist` (or pass --datasets digits).')
    rng = np.random.default_rng(seed)
    for split, prefix, per_class in (('train', 'train', train_per_class), ('val', 't10k', val_per_class)):
        images = read_idx(os.path.join(FASHION_MNIST_DIR, f'{prefix}-images-idx3-ubyte.gz'))
        labels = read_idx(os.path.join(FASHION_MNIST_DIR, f'{prefix}-labels-idx1-ubyte.gz'))
        for label, name in enumerate(FASHION_MNIST_CLASSES):
            folder = os.path.join(out, split, name)
            os.makedirs(folder, exist_ok=True)
            chosen = rng.choice(np.flatnonzero(labels == label), size=per_class, replace=False)
            for index in chosen:
                Image.fromarray(images[index]).save(os.path.join(folder, f'{prefix}_{index:05d}.png'))
    open(os.path.join(out, 'complete'), 'w').close()
    return out


def prepare_digits(root: str) -> str:
    out = os.path.join(root, 'digits')
    if not os.path.isdir(os.path.join(out, 'val')):
        subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'make_demo_data.py'), '--out', out], check=True)
    return out


def _resize_to(pipeline: List[dict], size: int, flip: bool) -> List[dict]:
    steps = []
    for step in pipeline:
        step = dict(step)
        if step['type'] == 'Resize':
            step['size'] = size
        if step['type'] == 'RandomHorizontalFlip' and not flip:
            step['prob'] = 0.0
        steps.append(step)
    return steps


def benchmark_config(recipe: str, args: argparse.Namespace, flip: bool) -> Config:
    """The recipe config with the benchmark's size, batch, max_epochs and seed (nothing else changed)."""
    cfg = Config.fromfile(os.path.join(REPO, RECIPES[recipe][0]))
    cfg.train_pipeline = _resize_to(cfg.train_pipeline, args.size, flip)
    cfg.test_pipeline = _resize_to(cfg.test_pipeline, args.size, flip)
    for key, pipeline in (('train_dataloader', cfg.train_pipeline), ('val_dataloader', cfg.test_pipeline),
                          ('test_dataloader', cfg.test_pipeline)):
        cfg[key].update(batch_size=RECIPE_BATCH_SIZE, num_workers=args.workers,
                        persistent_workers=args.workers > 0)
        cfg[key].dataset.pipeline = pipeline
    old_max = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = cfg.max_epochs = args.max_epochs
    for scheduler in cfg.param_scheduler:  # the baseline's cosine spans all epochs; the warmup stays 5 epochs
        if scheduler.get('end') == old_max:
            scheduler.update(end=args.max_epochs, T_max=args.max_epochs - scheduler.get('begin', 0))
    assert cfg.auto_scale_lr.base_batch_size == RECIPE_BATCH_SIZE
    cfg.randomness = dict(seed=args.seed, deterministic=False)
    return cfg


def train(recipe: str, data_root: str, work_dir: str, args: argparse.Namespace, flip: bool) -> Dict:
    """Runs tools/train.py for one recipe (or reuses its finished run); returns the summary's figures."""
    summary_file = os.path.join(work_dir, 'summary.json')
    if not os.path.isfile(summary_file):
        os.makedirs(work_dir, exist_ok=True)
        config_file = os.path.join(work_dir, f'{recipe}_benchmark_config.py')
        benchmark_config(recipe, args, flip).dump(config_file)
        extra_args = RECIPES[recipe][1]
        print(f'[{time.strftime("%H:%M:%S")}] training {recipe} on {data_root} -> {work_dir} '
              f'(log: {work_dir}/*/*.log)', flush=True)
        with open(os.path.join(work_dir, 'train_stdout.log'), 'w') as log:
            subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'train.py'), config_file, '--data-root',
                            data_root, '--work-dir', work_dir, *extra_args], check=True, cwd=REPO, stdout=log,
                           stderr=subprocess.STDOUT)
    with open(summary_file) as stream:
        summary = json.load(stream)
    search = summary.get('lr_search') or {}
    return dict(lr=search.get('chosen_lr', benchmark_config(recipe, args, flip).optim_wrapper.optimizer.lr),
                search_epochs=search.get('total_trained_epochs', 0), search_wall_time_s=search.get('wall_time_s', 0),
                top1=summary['best_metrics']['top1'], mAP=summary['best_metrics']['mAP'],
                best_epoch=summary.get('best_epoch'), epochs_run=summary['epochs_run'],
                max_epochs=summary['max_epochs'], stopped_early=summary['stopped_early'],
                stop_reason=summary.get('stop_reason'), lr_drops=summary.get('lr_drops'),
                wall_time_s=round(summary['wall_time_s'], 1), config=RECIPES[recipe][0],
                train_args=RECIPES[recipe][1],
                pretrained=summary.get('pretrained'))


def print_table(results: Dict) -> None:
    print(f'\n{"dataset":<14} {"recipe":<17} {"lr":>7} {"top1":>7} {"mAP":>7} {"epochs":>9} {"search":>6} '
          f'{"early":>6} {"wall":>8}')
    for name, runs in results['datasets'].items():
        for recipe, run in runs.items():
            print(f'{name:<14} {recipe:<17} {run["lr"]:>7.4f} {run["top1"]:>7.4f} {run["mAP"]:>7.4f} '
                  f'{run["epochs_run"]:>4}/{run["max_epochs"]:<4} {run["search_epochs"]:>6.1f} '
                  f'{str(run["stopped_early"]):>6} {run["wall_time_s"] + run["search_wall_time_s"]:>7.0f}s')
    print('epochs: training epochs run / max; search: LR-search epochs on top; wall: training + search')
    print(PAPER)


def main() -> None:
    args = parse_args()
    data_roots = {}
    if 'fashion_mnist' in args.datasets:
        data_roots['fashion_mnist'] = write_fashion_mnist_subset(args.data_dir, args.train_per_class,
                                                                 args.val_per_class, args.seed)
    if 'digits' in args.datasets:
        data_roots['digits'] = prepare_digits(args.data_dir)
    results = dict(command='python ' + ' '.join(sys.argv), date=time.strftime('%Y-%m-%d %H:%M'),
                   machine=f'{platform.node()}: {os.cpu_count()} CPU cores, {platform.machine()}, no GPU used',
                   settings=dict(size=args.size, max_epochs=args.max_epochs, batch_size=RECIPE_BATCH_SIZE,
                                 seed=args.seed, workers=args.workers,
                                 fashion_mnist_subset=f'{args.train_per_class * 10} train (from its train set) / '
                                                      f'{args.val_per_class * 10} val (from its test set)'),
                   paper=PAPER, datasets={})
    for name, data_root in data_roots.items():
        results['datasets'][name] = {}
        for recipe in args.recipes:
            work_dir = os.path.join(args.work_dir, f'{name}_{args.size}px_{args.max_epochs}e', recipe)
            results['datasets'][name][recipe] = train(recipe, data_root, work_dir, args, flip=name != 'digits')
            atomic_write_json(RESULTS, results)  # partial results survive an interruption
    print_table(results)
    print(f'\nwrote {RESULTS}')


if __name__ == '__main__':
    main()
