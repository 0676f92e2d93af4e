"""A confusion matrix as a PNG (row-normalised colours, class names on the axes) plus its counts as JSON.

Imports no torch itself (``adaptcls test --help`` reads :data:`ANNOTATE_MAX_CLASSES`); the counting does.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, Sequence

from typing import TYPE_CHECKING

import numpy as np

from adaptcls.errors import UserInputError
from adaptcls.utils import atomic_write_json
from adaptcls.utils.plots import headless_pyplot, save_figure

if TYPE_CHECKING:
    import torch

ANNOTATE_MAX_CLASSES = 20
"""Up to this many classes every cell shows its count; above it the cells would be unreadable."""
INCHES_PER_CLASS = 0.45
"""Figure size grows by this much per class, so the class names stay legible."""
LABEL_MARGIN_INCHES = 2.5
"""Room for the class names and axis titles around the cells."""
MIN_FIGURE_INCHES = 5.0
"""Smallest side of the figure."""
MAX_FIGURE_INCHES = 40.0
"""Largest side of the figure (for hundreds of classes; read the JSON for exact counts)."""
DARK_CELL_FRACTION = 0.5
"""Cells whose row fraction exceeds this get white text (the colour map is dark there)."""


def check_png_path(path: str, name: str = 'out_file') -> str:
    """Returns ``path`` if it ends in .png, else raises ValueError naming ``name`` (the option or key).

    Args:
        path (str): the file to write.
        name (str): how the user set it, e.g. '--confusion-matrix'. Defaults to 'out_file'.
    """
    if not str(path).lower().endswith('.png'):
        raise UserInputError(f'{name} writes a PNG: give a file name ending in .png, got "{path}".')
    return str(path)


def row_normalised(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum: the fraction of a true class given to each predicted class.

    Args:
        counts (np.ndarray): (C, C) counts; row = true class, column = predicted class.

    Returns:
        np.ndarray: (C, C) float; a row with no samples stays all zero.
    """
    totals = counts.sum(axis=1, keepdims=True).astype(np.float64)
    return np.divide(counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0)


def plot_confusion_matrix(counts: np.ndarray, class_names: Sequence[str], out_file: str,
                          title: str = 'confusion matrix',
                          annotate_max_classes: int = ANNOTATE_MAX_CLASSES) -> None:
    """Draws the row-normalised matrix (true class down, predicted class across) into a PNG.

    Args:
        counts (np.ndarray): (C, C) counts; row = true class, column = predicted class.
        class_names (Sequence[str]): the C class names, index = label.
        out_file (str): the PNG path (written atomically).
        title (str): the figure title. Defaults to 'confusion matrix'.
        annotate_max_classes (int): write the count into every cell when C is at most this.
            Defaults to ANNOTATE_MAX_CLASSES (20).
    """
    num_classes = len(class_names)
    fractions = row_normalised(counts)
    side = min(MAX_FIGURE_INCHES, max(MIN_FIGURE_INCHES, INCHES_PER_CLASS * num_classes + LABEL_MARGIN_INCHES))
    plt = headless_pyplot()
    figure, axis = plt.subplots(figsize=(side + 1.0, side))
    image = axis.imshow(fractions, cmap='Blues', vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label='fraction of the true class')
    ticks = list(range(num_classes))
    axis.set_xticks(ticks, [str(name) for name in class_names], rotation=90)
    axis.set_yticks(ticks, [str(name) for name in class_names])
    axis.set(xlabel='predicted class', ylabel='true class', title=title)
    if num_classes <= annotate_max_classes:
        for row in range(num_classes):
            for column in range(num_classes):
                dark = fractions[row, column] > DARK_CELL_FRACTION
                axis.text(column, row, str(int(counts[row, column])), ha='center', va='center',
                          fontsize=8, color='white' if dark else 'black')
    save_figure(figure, out_file)


def counts_json_path(png_file: str) -> str:
    """Where the counts of ``png_file`` go: the same path with ``.json``."""
    return osp.splitext(png_file)[0] + '.json'


def write_confusion_matrix(pred_labels: torch.Tensor, labels: torch.Tensor, class_names: Sequence[str],
                           out_file: str, annotate_max_classes: int = ANNOTATE_MAX_CLASSES) -> Dict:
    """Counts (true, predicted) pairs and writes the PNG and, next to it, the counts as JSON.

    Args:
        pred_labels (torch.Tensor): (N,) predicted class indices (the arg-max of the scores).
        labels (torch.Tensor): (N,) true class indices.
        class_names (Sequence[str]): the C class names, index = label.
        out_file (str): the PNG path; the JSON goes to the same path with ``.json``.
        annotate_max_classes (int): write counts into the cells up to this many classes.
            Defaults to ANNOTATE_MAX_CLASSES (20).

    Returns:
        dict: the JSON content: ``classes``, ``counts`` (rows = true class, columns = predicted
        class), ``images``, ``correct``, ``png``.
    """
    check_png_path(out_file)
    from .metrics.functional import confusion_matrix  # torch
    counts = confusion_matrix(pred_labels, labels, len(class_names)).numpy()
    images, correct = int(counts.sum()), int(np.trace(counts))
    plot_confusion_matrix(counts, class_names, out_file,
                          title=f'confusion matrix: {images} images, {correct} correct '
                                f'({correct / images:.2%}); colours = row fractions',
                          annotate_max_classes=annotate_max_classes)
    report = dict(classes=[str(name) for name in class_names], counts=counts.tolist(), images=images,
                  correct=correct, rows='true class', columns='predicted class', png=out_file)
    atomic_write_json(counts_json_path(out_file), report)
    return report
