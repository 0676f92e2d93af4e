"""benchmarks/common/recipe_table.py: means over seeds, averages over the data sets every recipe ran on."""
import json
import math

import pytest

from benchmarks.common.recipe_table import (aggregate, all_differences, difference_lines, differences, earlier_runs,
                                           markdown_rows)


def _run(dataset, recipe, seed, top1, epochs=10, search=0.0, stopped=False):
    return dict(dataset=dataset, recipe=recipe, seed=seed, top1=top1, mAP=top1 + 0.1, best_epoch=epochs - 2,
                epochs_run=epochs, search_epochs=search, search_wall_time_s=search * 10, lr=0.01,
                wall_time_s=epochs * 20.0, stopped_early=stopped)


def test_means_over_seeds_and_the_average_over_complete_data_sets():
    runs = [_run('a', 'baseline', 0, 0.70, 50), _run('a', 'baseline', 1, 0.72, 50),
            _run('a', 'adaptive', 0, 0.75, 20, 7.25, True), _run('a', 'adaptive', 1, 0.73, 24, 7.25, True),
            _run('b', 'baseline', 0, 0.90, 50), _run('b', 'adaptive', 0, 0.92, 18, 5.0, True),
            _run('c', 'baseline', 0, 0.50, 50)]  # c lacks an adaptive run: not in the average
    results = aggregate(runs)
    row = results['per_dataset']['a']['adaptive']
    assert row['top1'] == pytest.approx(0.74) and row['total_epochs'] == pytest.approx(29.25)
    assert (row['seeds'], row['top1_min'], row['top1_max'], row['stopped_early']) == (2, 0.73, 0.75, 2)
    assert results['average_over'] == ['a', 'b']
    assert results['average']['baseline']['top1'] == pytest.approx((0.71 + 0.90) / 2)
    assert results['average']['adaptive']['total_epochs'] == pytest.approx((29.25 + 23.0) / 2)
    lines = markdown_rows(dict(results, recipes={}))
    assert any(line.startswith('| **average of 2** | adaptive |') for line in lines)


def test_differences_to_the_baseline_with_their_standard_error():
    runs = [_run('a', 'baseline', 0, 0.70), _run('a', 'baseline', 1, 0.72),
            _run('a', 'adaptive', 0, 0.75), _run('a', 'adaptive', 1, 0.79),
            _run('b', 'baseline', 0, 0.90), _run('b', 'baseline', 1, 0.90),
            _run('b', 'adaptive', 0, 0.91), _run('b', 'adaptive', 1, 0.93)]
    results = aggregate(runs)
    top1 = differences(results)['adaptive']['top1']
    # a: +6 pt (sds 1.414 and 2.828 pt), b: +2 pt (sds 0 and 1.414 pt), over 2 seeds each
    assert top1['mean_pt'] == pytest.approx(4.0)
    assert top1['se_pt'] == pytest.approx(((2 + 8) / 2 + (0 + 2) / 2) ** 0.5 / 2)
    assert differences(results)['adaptive']['mAP']['mean_pt'] == pytest.approx(4.0)  # mAP = top1 + 0.1 here
    assert 'baseline' not in differences(results)
    assert differences(results, reference='timm_defaults') == {}
    assert list(all_differences(results)) == ['baseline']  # timm_defaults did not run
    assert difference_lines(differences(results))[0].startswith('adaptive - baseline (average over data sets): '
                                                                'top-1 +4.00 pt (standard error 1.22)')


def test_a_single_seed_has_no_standard_error():
    results = aggregate([_run('a', 'baseline', 0, 0.70), _run('a', 'adaptive', 0, 0.75)])
    top1 = differences(results)['adaptive']['top1']
    assert top1['mean_pt'] == pytest.approx(5.0) and math.isnan(top1['se_pt'])


SETTINGS = dict(size=64, max_epochs=50, seeds=[0, 1], train_per_class=100, val_per_class=100, classes=None)


def _results_file(tmp_path, name, runs, **settings):
    path = tmp_path / name
    path.write_text(json.dumps(dict(settings=dict(SETTINGS, **settings), runs=runs)))
    return str(path)


def test_earlier_runs_takes_only_the_requested_recipes_data_sets_and_seeds(tmp_path):
    runs = [_run('a', 'baseline', 0, 0.7), _run('a', 'baseline', 2, 0.7), _run('b', 'baseline', 0, 0.8),
            _run('a', 'timm_defaults', 0, 0.75)]
    path = _results_file(tmp_path, 'old.json', runs)
    taken = earlier_runs([path], SETTINGS, recipes=['baseline'], datasets=['a'], seeds=[0, 1])
    assert [(run['dataset'], run['recipe'], run['seed']) for run in taken] == [('a', 'baseline', 0)]


def test_earlier_runs_refuses_a_file_made_with_other_settings_naming_the_key(tmp_path):
    path = _results_file(tmp_path, 'old.json', [_run('a', 'baseline', 0, 0.7)], size=96)
    with pytest.raises(ValueError, match=r'old\.json.*size = 96.*size = 64'):
        earlier_runs([path], SETTINGS, recipes=['baseline'], datasets=['a'], seeds=[0])


def test_earlier_runs_counts_a_missing_classes_setting_as_all_classes(tmp_path):
    path = tmp_path / 'before_classes.json'
    path.write_text(json.dumps(dict(settings=dict(size=64, max_epochs=50, train_per_class=100, val_per_class=100),
                                    runs=[_run('a', 'baseline', 0, 0.7)])))
    assert len(earlier_runs([str(path)], SETTINGS, recipes=['baseline'], datasets=['a'], seeds=[0])) == 1
    with pytest.raises(ValueError, match='classes'):
        earlier_runs([str(path)], dict(SETTINGS, classes=['cat']), recipes=['baseline'], datasets=['a'], seeds=[0])


def test_earlier_runs_refuses_a_run_two_files_both_hold(tmp_path):
    first = _results_file(tmp_path, 'first.json', [_run('a', 'baseline', 0, 0.7)])
    second = _results_file(tmp_path, 'second.json', [_run('a', 'baseline', 0, 0.71)])
    with pytest.raises(ValueError, match=r"\('a', 'baseline', 0\) is in both .*first\.json and .*second\.json"):
        earlier_runs([first, second], SETTINGS, recipes=['baseline'], datasets=['a'], seeds=[0])


def test_runs_from_recipes_picks_which_recipes_the_earlier_files_supply():
    from recipe_benchmark import _recipes_from_files, parse_args

    mixed = parse_args(['--recipes', 'adaptive', 'baseline', 'timm_defaults', '--runs-from', 'old.json',
                        '--runs-from-recipes', 'baseline', 'timm_defaults'])
    assert _recipes_from_files(mixed) == ['baseline', 'timm_defaults']
    assert _recipes_from_files(parse_args(['--recipes', 'adaptive', 'baseline'])) == ['adaptive', 'baseline']
    with pytest.raises(SystemExit, match='--runs-from-recipes timm_defaults: not in --recipes'):
        _recipes_from_files(parse_args(['--recipes', 'adaptive', '--runs-from-recipes', 'timm_defaults']))
