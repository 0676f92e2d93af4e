"""The LR search plots: trial scatter and range-test curve."""
from adaptcls.lr_search.lr_range_sweep import RangeTestCurve
from adaptcls.lr_search.search_plots import plot_range_test, plot_trials
from adaptcls.utils.plots import headless_pyplot

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def test_plot_trials_writes_a_png_and_closes_its_figure(tmp_path):
    open_before = headless_pyplot().get_fignums()
    trials = [dict(lr=0.01, state='complete', epoch_values=[0.5, 0.7]),
              dict(lr=0.02, state='pruned', epoch_values=[0.2]),
              dict(lr=0.03, state='fail', epoch_values=[])]
    plot_trials(trials, chosen_lr=0.01, out_file=str(tmp_path / 'trials.png'))
    assert (tmp_path / 'trials.png').read_bytes().startswith(PNG_SIGNATURE)
    assert headless_pyplot().get_fignums() == open_before


def test_plot_range_test_writes_a_png(tmp_path):
    curve = RangeTestCurve(lrs=[0.001, 0.01, 0.1], losses=[2.0, 1.0, 3.0], smoothed=[2.0, 1.5, 2.0])
    plot_range_test(curve, pick_index=1, chosen_lr=0.005, out_file=str(tmp_path / 'range.png'))
    assert (tmp_path / 'range.png').read_bytes().startswith(PNG_SIGNATURE)
