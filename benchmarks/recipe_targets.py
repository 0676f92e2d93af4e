#!/usr/bin/env python
"""Issue 30's targets, checked on recipe-benchmark tables (no training here).

Reads result files of ``benchmarks/recipe_benchmark.py`` (each holds the runs of one size and max_epochs) and prints
one row per data set (adaptive, baseline and timm_defaults top-1, the adaptive run's epochs, LR estimate included, as
a multiple of the baseline's) and whether each target is met, and by how much it is missed:

- on the main data sets (``--results``): adaptive - timm_defaults >= +1.5 pt and adaptive - baseline >= +2.5 pt top-1
  on average, and adaptive >= timm_defaults on the photographs (``--photos``);
- on every set, the small ones (``--small-results``) included: adaptive epochs <= 0.6x the baseline's.

``--replays`` takes ``benchmarks/stopping_replay.py`` results: each replayed adaptive run replaces the table's
run of the same data set and seed (top-1, mAP, epochs), e.g. to read the targets with another early-stop patience
measured exactly on the same runs. A replay whose logged top-1 is not the table's run's is refused (it replayed
other runs).

Usage:
    python benchmarks/recipe_targets.py --results benchmarks/results/recipe_benchmark.json \\
        benchmarks/results/recipe_benchmark_flowers.json --small-results \\
        benchmarks/results/recipe_benchmark_small_*.json [--replays R.json ...]
Writes benchmarks/results/recipe_targets.json (``--output``).
"""
import argparse
import json
import os
import statistics
import sys
from typing import Dict, List

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.utils import atomic_write_json
from benchmarks.common.run_info import command_line, today

OUTPUT = os.path.join(REPO, 'benchmarks', 'results', 'recipe_targets.json')
RECIPES = ('adaptive', 'baseline', 'timm_defaults')
MIN_GAIN_OVER_TIMM = 1.5
"""Issue 30: adaptive - timm_defaults, top-1 pt, averaged over the main data sets."""
MIN_GAIN_OVER_BASELINE = 2.5
"""Issue 30: adaptive - baseline, top-1 pt, averaged over the main data sets."""
MAX_EPOCH_RATIO = 0.6
"""Issue 30: adaptive epochs (training + LR estimate) / the baseline's, on every data set."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--results', nargs='+', required=True, metavar='JSON',
                        help='recipe-benchmark result files of the main data sets')
    parser.add_argument('--small-results', nargs='*', default=[], metavar='JSON',
                        help='recipe-benchmark result files of the small sets (only the epoch target applies)')
    parser.add_argument('--photos', nargs='*', default=['flowers'], metavar='DATASET',
                        help='main data sets of real photographs, where adaptive must reach timm_defaults '
                        '(default: flowers)')
    parser.add_argument('--replays', nargs='*', default=[], metavar='JSON',
                        help='benchmarks/stopping_replay.py results whose replayed adaptive runs replace the tables\' '
                        'runs')
    parser.add_argument('--output', default=OUTPUT, help='JSON output (default: %(default)s)')
    return parser.parse_args(argv)


def load_runs(paths: List[str]) -> List[Dict]:
    """The adaptive, baseline and timm_defaults runs of the files, each with ``total_epochs`` (training + search).

    Raises:
        ValueError: a run (data set, recipe, seed) that two files, or one file twice, hold.
    """
    runs, sources = [], {}
    for path in paths:
        with open(path) as stream:
            for run in json.load(stream)['runs']:
                if run['recipe'] not in RECIPES:
                    continue
                identity = (run['dataset'], run['recipe'], run['seed'])
                if identity in sources:
                    raise ValueError(f'{identity} is in both {sources[identity]} and {path}; keep one.')
                sources[identity] = path
                runs.append(dict(run, total_epochs=run['epochs_run'] + run['search_epochs'], source=path))
    return runs


def apply_replays(runs: List[Dict], replay_paths: List[str]) -> int:
    """Replaces the adaptive runs that a replay file holds by their replayed figures; returns how many.

    Raises:
        ValueError: a replayed run whose logged top-1 differs from the table's run (the replay read other runs).
    """
    by_identity = {(run['dataset'], run['recipe'], run['seed']): run for run in runs}
    replaced = 0
    for path in replay_paths:
        with open(path) as stream:
            replays = json.load(stream)['runs']
        for replay in replays:
            run = by_identity.get((replay['dataset'], replay['recipe'], replay['seed']))
            if run is None or 'replayed' not in replay:
                continue
            if abs(replay['logged']['top1'] - run['top1']) > 1e-6:
                raise ValueError(f'--replays {path}: {replay["dataset"]} {replay["recipe"]} seed {replay["seed"]} '
                                 f'logged top-1 {replay["logged"]["top1"]:.4f}, the table\'s run {run["top1"]:.4f} '
                                 f'({run["source"]}): the replay is of other runs.')
            run.update(top1=replay['replayed']['top1'], mAP=replay['replayed']['mAP'],
                       total_epochs=replay['replayed']['epochs'], replayed=path)
            replaced += 1
    return replaced


def per_dataset(runs: List[Dict]) -> Dict[str, Dict[str, Dict]]:
    """``rows[dataset][recipe]``: mean top-1, mAP and total epochs over seeds, and the seeds."""
    grouped: Dict[str, Dict[str, List[Dict]]] = {}
    for run in runs:
        grouped.setdefault(run['dataset'], {}).setdefault(run['recipe'], []).append(run)
    rows = {}
    for dataset, recipes in grouped.items():
        missing = [recipe for recipe in RECIPES if recipe not in recipes]
        if missing:
            raise ValueError(f'{dataset}: no run of {", ".join(missing)} in the result files')
        rows[dataset] = {recipe: dict(top1=statistics.fmean(run['top1'] for run in recipe_runs),
                                      mAP=statistics.fmean(run['mAP'] for run in recipe_runs),
                                      total_epochs=statistics.fmean(run['total_epochs'] for run in recipe_runs),
                                      seeds=sorted(run['seed'] for run in recipe_runs))
                         for recipe, recipe_runs in recipes.items()}
    return rows


def check_targets(main: Dict, small: Dict, photos: List[str]) -> List[Dict]:
    """Each target with its value, its threshold and whether it is met."""
    def average(recipe: str) -> float:
        return statistics.fmean(rows[recipe]['top1'] for rows in main.values())

    targets = [dict(name='adaptive - timm_defaults, top-1 pt, average', value=100 * (average('adaptive') -
                    average('timm_defaults')), threshold=MIN_GAIN_OVER_TIMM, rule='>='),
               dict(name='adaptive - baseline, top-1 pt, average', value=100 * (average('adaptive') -
                    average('baseline')), threshold=MIN_GAIN_OVER_BASELINE, rule='>=')]
    for dataset in photos:
        if dataset in main:
            targets.append(dict(name=f'adaptive - timm_defaults, top-1 pt, {dataset}', rule='>=', threshold=0.0,
                                value=100 * (main[dataset]['adaptive']['top1'] - main[dataset]['timm_defaults']['top1'])))
    for dataset, rows in {**main, **small}.items():
        targets.append(dict(name=f'adaptive epochs / baseline epochs, {dataset}', rule='<=', threshold=MAX_EPOCH_RATIO,
                            value=rows['adaptive']['total_epochs'] / rows['baseline']['total_epochs']))
    for target in targets:
        target['met'] = (target['value'] >= target['threshold'] if target['rule'] == '>='
                         else target['value'] <= target['threshold'])
    return targets


def print_report(main: Dict, small: Dict, targets: List[Dict]) -> None:
    print('| data set | adaptive top-1 | timm_defaults | baseline | adaptive epochs (train + estimate) | x baseline\'s |')
    print('|---|---|---|---|---|---|')
    for dataset, rows in {**main, **small}.items():
        adaptive, baseline = rows['adaptive'], rows['baseline']
        print(f'| {dataset} | {adaptive["top1"]:.4f} | {rows["timm_defaults"]["top1"]:.4f} | '
              f'{baseline["top1"]:.4f} | {adaptive["total_epochs"]:.1f} | '
              f'{adaptive["total_epochs"] / baseline["total_epochs"]:.3f} |')
    for recipe in RECIPES:
        print(f'average of {len(main)} main sets, {recipe}: top-1 '
              f'{statistics.fmean(rows[recipe]["top1"] for rows in main.values()):.4f}')
    for target in targets:
        verdict = 'met' if target['met'] else f'MISSED by {abs(target["value"] - target["threshold"]):.3g}'
        print(f'{target["name"]}: {target["value"]:.3f} (target {target["rule"]} {target["threshold"]}): {verdict}')


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        main_runs, small_runs = load_runs(args.results), load_runs(args.small_results)
        replaced = apply_replays(main_runs + small_runs, args.replays)
        main_rows, small_rows = per_dataset(main_runs), per_dataset(small_runs)
    except (OSError, ValueError, KeyError) as error:
        sys.exit(f'error: {error}')
    if args.replays:
        print(f'{replaced} adaptive runs replaced by their replays ({", ".join(args.replays)})')
    targets = check_targets(main_rows, small_rows, args.photos)
    print_report(main_rows, small_rows, targets)
    atomic_write_json(args.output, dict(command=command_line(), date=today(), results=args.results,
                                        small_results=args.small_results, replays=args.replays,
                                        replaced_runs=replaced, per_dataset={**main_rows, **small_rows},
                                        targets=targets))
    print(f'wrote {args.output}')


if __name__ == '__main__':
    main()
