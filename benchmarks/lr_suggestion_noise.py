#!/usr/bin/env python
"""How much does noise move the fast.ai-style LR suggestion? Bootstrap of a real range-test curve.

Reads the raw losses of a range test (``WORK_DIR/lr_search/trials.csv`` of ``tools/lr_search.py --mode range_test``
or of ``tools/train.py`` with the adaptive recipe), fits a smooth curve (a polynomial in log-lr), and draws
``--draws`` new curves = fit + the residuals in a random order: the same loss landscape, other noise. Each rule
('steepest', 'valley') reads each curve exactly as tools/lr_search.py does (bias-corrected EMA, skip the first 10%
and last 5 points); the spread of its picks is its sensitivity to noise. Results: benchmarks/results/lr_suggestion_noise.json.

Usage:
    python benchmarks/lr_suggestion_noise.py work_dirs/recipe_benchmark/cifar10_64px_50e/adaptive/seed0/lr_search/trials.csv
    python benchmarks/lr_suggestion_noise.py --quick CURVES...     # 50 draws per curve
"""
import argparse
import csv
import os

import numpy as np

from _repo_path import REPO  # before adaptcls and benchmarks: puts the repository root first on sys.path
from adaptcls.lr_search.lr_search_settings import SUGGESTION_RULES, LRSearchSettings
from adaptcls.lr_search.lr_suggestions import SmoothedLoss, suggest_index
from adaptcls.utils import atomic_write_json
from benchmarks.common.quick_mode import add_quick_option, apply_quick
from benchmarks.common.run_info import command_line, today

RESULTS = os.path.join(REPO, 'benchmarks', 'results', 'lr_suggestion_noise.json')
QUICK = dict(draws=50)
"""--quick noise draws per curve."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('curves', nargs='+', help='trials.csv files of range tests')
    parser.add_argument('--draws', type=int, default=500, help='noise draws per curve (default: 500)')
    parser.add_argument('--degree', type=int, default=4, help='degree of the fitted polynomial (default: 4)')
    parser.add_argument('--seed', type=int, default=0, help='default: 0')
    add_quick_option(parser, QUICK)
    parser.add_argument('--results', default=RESULTS, help='default: %(default)s')
    return apply_quick(parser.parse_args(argv), QUICK)


def read_curve(path: str):
    with open(path) as stream:
        rows = list(csv.DictReader(stream))
    return np.array([float(row['lr']) for row in rows]), np.array([float(row['loss']) for row in rows])


def pick(rule: str, lrs: np.ndarray, losses: np.ndarray, settings: LRSearchSettings) -> float:
    """The suggestion of ``rule`` on raw ``losses``, read as the LR search reads a curve."""
    smoother = SmoothedLoss(settings.range_test_smooth_beta)
    smoothed = [smoother.update(float(loss)) for loss in losses]
    index = suggest_index(rule, list(lrs), smoothed, len(lrs), settings.range_test_skip_start,
                          settings.range_test_skip_end)
    return float(lrs[index])


def main(argv=None) -> None:
    args = parse_args(argv)
    settings = LRSearchSettings(lr_range=(1e-3, 1e-2))
    rng = np.random.default_rng(args.seed)
    results = dict(command=command_line(), date=today(), draws=args.draws, degree=args.degree, curves=[])
    print(f'{"curve":<60} {"rule":<9} {"real":>8} {"median":>8} {"p10":>8} {"p90":>8} {"p90/p10":>8}')
    for path in args.curves:
        lrs, losses = read_curve(path)
        log_lrs = np.log(lrs)
        fit = np.polyval(np.polyfit(log_lrs, losses, args.degree), log_lrs)
        residuals = losses - fit
        entry = dict(curve=path, points=len(lrs), rules={})
        for rule in SUGGESTION_RULES:
            picks = np.array([pick(rule, lrs, fit + rng.permutation(residuals), settings) for _ in range(args.draws)])
            p10, median, p90 = np.percentile(picks, [10, 50, 90])
            entry['rules'][rule] = dict(real=pick(rule, lrs, losses, settings), median=median, p10=p10, p90=p90,
                                        p90_over_p10=p90 / p10)
            row = entry['rules'][rule]
            print(f'{path[-60:]:<60} {rule:<9} {row["real"]:>8.4f} {median:>8.4f} {p10:>8.4f} {p90:>8.4f} '
                  f'{row["p90_over_p10"]:>8.2f}')
        results['curves'].append(entry)
    atomic_write_json(args.results, results)
    print(f'wrote {args.results}')


if __name__ == '__main__':
    main()
