#!/usr/bin/env python
"""Optimizer step time with mmengine's one parameter group per parameter vs merged groups (issue 14, item 2).

Both sides use the adaptive schedule's optimizer and ``paramwise_cfg`` (configs/_base_/schedules/sam_plateau_v2.py:
SGD, momentum 0.9, weight decay 5e-4, biases 2x lr without decay, norm weights without decay), built by mmengine's
``DefaultOptimWrapperConstructor`` (one group per parameter) or adaptcls's ``MergedGroupsOptimWrapperConstructor``
(one group per set of hyper-parameters), over the same timm model (random weights, ``pretrained=False``).

- sgd: ``OptimWrapper.step()`` + ``zero_grad()`` with the real gradients of one batch at --size px (restored before
  every step, untimed);
- sam: ``SAMOptimWrapper.step_with_closure`` with a synthetic loss ``sum(p * g)`` whose gradient is that same real
  gradient, so its two backward passes cost one multiply-add per parameter on both sides: the figure is SAM's own
  work (perturb, restore, step, zero_grad) plus that small, equal cost.

Each round times --steps steps of each side after --warmup untimed ones; the sides alternate (unmerged first in even
rounds, merged first in odd ones) so that load drift on a shared machine hits both; the medians over the rounds are
compared. For scale, the forward + backward pass of one training batch is timed too.

Usage:
    python benchmarks/param_groups.py              # EfficientNet-Lite0 and MobileNetV3-large, 64 px, 1 thread
    python benchmarks/param_groups.py --quick      # 3 rounds x 10 steps
Writes benchmarks/results/param_groups.json.
"""
import argparse
import copy
import os
import statistics
from typing import Callable, Dict, List

import torch

import timm
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.registry import adaptcls_scope
from adaptcls.setup_env import init_entry_point
from adaptcls.utils import atomic_write_json
from benchmarks.common.clock import ClockReading
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, machine, spread, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'param_groups.json')
SCHEDULE = os.path.join(REPO, 'configs', '_base_', 'schedules', 'sam_plateau_v2.py')
CONSTRUCTORS = {'unmerged': 'DefaultOptimWrapperConstructor', 'merged': 'MergedGroupsOptimWrapperConstructor'}
WRAPPERS = {'sgd': 'OptimWrapper', 'sam': 'SAMOptimWrapper'}
SAM_ONLY_KEYS = ('rho', 'adaptive')
"""Keys of the schedule's optim_wrapper that only SAMOptimWrapper takes."""
NUM_CLASSES = 10
"""Classes of the models' classifier layer."""
FORWARD_BACKWARD_REPEATS = 5
"""Timed forward + backward passes of one batch (the median is reported, for scale)."""
QUICK = dict(rounds=3, steps=10)
"""--quick rounds and timed steps per round."""
MS = 1e3
THREADS_NOTE = ('1 torch thread by default: what the group count changes is the optimizer\'s per-group Python work, '
                'single-threaded either way, and on the shared 2-core machine a second thread mostly adds noise.')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', default=['efficientnet_lite0', 'mobilenetv3_large_100'],
                        help='timm models (default: %(default)s)')
    parser.add_argument('--size', type=int, default=64, help='input size of the gradient batch (default: %(default)s)')
    parser.add_argument('--batch', type=int, default=32, help='batch size of the gradient batch (default: %(default)s)')
    parser.add_argument('--wrappers', nargs='+', choices=sorted(WRAPPERS), default=['sgd', 'sam'])
    parser.add_argument('--rounds', type=int, default=7, help='alternating rounds (default: %(default)s)')
    parser.add_argument('--steps', type=int, default=30, help='timed steps per side and round (default: %(default)s)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per side and round (default: %(default)s)')
    add_quick_option(parser, QUICK)
    parser.add_argument('--threads', type=int, default=1,
                        help="torch threads; 0 keeps torch's default (default: %(default)s, see THREADS_NOTE)")
    parser.add_argument('--seed', type=int, default=0, help='seed of the model and the batch (default: 0)')
    parser.add_argument('--note', default='', help='a remark stored with the results (e.g. machine load)')
    parser.add_argument('--out', default=RESULTS, help='result JSON (default: %(default)s)')
    args = parser.parse_args()
    apply_quick(args, QUICK)
    return args


def optim_wrapper_cfg(wrapper: str, constructor: str) -> dict:
    """The adaptive schedule's optim_wrapper as ``wrapper`` (sgd / sam), built by ``constructor``."""
    cfg = Config.fromfile(SCHEDULE).optim_wrapper.to_dict()
    cfg.update(type=WRAPPERS[wrapper], constructor=CONSTRUCTORS[constructor])
    if wrapper != 'sam':
        for key in SAM_ONLY_KEYS:
            cfg.pop(key, None)
    return cfg


def real_gradients(model: torch.nn.Module, size: int, batch: int, seed: int) -> tuple:
    """The gradient of one random batch, and the median time of its forward + backward pass (ms)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, 3, size, size, generator=generator)
    labels = torch.randint(0, NUM_CLASSES, (batch,), generator=generator)
    times = []
    for _ in range(FORWARD_BACKWARD_REPEATS):
        model.zero_grad(set_to_none=True)
        start = ClockReading.now()
        F.cross_entropy(model(inputs), labels).backward()
        times.append((ClockReading.now().wall_s - start.wall_s) * MS)
    return [param.grad.detach().clone() for param in model.parameters()], statistics.median(times)


def step_function(wrapper: str, model: torch.nn.Module, optim_wrapper, grads: List[torch.Tensor]) -> Callable:
    """One timed step of ``optim_wrapper``: returns (wall ms, CPU ms); the gradients are restored untimed."""
    params = list(model.parameters())

    def compute_loss():
        return sum((param * grad).sum() for param, grad in zip(params, grads)), {}

    def step() -> tuple:
        if wrapper == 'sgd':
            for param, grad in zip(params, grads):
                param.grad = grad.clone()
        start = ClockReading.now()
        if wrapper == 'sgd':
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        else:
            optim_wrapper.step_with_closure(compute_loss)
        end = ClockReading.now()
        return (end.wall_s - start.wall_s) * MS, (end.cpu_s - start.cpu_s) * MS

    return step


def measure(args: argparse.Namespace, model_name: str) -> Dict:
    """Alternating rounds of both layouts for one model and every wrapper; returns the figures."""
    torch.manual_seed(args.seed)
    model = timm.create_model(model_name, pretrained=False, num_classes=NUM_CLASSES)
    grads, forward_backward_ms = real_gradients(model, args.size, args.batch, args.seed)
    result = dict(parameters=len(grads), forward_backward_ms=forward_backward_ms)
    for wrapper in args.wrappers:
        steps, groups = {}, {}
        for side in CONSTRUCTORS:
            side_model = copy.deepcopy(model)
            side_model.zero_grad(set_to_none=True)  # the copy carries the batch's gradient; each step sets its own
            with adaptcls_scope():
                optim_wrapper = build_optim_wrapper(side_model, optim_wrapper_cfg(wrapper, side))
            groups[side] = len(optim_wrapper.optimizer.param_groups)
            steps[side] = step_function(wrapper, side_model, optim_wrapper, grads)
        rounds = []
        for index in range(args.rounds):
            order = list(CONSTRUCTORS) if index % 2 == 0 else list(reversed(CONSTRUCTORS))
            row = dict(order=order)
            for side in order:
                for _ in range(args.warmup):
                    steps[side]()
                timed = [steps[side]() for _ in range(args.steps)]
                row[f'{side}_ms'] = statistics.median(wall for wall, _ in timed)
                row[f'{side}_cpu_ms'] = statistics.median(cpu for _, cpu in timed)
            row['ratio'] = row['merged_ms'] / row['unmerged_ms']
            row['cpu_ratio'] = row['merged_cpu_ms'] / row['unmerged_cpu_ms']
            rounds.append(row)
            print(f'[{model_name} {wrapper}] round {index + 1}/{args.rounds}: unmerged {row["unmerged_ms"]:.2f} ms, '
                  f'merged {row["merged_ms"]:.2f} ms, merged / unmerged {row["ratio"]:.3f} '
                  f'(CPU time {row["cpu_ratio"]:.3f})', flush=True)
        summary = {key: spread([row[key] for row in rounds])
                   for key in ('unmerged_ms', 'merged_ms', 'ratio', 'unmerged_cpu_ms', 'merged_cpu_ms', 'cpu_ratio')}
        saving_ms = summary['unmerged_ms']['median'] - summary['merged_ms']['median']
        passes = 2 if wrapper == 'sam' else 1  # SAM: two forward + backward passes per step
        iteration_ms = passes * forward_backward_ms + summary['unmerged_ms']['median']
        result[wrapper] = dict(groups=groups, rounds=rounds, **summary,
                               ratio_of_medians=summary['merged_ms']['median'] / summary['unmerged_ms']['median'],
                               saving_ms=saving_ms, unmerged_iteration_ms=iteration_ms,
                               saving_of_iteration=saving_ms / iteration_ms)
    return result


def print_table(results: Dict[str, Dict]) -> None:
    header = (f'{"model":22} {"wrapper":7} {"groups":>8} {"unmerged ms":>11} {"merged ms":>9} {"ratio":>6} '
              f'{"round ratios":>13} {"CPU ratio":>9} {"CPU round ratios":>16} {"saved / iteration":>17}')
    print('\n' + header + '\n' + '-' * len(header))
    for model_name, result in results.items():
        for wrapper in WRAPPERS:
            if wrapper not in result:
                continue
            row = result[wrapper]
            groups = f'{row["groups"]["unmerged"]}->{row["groups"]["merged"]}'
            print(f'{model_name:22} {wrapper:7} {groups:>8} {row["unmerged_ms"]["median"]:11.2f} '
                  f'{row["merged_ms"]["median"]:9.2f} {row["ratio"]["median"]:6.3f} '
                  f'{row["ratio"]["min"]:6.3f}-{row["ratio"]["max"]:.3f} {row["cpu_ratio"]["median"]:9.3f} '
                  f'{row["cpu_ratio"]["min"]:9.3f}-{row["cpu_ratio"]["max"]:.3f} {row["saving_of_iteration"]:17.2%}')
    print('(ms: medians over rounds of each round\'s median step; ratio = merged / unmerged step time, measured side '
          'by side in each round: the median over rounds, and the range; CPU ratio: the same in CPU time of the '
          'process; saved / iteration = the time saved per step over the unmerged training iteration: forward + '
          'backward of the batch, twice for SAM, plus the step)')


def main() -> None:
    args = parse_args()
    init_entry_point()
    MMLogger.get_instance('param_groups', log_level='WARNING')  # the current logger: no per-parameter INFO lines
    if args.threads:
        torch.set_num_threads(args.threads)
    results = {model_name: measure(args, model_name) for model_name in args.models}
    print_table(results)
    atomic_write_json(args.out, dict(
        command=command_line(), date=today(), machine=machine(), note=args.note,
        settings=dict(models=args.models, pretrained=False, input_size=args.size, batch=args.batch,
                      wrappers=args.wrappers, rounds=args.rounds, timed_steps_per_round=args.steps,
                      warmup_steps_per_round=args.warmup, seed=args.seed, torch_threads=torch.get_num_threads(),
                      threads_note=THREADS_NOTE, schedule=os.path.relpath(SCHEDULE, REPO)),
        results=results))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
