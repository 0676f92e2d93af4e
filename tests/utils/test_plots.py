"""The shared figure helpers and the training-curves plot."""
import matplotlib
import pytest

from adaptcls.utils.plots import headless_pyplot, plot_training_curves, save_figure

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def test_headless_pyplot_uses_agg():
    plt = headless_pyplot()
    assert matplotlib.get_backend().lower() == 'agg'
    assert plt is matplotlib.pyplot


def test_save_figure_writes_a_png_of_the_asked_dpi_and_closes_the_figure(tmp_path):
    plt = headless_pyplot()
    figure, axis = plt.subplots(figsize=(2, 1))
    axis.plot([0, 1], [1, 0])
    out = tmp_path / 'sub' / 'plot.png'
    save_figure(figure, str(out), dpi=50)
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], 'big'), int.from_bytes(data[20:24], 'big')
    assert (width, height) == (100, 50)
    assert figure.number not in plt.get_fignums()
    assert [path.name for path in out.parent.iterdir()] == ['plot.png']  # no temporary file left


def test_save_figure_leaves_no_file_and_closes_the_figure_when_saving_fails(tmp_path):
    plt = headless_pyplot()
    figure, _ = plt.subplots()
    with pytest.raises(ValueError, match='not-an-image-format'):
        save_figure(figure, str(tmp_path / 'plot.not-an-image-format'))
    assert list(tmp_path.iterdir()) == []
    assert figure.number not in plt.get_fignums()


def test_plot_training_curves_draws_three_panels(tmp_path):
    history = [dict(epoch=1, train_loss=2.0, lr=0.01, val=dict(top1=0.5)),
               dict(epoch=2, train_loss=1.0, lr=0.001)]
    out = tmp_path / 'curves.png'
    plot_training_curves(history, str(out))
    assert out.read_bytes().startswith(PNG_SIGNATURE)
