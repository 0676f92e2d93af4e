"""PNG plots (matplotlib, headless): the shared figure helpers and the training curves of a run."""
from typing import Dict, List, Sequence

from .atomic import atomic_path

PNG_DPI = 100
"""Resolution of every PNG adaptcls writes."""


def headless_pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend, so plots work without a display.

    Returns:
        module: ``matplotlib.pyplot``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save_figure(figure, out_file: str, dpi: int = PNG_DPI) -> None:
    """Lays out ``figure``, writes it as a PNG atomically and closes it (also when writing fails).

    Args:
        figure (matplotlib.figure.Figure): the figure.
        out_file (str): the PNG path; its folder is created.
        dpi (int): resolution. Defaults to PNG_DPI (100).
    """
    try:
        figure.tight_layout()
        with atomic_path(out_file) as tmp_path:
            figure.savefig(tmp_path, dpi=dpi)
    finally:
        headless_pyplot().close(figure)


def plot_training_curves(history: Sequence[Dict], out_file: str, metric: str = 'top1') -> None:
    """Draws mean train loss, learning rate and a validation metric per epoch into one PNG.

    Args:
        history (Sequence[dict]): one record per epoch with keys ``epoch``, ``train_loss``,
            ``lr`` and optionally ``val`` (a dict of metrics).
        out_file (str): the PNG path (written atomically).
        metric (str): the validation metric to draw. Defaults to 'top1'.
    """
    plt = headless_pyplot()
    epochs = [record['epoch'] for record in history]
    figure, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    axes[0].plot(epochs, [record['train_loss'] for record in history], marker='.')
    axes[0].set(title='mean train loss per epoch', xlabel='epoch', ylabel='loss')
    axes[1].plot(epochs, [record['lr'] for record in history], marker='.')
    axes[1].set(title='learning rate (first param group)', xlabel='epoch', ylabel='lr', yscale='log')
    val_epochs, val_values = _metric_series(history, metric)
    axes[2].plot(val_epochs, val_values, marker='.', color='tab:green')
    axes[2].set(title=f'val {metric}', xlabel='epoch', ylabel=metric)
    for axis in axes:
        axis.grid(alpha=0.3)
    save_figure(figure, out_file)


def _metric_series(history: Sequence[Dict], metric: str) -> (List[int], List[float]):
    """The (epochs, values) of ``metric`` in the epochs that were validated."""
    pairs = [(record['epoch'], record['val'][metric]) for record in history
             if metric in record.get('val', {})]
    return [epoch for epoch, _ in pairs], [value for _, value in pairs]
