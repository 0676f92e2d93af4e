"""Bar charts of the benchmark JSON files, written beside them as PNG for REPORT.md."""
import json
import os
from typing import Dict, List, Optional

import numpy as np

from adaptcls.utils.plots import headless_pyplot, save_figure

THROUGHPUT_CHART = 'throughput.png'
"""Training throughput (plain vs adaptcls) and data pipeline vs model step, images per second."""
RECIPES_CHART = 'recipe_benchmark.png'
"""Top-1 and epochs (training + LR search) of every recipe per data set, from recipe_benchmark.json."""
CURVES_CHART = 'recipe_benchmark_curves.png'
"""Val top-1 per epoch of every recipe per data set (seed 0), against the epochs spent including the LR search."""
BAR_WIDTH = 0.38
"""Width of one bar; groups are one unit apart."""


def _load(results_dir: str, name: str) -> Optional[Dict]:
    path = os.path.join(results_dir, f'{name}.json')
    if not os.path.isfile(path):
        return None
    with open(path) as stream:
        return json.load(stream)


def write_charts(results_dir: str) -> Dict[str, List[str]]:
    """Draws the charts whose JSON files exist in ``results_dir``.

    Returns:
        dict: ``written`` (the PNG names written) and ``errors`` (one message per chart that a JSON
        without the keys it reads prevented).
    """
    training, pipeline = _load(results_dir, 'train_throughput'), _load(results_dir, 'data_pipeline')
    recipes = _load(results_dir, 'recipe_benchmark')
    jobs = []
    if training or pipeline:
        jobs.append((THROUGHPUT_CHART, lambda path: _throughput_chart(training, pipeline, path)))
    if recipes:
        jobs.append((RECIPES_CHART, lambda path: _recipes_chart(recipes, path)))
        jobs.append((CURVES_CHART, lambda path: _curves_chart(recipes, path)))
    written, errors = [], []
    for name, draw in jobs:
        try:
            draw(os.path.join(results_dir, name))
            written.append(name)
        except (KeyError, TypeError, AttributeError) as err:
            errors.append(f'{name} not drawn: a benchmark JSON in {results_dir} lacks {type(err).__name__} {err}; '
                          're-run the benchmark that wrote it.')
    return dict(written=written, errors=errors)


def _throughput_chart(training: Optional[Dict], pipeline: Optional[Dict], out_file: str) -> None:
    plt = headless_pyplot()
    panels = [panel for panel in (training, pipeline) if panel]
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    axes = list(axes[0])
    if training:
        axis = axes.pop(0)
        names = list(training['results'])
        for offset, (side, label) in enumerate((('plain', 'plain PyTorch'), ('adaptcls', 'adaptcls (tools/train.py)'))):
            figures = [training['results'][name][f'{side}_images_per_s'] for name in names]
            medians = np.array([item['median'] for item in figures])
            errors = np.array([[m - item['min'] for m, item in zip(medians, figures)],
                               [item['max'] - m for m, item in zip(medians, figures)]])
            axis.bar(np.arange(len(names)) + (offset - 0.5) * BAR_WIDTH, medians, BAR_WIDTH, yerr=errors,
                     capsize=4, label=label)
        settings = training['settings']
        axis.set_xticks(np.arange(len(names)), [name.upper() for name in names])
        axis.set_ylabel('images / s (median, min-max)')
        axis.set_title(f'training, {settings["model"]} {settings["input_size"]} px, batch {settings["batch"]}')
        axis.legend()
    if pipeline:
        axis = axes.pop(0)
        rows = pipeline['rows']
        model = os.path.splitext(os.path.basename(pipeline['settings']['model_config']))[0]
        series = (('pipeline_images_per_s', 'train pipeline (1 worker)'),
                  ('timm_augmix_images_per_s', 'timm AugMix alone'), ('model_step_images_per_s', f'{model} train step'))
        width = 2 * BAR_WIDTH / len(series)
        for offset, (key, label) in enumerate(series):
            values = [row[key]['median'] if isinstance(row[key], dict) else row[key] for row in rows]
            axis.bar(np.arange(len(rows)) + (offset - (len(series) - 1) / 2) * width, values, width, label=label)
        axis.set_xticks(np.arange(len(rows)), [f'{row["size"]} px' for row in rows])
        axis.set_yscale('log')
        axis.set_ylabel('images / s (log scale)')
        axis.set_title(f'data pipeline vs model step ({pipeline["settings"]["torch_threads"]} torch thread)')
        axis.legend()
    save_figure(figure, out_file)


def _recipes_chart(data: Dict, out_file: str) -> None:
    per_dataset = data['per_dataset']
    names = list(per_dataset)
    recipes = list(dict.fromkeys(recipe for rows in per_dataset.values() for recipe in rows))
    if not recipes:
        raise KeyError('no recipe results under "per_dataset"')
    plt = headless_pyplot()
    figure, (top1_axis, epochs_axis) = plt.subplots(1, 2, figsize=(11, 4))
    width = 2 * BAR_WIDTH / len(recipes)  # the group of bars is as wide as two bars always were
    for offset, recipe in enumerate(recipes):
        rows = [per_dataset[name].get(recipe) or {} for name in names]
        positions = np.arange(len(names)) + (offset - (len(recipes) - 1) / 2) * width
        top1 = np.array([100 * (row.get('top1') or 0) for row in rows])
        spread = np.array([[100 * (row.get('top1', 0) - row.get('top1_min', row.get('top1', 0))) for row in rows],
                           [100 * (row.get('top1_max', row.get('top1', 0)) - row.get('top1', 0)) for row in rows]])
        top1_axis.bar(positions, top1, width, yerr=spread, capsize=3, label=recipe)
        epochs_axis.bar(positions, [row.get('total_epochs') or 0 for row in rows], width, label=recipe)
    for axis, label in ((top1_axis, 'best val top-1 % (mean, min-max over seeds)'),
                        (epochs_axis, 'epochs: training + LR search')):
        axis.set_xticks(np.arange(len(names)), names)
        axis.set_ylabel(label)
        axis.legend(fontsize=8)
    low = min(100 * row['top1_min'] for rows in per_dataset.values() for row in rows.values())
    top1_axis.set_ylim(max(0.0, low - 10), 100)
    top1_axis.set_title('accuracy')
    epochs_axis.set_title('cost')
    save_figure(figure, out_file)


def _curves_chart(data: Dict, out_file: str) -> None:
    """One panel per data set: val top-1 after each epoch of each recipe's first seed; an LR search shifts its
    recipe's curve right by the search's epochs, so the x axis is the training spent."""
    runs = [run for run in data['runs'] if run.get('val_top1_curve')]
    if not runs:
        raise KeyError('no run has "val_top1_curve"')
    datasets = list(dict.fromkeys(run['dataset'] for run in runs))
    plt = headless_pyplot()
    figure, axes = plt.subplots(1, len(datasets), figsize=(4.5 * len(datasets), 3.8), squeeze=False)
    for axis, dataset in zip(axes[0], datasets):
        first_seed = {}
        for run in runs:
            if run['dataset'] == dataset and run['recipe'] not in first_seed:
                first_seed[run['recipe']] = run
        for recipe, run in first_seed.items():
            curve = 100 * np.array(run['val_top1_curve'])
            epochs = run['search_epochs'] + np.arange(1, len(curve) + 1)
            axis.plot(epochs, curve, label=f'{recipe} (seed {run["seed"]})')
        low = min(100 * min(run['val_top1_curve'][len(run['val_top1_curve']) // 2:]) for run in first_seed.values())
        axis.set_ylim(max(0.0, low - 15), 100)
        axis.set_xlabel('epochs spent (LR search + training)')
        axis.set_ylabel('val top-1 %')
        axis.set_title(dataset)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    save_figure(figure, out_file)
