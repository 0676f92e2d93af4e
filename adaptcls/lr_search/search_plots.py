"""PNG plots of an LR search: metric against lr for trials, smoothed loss against lr for the range test."""
import math
from typing import List

from adaptcls.utils.plots import headless_pyplot, save_figure
from .lr_range_sweep import RangeTestCurve


def plot_trials(trials: List[dict], chosen_lr: float, out_file: str, metric: str = 'top1') -> None:
    """Final metric of each trained trial against its lr; pruned trials at their last value.

    Args:
        trials (list[dict]): rows of ``search_report.trial_rows`` (keys ``lr``, ``state``,
            ``epoch_values``).
        chosen_lr (float): the chosen learning rate (marked).
        out_file (str): the PNG path (written atomically).
        metric (str): the metric's name for the axis. Defaults to 'top1'.
    """
    plt = headless_pyplot()
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for state, label, style in (('complete', 'complete', dict(marker='o', color='tab:blue')),
                                ('pruned', 'pruned (at its last epoch)', dict(marker='x', color='tab:gray'))):
        points = [(row['lr'], row['epoch_values'][-1]) for row in trials
                  if row['state'] == state and row['epoch_values']]
        if points:
            axis.scatter(*zip(*points), label=label, **style)
    chosen = [row['epoch_values'][-1] for row in trials
              if row['state'] == 'complete' and row['lr'] == chosen_lr and row['epoch_values']]
    if chosen:
        axis.scatter([chosen_lr], chosen[:1], marker='*', s=260, color='tab:red', zorder=3,
                     label=f'chosen lr {chosen_lr:g}')
    axis.set(title='LR search: validation metric after the last epoch', xlabel='learning rate',
             ylabel=f'val {metric}')
    axis.grid(alpha=0.3)
    axis.legend(loc='best', fontsize=8)
    save_figure(figure, out_file)


def plot_range_test(curve: RangeTestCurve, pick_index: int, chosen_lr: float, out_file: str) -> None:
    """Raw and smoothed range-test loss against lr (log x), the pick and the chosen lr marked.

    Args:
        curve (RangeTestCurve): the recorded range test.
        pick_index (int): index of the suggestion in the curve.
        chosen_lr (float): the learning rate chosen (the pick clipped into the search range).
        out_file (str): the PNG path (written atomically).
    """
    plt = headless_pyplot()
    figure, axis = plt.subplots(figsize=(7, 4.2))
    axis.plot(curve.lrs, curve.losses, color='tab:gray', alpha=0.4, label='loss')
    axis.plot(curve.lrs, curve.smoothed, color='tab:blue', label='smoothed loss (EMA, bias-corrected)')
    axis.scatter([curve.lrs[pick_index]], [curve.smoothed[pick_index]], color='tab:red', s=80, zorder=3,
                 label=f'suggestion {curve.lrs[pick_index]:.3g}')
    if not math.isclose(chosen_lr, curve.lrs[pick_index], rel_tol=1e-9):
        axis.axvline(chosen_lr, color='tab:red', linestyle='--', label=f'chosen (clipped) {chosen_lr:.3g}')
    axis.set(xscale='log', title='LR range test', xlabel='learning rate (log scale)', ylabel='training loss')
    axis.grid(alpha=0.3, which='both')
    axis.legend(loc='best', fontsize=8)
    save_figure(figure, out_file)

