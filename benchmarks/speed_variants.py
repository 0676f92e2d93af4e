#!/usr/bin/env python
"""Training-step speed of the recipe's own model and optimizer, variant against variant, side by side in one run.

One training step is what ``ImageClassifier.train_step`` does under mmengine's Runner: the data preprocessor, the
forward pass(es) and the update through the config's optim wrapper (SAM: two passes; SGD: one), built from the recipe
config itself (``configs/effnet_lite0_adaptive.py`` for SAM, ``configs/effnet_lite0_baseline.py`` for SGD; random
weights, the same seeded uint8 batch). Variants (``--variants``):

- ``fp32``: as the configs train today;
- ``bf16``: ``--amp bf16`` (both SAM passes under bf16 autocast);
- ``channels_last``: the model and the batch in NHWC memory format (``model.channels_last=True``);
- ``bf16_channels_last``: both.

Each round times ``--iters`` steps of every variant (after ``--warmup`` untimed ones, each variant on its own fresh
model), in an order that rotates from round to round so that load drift on a shared machine hits all; the medians
over rounds are compared with ``fp32``'s. Only ratios measured in one run mean anything: the CPU (its flags are
printed: bf16 is fast only with native support, AVX-512 BF16 or AMX) and the load differ between machines.

Usage:
    python benchmarks/speed_variants.py                      # Lite0, 64 px, batch 32, 1 thread, SAM and SGD
    python benchmarks/speed_variants.py --model mnv3_large --size 224 --device cuda
    python benchmarks/speed_variants.py --quick              # 1 round x 2 steps of batch 8
Writes benchmarks/results/speed_variants.json.
"""
import argparse
import copy
import os
import time
from typing import Dict, List

import torch

from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.config import enable_amp
from adaptcls.models.config_nodes import switch_off_pretraining
from adaptcls.registry import MODELS, adaptcls_scope
from adaptcls.setup_env import init_entry_point
from adaptcls.structures import ClsDataSample
from adaptcls.utils import atomic_write_json
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, spread, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'speed_variants.json')
CONFIGS = {'sam': 'configs/{model}_adaptive.py', 'sgd': 'configs/{model}_baseline.py'}
"""The recipe config of each optimizer (the adaptive recipe: SAM; the baseline: SGD)."""
VARIANTS = ('fp32', 'bf16', 'channels_last', 'bf16_channels_last')
NUM_CLASSES = 10
QUICK = dict(rounds=1, iters=2, warmup=1, batch=8)
"""--quick rounds, timed and untimed steps per variant and round, and batch size."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', default='effnet_lite0', help='configs/<model>_adaptive.py (default: %(default)s)')
    parser.add_argument('--size', type=int, default=64, help='input size (default: %(default)s)')
    parser.add_argument('--batch', type=int, default=32, help='batch size (default: %(default)s)')
    parser.add_argument('--rounds', type=int, default=5, help='rotating rounds (default: %(default)s)')
    parser.add_argument('--iters', type=int, default=6, help='timed steps per variant and round (default: %(default)s)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per variant and round')
    parser.add_argument('--threads', type=int, default=1, help='torch threads (default: %(default)s)')
    parser.add_argument('--optimizers', nargs='+', choices=sorted(CONFIGS), default=['sam', 'sgd'])
    parser.add_argument('--variants', nargs='+', choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument('--device', default='cpu', help='torch device (default: %(default)s)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--out', default=RESULTS, help='result JSON (default: %(default)s)')
    return apply_quick(parser.parse_args(), QUICK)


def build_step(config: str, variant: str, batch: Dict, device: str):
    """A fresh model and optim wrapper of ``config`` in ``variant``; returns a function that runs one step."""
    cfg = Config.fromfile(os.path.join(REPO, config))
    switch_off_pretraining(cfg.model)
    cfg.model.head.num_classes = NUM_CLASSES
    if 'channels_last' in variant:
        cfg.model.channels_last = True
    if 'bf16' in variant:
        enable_amp(cfg, 'bf16')
    torch.manual_seed(0)
    with adaptcls_scope():
        model = MODELS.build(cfg.model).to(device)
        model.train()
        optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    return lambda: model.train_step(batch, optim_wrapper)


def make_batch(size: int, batch_size: int) -> Dict:
    """A seeded batch of uint8 images and labels, as the dataloader hands it to the data preprocessor."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (batch_size, 3, size, size), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, NUM_CLASSES, (batch_size,), generator=generator)
    samples = []
    for label in labels:
        sample = ClsDataSample()
        sample.set_gt_label(int(label))
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)


def time_steps(step, warmup: int, iters: int) -> float:
    """Images per second of ``iters`` steps after ``warmup`` untimed ones (returns seconds per step)."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - start) / iters


def measure(args, optimizer: str, batch: Dict) -> Dict:
    config = CONFIGS[optimizer].format(model=args.model)
    per_round: Dict[str, List[float]] = {variant: [] for variant in args.variants}
    for round_index in range(args.rounds):
        shift = round_index % len(args.variants)
        for variant in args.variants[shift:] + args.variants[:shift]:
            seconds = time_steps(build_step(config, variant, batch, args.device), args.warmup, args.iters)
            per_round[variant].append(args.batch / seconds)
        print(f'[{optimizer}] round {round_index + 1}/{args.rounds}: ' + ', '.join(
            f'{variant} {values[-1]:.1f} img/s' for variant, values in per_round.items()), flush=True)
    summary = {variant: spread(values) for variant, values in per_round.items()}
    reference = summary[args.variants[0]]['median']
    return dict(config=config, images_per_s=summary, rounds=per_round,
                ratio_to_first={variant: summary[variant]['median'] / reference for variant in args.variants})


def main() -> None:
    args = parse_args()
    init_entry_point()
    torch.set_num_threads(args.threads)
    batch = make_batch(args.size, args.batch)
    results = {name: measure(args, name, batch) for name in args.optimizers}
    print(f'\n{args.model}, {args.size} px, batch {args.batch}, {args.threads} thread(s), {args.device}; '
          f'{machine()}')
    for name, result in results.items():
        print(f'{name}: ' + ', '.join(f'{variant} {result["images_per_s"][variant]["median"]:.1f} img/s '
                                       f'(x{ratio:.3f})' for variant, ratio in result['ratio_to_first'].items()))
    atomic_write_json(args.out, dict(date=today(), command=command_line(), machine=machine(), settings=vars(args),
                                     results=results))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
