"""Aggregates and tables of benchmarks/recipe_benchmark.py: mean over seeds per data set, then over data sets."""
import json
import statistics
from collections import defaultdict
from typing import Dict, Iterable, List

REFERENCES = ('baseline', 'timm_defaults')
"""The recipes every other recipe is compared with (``differences``): the fixed baseline and the timm bar."""

FIGURES = ('top1', 'mAP', 'total_epochs', 'best_epoch', 'wall_time_s', 'lr', 'search_epochs', 'search_wall_time_s')
"""The figures averaged over seeds (total_epochs = training epochs run + LR-search epochs)."""


MATCHED_SETTINGS = ('size', 'max_epochs', 'train_per_class', 'val_per_class', 'classes')
"""The settings an earlier result file must share with this benchmark run for its runs to join the table."""


def earlier_runs(paths: Iterable[str], settings: Dict, recipes: Iterable[str], datasets: Iterable[str],
                 seeds: Iterable[int]) -> List[Dict]:
    """The runs of earlier result files (``--runs-from``) of the requested recipes, data sets and seeds, e.g. of a
    table whose work dirs live on another machine.

    Args:
        paths (Iterable[str]): recipe-benchmark JSON files.
        settings (dict): this run's settings; every key of :data:`MATCHED_SETTINGS` must be equal in each file
            (a key a file lacks counts as None).
        recipes, datasets, seeds: which runs to take; the others are left out.

    Raises:
        ValueError: a file whose settings differ (naming the file, the key and both values), or a run (data set,
            recipe, seed) that two files both hold.
    """
    wanted_recipes, wanted_datasets, wanted_seeds = set(recipes), set(datasets), set(seeds)
    runs, sources = [], {}
    for path in paths:
        with open(path) as stream:
            results = json.load(stream)
        for key in MATCHED_SETTINGS:
            theirs, ours = results.get('settings', {}).get(key), settings.get(key)
            if theirs != ours:
                raise ValueError(f'--runs-from {path}: its runs were made with {key} = {theirs!r}, this table is '
                                 f'for {key} = {ours!r}; pass the same settings or leave the file out.')
        for run in results.get('runs', []):
            identity = (run['dataset'], run['recipe'], run['seed'])
            if (run['recipe'] not in wanted_recipes or run['dataset'] not in wanted_datasets
                    or run['seed'] not in wanted_seeds):
                continue
            if identity in sources:
                raise ValueError(f'--runs-from: {identity} is in both {sources[identity]} and {path}; keep one.')
            sources[identity] = path
            runs.append(run)
    return runs


def _mean(values: List[float]) -> float:
    return statistics.fmean(values) if values else float('nan')


def _stdev(values: List[float]) -> float:
    """The sample standard deviation; NaN for fewer than two values (one seed says nothing about the spread)."""
    return statistics.stdev(values) if len(values) > 1 else float('nan')


def aggregate(runs: List[Dict]) -> Dict:
    """``per_dataset[dataset][recipe]`` (mean and spread over seeds) and ``average[recipe]`` (mean over the data
    sets where every recipe in ``runs`` has at least one run)."""
    grouped = defaultdict(lambda: defaultdict(list))
    for run in runs:
        run = dict(run, total_epochs=run['epochs_run'] + run['search_epochs'])
        grouped[run['dataset']][run['recipe']].append(run)
    per_dataset = {}
    for dataset, recipes in grouped.items():
        per_dataset[dataset] = {}
        for recipe, seeds in recipes.items():
            row = {key: _mean([run[key] for run in seeds if run[key] is not None]) for key in FIGURES}
            row.update(seeds=len(seeds), top1_sd=_stdev([run['top1'] for run in seeds]),
                       mAP_sd=_stdev([run['mAP'] for run in seeds]), top1_min=min(run['top1'] for run in seeds),
                       top1_max=max(run['top1'] for run in seeds),
                       stopped_early=sum(bool(run['stopped_early']) for run in seeds))
            per_dataset[dataset][recipe] = row
    recipes = sorted({run['recipe'] for run in runs})
    complete = [dataset for dataset, rows in per_dataset.items() if all(recipe in rows for recipe in recipes)]
    average = {recipe: dict({key: _mean([per_dataset[dataset][recipe][key] for dataset in complete])
                             for key in ('top1', 'mAP', 'total_epochs', 'best_epoch', 'wall_time_s')},
                            datasets=len(complete)) for recipe in recipes}
    return dict(per_dataset=per_dataset, average=average, average_over=complete)


def differences(results: Dict, reference: str = 'baseline') -> Dict:
    """Each recipe minus ``reference``, in points, averaged over the data sets of ``results['average_over']`` (those
    every recipe ran on), with the standard error of that average difference.

    Per data set the difference of the means over seeds has the variance ``sd_a^2 / n_a + sd_b^2 / n_b`` (Welch's
    estimate from the seed-to-seed spread of each recipe); the average over D data sets has the standard error
    ``sqrt(sum of those variances) / D``. It counts only the spread between seeds (the run-to-run spread of one seed
    is of the same size: docs/benchmarks.md), and with 2-3 seeds per cell it is itself a rough estimate. NaN where
    a recipe has a single seed on some data set.

    Returns:
        dict: ``{recipe: {'top1': {'mean_pt', 'se_pt'}, 'mAP': {...}}}`` for every recipe but ``reference``; empty
        when ``reference`` did not run.
    """
    per_dataset, datasets = results['per_dataset'], results['average_over']
    if not datasets or reference not in per_dataset[datasets[0]]:
        return {}
    table = {}
    for recipe in results['average']:
        if recipe == reference:
            continue
        table[recipe] = {}
        for metric in ('top1', 'mAP'):
            rows = [(per_dataset[dataset][recipe], per_dataset[dataset][reference]) for dataset in datasets]
            mean = _mean([row[metric] - ref[metric] for row, ref in rows])
            variance = sum(row[f'{metric}_sd'] ** 2 / row['seeds'] + ref[f'{metric}_sd'] ** 2 / ref['seeds']
                           for row, ref in rows)
            table[recipe][metric] = dict(mean_pt=100 * mean, se_pt=100 * variance ** 0.5 / len(rows))
    return table


def all_differences(results: Dict) -> Dict:
    """``differences`` to each of ``REFERENCES`` that ran: ``{reference: {recipe: ...}}``."""
    tables = {reference: differences(results, reference) for reference in REFERENCES}
    return {reference: table for reference, table in tables.items() if table}


def difference_lines(table: Dict, reference: str = 'baseline') -> List[str]:
    """One line per recipe: its average difference to ``reference`` in top-1 and mAP, with standard errors."""
    return [f'{recipe} - {reference} (average over data sets): top-1 {row["top1"]["mean_pt"]:+.2f} pt '
            f'(standard error {row["top1"]["se_pt"]:.2f}), mAP {row["mAP"]["mean_pt"]:+.2f} pt '
            f'(standard error {row["mAP"]["se_pt"]:.2f})' for recipe, row in table.items()]


def markdown_rows(results: Dict) -> List[str]:
    """The per-data-set rows and the average rows as a markdown table."""
    lines = ['| data set | recipe | seeds | top-1 (min-max) | mAP | epochs (train + search) | best epoch | '
             'stopped early | lr | search s | wall s |', '|---|---|---|---|---|---|---|---|---|---|---|']
    for dataset, rows in results['per_dataset'].items():
        for recipe, row in rows.items():
            lines.append(
                f'| {dataset} | {recipe} | {row["seeds"]} | {row["top1"]:.4f} ({row["top1_min"]:.3f}-'
                f'{row["top1_max"]:.3f}) | {row["mAP"]:.4f} | {row["total_epochs"]:.1f} '
                f'({row["search_epochs"]:.1f}) | {row["best_epoch"]:.1f} | {row["stopped_early"]}/{row["seeds"]} | '
                f'{row["lr"]:.4g} | {row["search_wall_time_s"]:.0f} | {row["wall_time_s"]:.0f} |')
    for recipe, row in results['average'].items():
        lines.append(f'| **average of {row["datasets"]}** | {recipe} | | {row["top1"]:.4f} | {row["mAP"]:.4f} | '
                     f'{row["total_epochs"]:.1f} | {row["best_epoch"]:.1f} | | | | {row["wall_time_s"]:.0f} |')
    return lines


def print_tables(results: Dict) -> None:
    """Prints the markdown table and the recipe legend."""
    print('\n'.join(markdown_rows(results)))
    for name, description in results['recipes'].items():
        print(f'  {name}: {description}')
    for reference, table in results.get('differences', {}).items():
        print('\n'.join(difference_lines(table, reference)))


def lr_comparison(runs: List[Dict]) -> Dict:
    """Per data set: each LR source (the range test, TPE, and the grid of full trainings at fixed LRs) with its LR,
    top-1 (mean over seeds), search cost, and its gap to the grid optimum (the best top-1 of the grid trainings)."""
    grouped = defaultdict(lambda: defaultdict(list))
    for run in runs:
        grouped[run['dataset']][run['recipe']].append(run)
    table = {}
    for dataset, recipes in grouped.items():
        rows = {recipe: dict(lr=_mean([run['lr'] for run in seeds]), top1=_mean([run['top1'] for run in seeds]),
                             seeds=len(seeds), search_epochs=_mean([run['search_epochs'] for run in seeds]),
                             search_wall_time_s=_mean([run['search_wall_time_s'] for run in seeds]),
                             train_epochs=_mean([run['epochs_run'] for run in seeds]))
                for recipe, seeds in recipes.items()}
        grid = {recipe: row for recipe, row in rows.items() if recipe.startswith('adaptive_lr_')}
        if grid:
            best = max(grid, key=lambda recipe: grid[recipe]['top1'])
            grid_cost = sum(row['train_epochs'] for row in grid.values())
            for recipe, row in rows.items():
                row['gap_to_grid_optimum_pt'] = 100 * (row['top1'] - grid[best]['top1'])
            table[dataset] = dict(rows=rows, grid_optimum=best, grid_cost_epochs=grid_cost)
    return table


def lr_comparison_rows(table: Dict) -> List[str]:
    """The LR-search comparison as a markdown table."""
    lines = ['| data set | LR source | lr | top-1 | gap to grid optimum (pt) | search epochs | search s |',
             '|---|---|---|---|---|---|---|']
    for dataset, entry in table.items():
        for recipe, row in entry['rows'].items():
            mark = ' (grid optimum)' if recipe == entry['grid_optimum'] else ''
            lines.append(f'| {dataset} | {recipe}{mark} | {row["lr"]:.4g} | {row["top1"]:.4f} | '
                         f'{row["gap_to_grid_optimum_pt"]:+.1f} | {row["search_epochs"]:.1f} | '
                         f'{row["search_wall_time_s"]:.0f} |')
        lines.append(f'| {dataset} | grid of full trainings (cost) | | | | {entry["grid_cost_epochs"]:.0f} | |')
    return lines
