#!/usr/bin/env python
"""Replays ReduceLROnPlateauV2 with other settings on the logged runs of the recipe benchmark (no training here).

The drops and the stop of the adaptive schedule depend only on the logged per-epoch figures (val top-1, or the mean
train loss). Until a replayed schedule drops the LR at another epoch than the logged run did, that run's trajectory
*is* the logged one, so a rule that changes only when training stops (e.g. a smaller ``early_stop_patience``) is
measured exactly: its result is the best-by-top-1 epoch up to its stop. A replay whose drops differ from the logged
ones before its stop, or that would train past the logged run's end, is reported as not replayable: that setting
needs real runs (``benchmarks/recipe_benchmark.py``).

Each run is first replayed with its own settings, which must give its logged drops, stop epoch and best top-1
(a check of the replay itself; a mismatch is reported and the run skipped).

Usage:
    python benchmarks/stopping_replay.py --work-dir work_dirs/recipe_benchmark_v3 --recipes adaptive \\
        --set early_stop_patience=1
    python benchmarks/stopping_replay.py --quick --work-dir W   # the runs of recipe_benchmark.py --quick --work-dir W
Writes benchmarks/results/stopping_replay.json (``--results``).
"""
import argparse
import ast
import glob
import json
import os
import statistics
import sys
from types import SimpleNamespace
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import OptimWrapper
from torch import nn

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.engine.hooks import ReduceLROnPlateauV2
from adaptcls.engine.hooks.reduce_lr_on_plateau_v2 import TRAIN_LOSS
from adaptcls.utils import atomic_write_json
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, today
from benchmarks.recipe_benchmark import QUICK as RECIPE_QUICK

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'stopping_replay.json')
DATASETS = ('digits', 'fashion_mnist', 'cifar10')
QUICK = {key: RECIPE_QUICK[key] for key in ('datasets', 'seeds', 'size', 'max_epochs')}
"""--quick: the data sets, seeds, input size and max_epochs of ``recipe_benchmark.py --quick``'s runs."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/recipe_benchmark', help='the recipe benchmark\'s work dir '
                        '(default: %(default)s)')
    parser.add_argument('--recipes', nargs='+', default=['adaptive'], help='recipe rows to replay (default: adaptive)')
    parser.add_argument('--datasets', nargs='+', default=list(DATASETS), help='default: %(default)s')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1], help='default: 0 1')
    parser.add_argument('--size', type=int, default=64, help='the runs\' input size in px (default: 64)')
    parser.add_argument('--max-epochs', type=int, default=50, help='the runs\' max_epochs (default: 50)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', dest='overrides',
                        help='a ReduceLROnPlateauV2 argument to replay with, e.g. early_stop_patience=1; repeatable')
    add_quick_option(parser, QUICK)
    parser.add_argument('--results', default=RESULTS, help='JSON output (default: %(default)s)')
    args = apply_quick(parser.parse_args(argv), QUICK)
    args.overrides = dict(_parse_override(item) for item in args.overrides)
    return args


def _parse_override(item: str) -> tuple:
    key, sep, value = item.partition('=')
    if not sep or not key:
        sys.exit(f'--set {item}: expected KEY=VALUE, e.g. early_stop_patience=1')
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        sys.exit(f'--set {item}: VALUE must be a Python literal (a number, a quoted string)')


def _fake_runner(max_epochs: int, name: str) -> SimpleNamespace:
    """The parts of mmengine's Runner the hook uses: one parameter group at lr 1 (drops and floors are relative), an
    epoch of no iterations (the replay drives epochs and validations; the warm-up's lr values enter no decision)."""
    sgd = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    return SimpleNamespace(epoch=0, iter=0, max_epochs=max_epochs, val_loop=object(),
                           train_loop=SimpleNamespace(stop_training=False, dataloader=[]),
                           optim_wrapper=OptimWrapper(sgd),
                           message_hub=MessageHub.get_instance(name),
                           logger=MMLogger.get_instance(name, log_level='WARNING'))


def replay(hook_args: Dict, history: List[Dict], max_epochs: int, name: str) -> Dict:
    """Drives a ReduceLROnPlateauV2 as the train loop does over the logged epochs.

    Returns:
        dict: ``stop_epoch`` (None if it would not stop within the logged epochs) and ``drops`` (epochs).
    """
    hook = ReduceLROnPlateauV2(**hook_args)
    runner = _fake_runner(max_epochs, name)
    hook.before_train(runner)
    for entry in history:
        epoch = entry['epoch']
        runner.epoch = epoch - 1
        hook.before_train_epoch(runner)
        if hook.monitor == TRAIN_LOSS:
            hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(entry['train_loss'])))
        hook.after_train_epoch(runner)
        runner.epoch = epoch
        hook.after_val_epoch(runner, metrics=entry['val'])
        if runner.train_loop.stop_training:
            return dict(stop_epoch=epoch, drops=[drop['epoch'] for drop in hook.state.lr_drops])
    return dict(stop_epoch=None, drops=[drop['epoch'] for drop in hook.state.lr_drops])


def best_up_to(history: List[Dict], last_epoch: int) -> Dict:
    """The best-by-val-top-1 epoch (the first of equals, as the best checkpoint) among epochs 1..last_epoch."""
    best = None
    for entry in history:
        if entry['epoch'] > last_epoch:
            break
        if best is None or entry['val']['top1'] > best['val']['top1']:
            best = entry
    return best


def hook_settings(run_dir: str) -> tuple:
    """The run's ReduceLROnPlateauV2 arguments from its dumped config (a run made before the hook owned the warm-up
    declared it as a LinearLR param scheduler: its length is read from there)."""
    configs = sorted(glob.glob(os.path.join(run_dir, '*_benchmark_config.py')))  # named after the recipe it ran as
    if len(configs) != 1:
        raise ValueError(f'{run_dir}: expected one *_benchmark_config.py (the dumped config of the run), found '
                         f'{len(configs)}')
    cfg = Config.fromfile(configs[0])
    hooks = [dict(hook) for hook in cfg.get('custom_hooks', []) if hook['type'] == 'ReduceLROnPlateauV2']
    if not hooks:
        raise ValueError(f'{run_dir}: its config has no ReduceLROnPlateauV2 hook: nothing to replay')
    hook_args = {key: value for key, value in hooks[0].items() if key != 'type'}
    warmups = [step for step in cfg.get('param_scheduler') or [] if step['type'] == 'LinearLR'
               and step.get('begin', 0) == 0]
    if warmups:
        hook_args.update(warmup_epochs=int(warmups[0]['end']), warmup_start_factor=warmups[0]['start_factor'])
    return hook_args, cfg.train_cfg.max_epochs


def replay_run(run_dir: str, overrides: Dict, summary: Dict, history: List[Dict]) -> Dict:
    """One run: the self-check with its own settings, then the replay with ``overrides``."""
    hook_args, max_epochs = hook_settings(run_dir)
    search_epochs = (summary.get('lr_search') or {}).get('total_trained_epochs', 0.0)
    logged_drops = [drop['epoch'] for drop in summary.get('lr_drops') or []]
    logged_stop = summary['epochs_run'] if summary['stopped_early'] else None
    own = replay(hook_args, history, max_epochs, f'replay_own_{run_dir}')
    logged = dict(top1=summary['best_metrics']['top1'], mAP=summary['best_metrics']['mAP'],
                  epochs=summary['epochs_run'] + search_epochs, drops=logged_drops)
    result = dict(work_dir=run_dir, logged=logged)
    own_best = best_up_to(history, own['stop_epoch'] or len(history))
    if own['drops'] != logged_drops or own['stop_epoch'] != logged_stop or \
            abs(own_best['val']['top1'] - logged['top1']) > 1e-9:
        result['error'] = (f'the replay with the run\'s own settings differs from the log (drops {own["drops"]} vs '
                           f'{logged_drops}, stop {own["stop_epoch"]} vs {logged_stop}): skipped')
        return result
    new = replay({**hook_args, **overrides}, history, max_epochs, f'replay_new_{run_dir}')
    stop = new['stop_epoch'] or len(history)
    if new['stop_epoch'] is None and len(history) < max_epochs:
        result['error'] = f'it would train past the logged run\'s end (epoch {len(history)}): needs a real run'
        return result
    if [epoch for epoch in new['drops'] if epoch < stop] != [epoch for epoch in logged_drops if epoch < stop]:
        result['error'] = (f'its drops {new["drops"]} differ from the logged {logged_drops} before its stop '
                           f'(epoch {stop}): needs a real run')
        return result
    best = best_up_to(history, stop)
    result['replayed'] = dict(top1=best['val']['top1'], mAP=best['val']['mAP'], best_epoch=best['epoch'],
                              epochs=stop + search_epochs, stop_epoch=new['stop_epoch'])
    return result


def _mean(values: List[float]) -> Optional[float]:
    return round(statistics.fmean(values), 4) if values else None


def main(argv=None) -> None:
    args = parse_args(argv)
    results = dict(command=command_line(), date=today(), overrides=args.overrides, runs=[], averages={})
    for recipe in args.recipes:
        for dataset in args.datasets:
            for seed in args.seeds:
                run_dir = os.path.join(args.work_dir, f'{dataset}_{args.size}px_{args.max_epochs}e', recipe,
                                       f'seed{seed}')
                if not os.path.isfile(os.path.join(run_dir, 'summary.json')):
                    print(f'{dataset} {recipe} seed {seed}: not finished ({run_dir}/summary.json missing): skipped')
                    continue
                with open(os.path.join(run_dir, 'summary.json')) as stream:
                    summary = json.load(stream)
                with open(os.path.join(run_dir, 'history.json')) as stream:
                    history = json.load(stream)
                run = dict(dataset=dataset, recipe=recipe, seed=seed,
                           **replay_run(run_dir, args.overrides, summary, history))
                results['runs'].append(run)
                logged = run['logged']
                line = (f'{dataset:<14} {recipe:<22} seed {seed}: logged {logged["top1"]:.4f} / {logged["mAP"]:.4f} '
                        f'in {logged["epochs"]:.1f} epochs (drops {logged["drops"]})')
                if 'error' in run:
                    print(f'{line}; replay: {run["error"]}')
                    continue
                new = run['replayed']
                print(f'{line}; replayed {new["top1"]:.4f} / {new["mAP"]:.4f} in {new["epochs"]:.1f} epochs')
        replayed = [run for run in results['runs'] if run['recipe'] == recipe and 'replayed' in run]
        total = [run for run in results['runs'] if run['recipe'] == recipe]
        average = dict(runs=len(total), replayed=len(replayed), **{
            f'{side}_{key}': _mean([run[side][key] for run in replayed])
            for side in ('logged', 'replayed') for key in ('top1', 'mAP', 'epochs')})
        results['averages'][recipe] = average
        print(f'== {recipe}, {len(replayed)}/{len(total)} runs replayable, with {args.overrides}: logged '
              f'{average["logged_top1"]} / {average["logged_mAP"]} in {average["logged_epochs"]} epochs; replayed '
              f'{average["replayed_top1"]} / {average["replayed_mAP"]} in {average["replayed_epochs"]} epochs')
    atomic_write_json(args.results, results)
    print(f'wrote {args.results}')


if __name__ == '__main__':
    main()
