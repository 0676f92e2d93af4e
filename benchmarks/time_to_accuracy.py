#!/usr/bin/env python
"""Time to reach the baseline's best top-1: the adaptive recipe vs the fixed cosine baseline, from the recipe
benchmark's runs (no training here).

For each data set and seed of ``benchmarks/results/recipe_benchmark.json`` (``benchmarks/recipe_benchmark.py``), the
target is the baseline's best val top-1 of that seed. Each recipe's time to the target is the LR search's seconds
plus the epochs until its val top-1 first reaches the target times its mean seconds per training epoch
((wall - search) / epochs run: the runs record per-epoch accuracy, not per-epoch time). A recipe that never reaches
the target gets no time (``None``) and counts as not reaching it.

Usage:
    python benchmarks/time_to_accuracy.py [--results benchmarks/results/recipe_benchmark.json]
Writes benchmarks/results/time_to_accuracy.json.
"""
import argparse
import json
import os
import statistics
from typing import Dict, List, Optional

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.utils import atomic_write_json

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'recipe_benchmark.json')
OUT = os.path.join(REPO, 'benchmarks', 'results', 'time_to_accuracy.json')
REFERENCE = 'baseline'
"""The recipe whose best top-1 is the target."""


def time_to(run: Dict, target: float) -> Optional[Dict]:
    """Epochs and estimated seconds until ``run``'s val top-1 first reaches ``target`` (None if never)."""
    curve: List[float] = run['val_top1_curve']
    epoch = next((index + 1 for index, top1 in enumerate(curve) if top1 >= target), None)
    if epoch is None:
        return None
    search_s = run.get('search_wall_time_s') or 0.0
    per_epoch_s = (run['wall_time_s'] - search_s) / max(run['epochs_run'], 1)
    return dict(epoch=epoch, search_epochs=run.get('search_epochs') or 0.0,
                seconds=round(search_s + epoch * per_epoch_s, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--results', default=RESULTS)
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    with open(args.results) as stream:
        runs = json.load(stream)['runs']
    by_key = {(run['dataset'], run['seed'], run['recipe']): run for run in runs}
    rows = []
    for (dataset, seed, recipe), run in sorted(by_key.items()):
        reference = by_key.get((dataset, seed, REFERENCE))
        if reference is None:
            continue
        target = max(reference['val_top1_curve'])
        reached = time_to(run, target)
        rows.append(dict(dataset=dataset, seed=seed, recipe=recipe, target_top1=target, **(reached or {}),
                         reached=reached is not None))
    print(f'{"data set":<14} {"seed":>4} {"recipe":<15} {"target":>7} {"epoch":>6} {"seconds":>8}')
    for row in rows:
        print(f'{row["dataset"]:<14} {row["seed"]:>4} {row["recipe"]:<15} {row["target_top1"]:>7.4f} '
              f'{row.get("epoch", "-")!s:>6} {row.get("seconds", "never")!s:>8}')
    ratios = {}
    for recipe in sorted({row['recipe'] for row in rows} - {REFERENCE}):
        pairs = [(row['seconds'], next(other['seconds'] for other in rows if other['recipe'] == REFERENCE
                                       and (other['dataset'], other['seed']) == (row['dataset'], row['seed'])))
                 for row in rows if row['recipe'] == recipe and row['reached']]
        reached = sum(1 for row in rows if row['recipe'] == recipe and row['reached'])
        total = sum(1 for row in rows if row['recipe'] == recipe)
        ratios[recipe] = dict(reached=f'{reached}/{total}',
                              median_time_ratio=statistics.median(a / b for a, b in pairs) if pairs else None)
        print(f'{recipe}: reached the baseline\'s best top-1 in {reached}/{total} runs; median time ratio to the '
              f'baseline\'s own time to it: {ratios[recipe]["median_time_ratio"]}')
    atomic_write_json(args.out, dict(source=os.path.relpath(args.results, REPO), rows=rows, summary=ratios))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
