"""The confusion-matrix PNG and JSON: counts, row fractions, labels and cell annotations."""
import json

import numpy as np
import pytest
import torch

from adaptcls.evaluation import confusion_matrix_report as report
from adaptcls.evaluation.confusion_matrix_report import (check_png_path, counts_json_path, row_normalised,
                                                          write_confusion_matrix)

CLASSES = ('cat', 'dog', 'eel')
# true:      cat cat cat dog dog eel
# predicted: cat cat dog dog dog cat
LABELS = torch.tensor([0, 0, 0, 1, 1, 2])
PREDICTIONS = torch.tensor([0, 0, 1, 1, 1, 0])


@pytest.fixture
def captured_figure(monkeypatch):
    """Keeps the figure that would be saved (and still saves it), so its content can be checked."""
    figures = []
    real_save = report.save_figure

    def keep(figure, out_file):
        figures.append(dict(axes=figure.axes, texts=[text.get_text() for text in figure.axes[0].texts],
                            xticks=[label.get_text() for label in figure.axes[0].get_xticklabels()],
                            yticks=[label.get_text() for label in figure.axes[0].get_yticklabels()],
                            image=figure.axes[0].images[0].get_array().copy()))
        real_save(figure, out_file)

    monkeypatch.setattr(report, 'save_figure', keep)
    return figures


def test_row_normalised_divides_each_row_and_keeps_empty_rows_zero():
    counts = np.array([[2, 1, 1], [0, 0, 0], [0, 3, 1]])
    np.testing.assert_allclose(row_normalised(counts), [[0.5, 0.25, 0.25], [0, 0, 0], [0, 0.75, 0.25]])


def test_write_confusion_matrix_counts_png_and_json(tmp_path, captured_figure):
    out = tmp_path / 'cm.png'
    result = write_confusion_matrix(PREDICTIONS, LABELS, CLASSES, str(out))
    expected_counts = [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert result['counts'] == expected_counts
    assert (result['images'], result['correct']) == (6, 4)
    assert json.loads((tmp_path / 'cm.json').read_text()) == result
    assert out.read_bytes().startswith(b'\x89PNG')
    figure = captured_figure[0]
    assert figure['xticks'] == list(CLASSES) and figure['yticks'] == list(CLASSES)
    assert figure['texts'] == ['2', '1', '0', '0', '2', '0', '1', '0', '0']  # row by row
    np.testing.assert_allclose(figure['image'], [[2 / 3, 1 / 3, 0], [0, 1, 0], [1, 0, 0]])


def test_cells_are_not_annotated_above_the_class_limit(tmp_path, captured_figure):
    write_confusion_matrix(PREDICTIONS, LABELS, CLASSES, str(tmp_path / 'cm.png'), annotate_max_classes=2)
    assert captured_figure[0]['texts'] == []


def test_non_png_names_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match='--confusion-matrix writes a PNG.*cm.jpg'):
        check_png_path(str(tmp_path / 'cm.jpg'), '--confusion-matrix')
    with pytest.raises(ValueError, match='ending in .png'):
        write_confusion_matrix(PREDICTIONS, LABELS, CLASSES, str(tmp_path / 'cm.svg'))
    assert list(tmp_path.iterdir()) == []
    assert check_png_path('a/B.PNG') == 'a/B.PNG'
    assert counts_json_path('a/cm.png') == 'a/cm.json'


def test_labels_outside_the_class_list_are_refused(tmp_path):
    with pytest.raises(ValueError, match='pred_labels must lie in'):
        write_confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), CLASSES, str(tmp_path / 'cm.png'))
