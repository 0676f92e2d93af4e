"""benchmarks/recipe_targets.py: issue 30's targets read from recipe-benchmark tables and stopping replays."""
import json

import pytest

from recipe_targets import main


def _run(dataset, recipe, seed, top1, epochs, search=0.0):
    return dict(dataset=dataset, recipe=recipe, seed=seed, top1=top1, mAP=top1 + 0.05, epochs_run=epochs,
                search_epochs=search)


def _write(path, runs):
    path.write_text(json.dumps(dict(runs=runs)))
    return str(path)


@pytest.fixture
def tables(tmp_path):
    main_runs = [_run('photos', 'adaptive', 0, 0.84, 28, 1.5), _run('photos', 'baseline', 0, 0.81, 50),
                 _run('photos', 'timm_defaults', 0, 0.83, 50),
                 _run('grey', 'adaptive', 0, 0.90, 20, 1.5), _run('grey', 'baseline', 0, 0.87, 50),
                 _run('grey', 'timm_defaults', 0, 0.89, 50)]
    small_runs = [_run('small', 'adaptive', 0, 0.80, 23, 2.1), _run('small', 'baseline', 0, 0.76, 40),
                  _run('small', 'timm_defaults', 0, 0.74, 40)]
    return _write(tmp_path / 'main.json', main_runs), _write(tmp_path / 'small.json', small_runs), tmp_path


def _targets(output):
    return {target['name']: target for target in json.loads(output.read_text())['targets']}


def test_targets_are_read_from_the_tables_with_what_each_misses(tables, capsys):
    main_file, small_file, tmp_path = tables
    main(['--results', main_file, '--small-results', small_file, '--photos', 'photos',
          '--output', str(tmp_path / 'targets.json')])
    targets = _targets(tmp_path / 'targets.json')
    assert targets['adaptive - timm_defaults, top-1 pt, average']['value'] == pytest.approx(1.0)
    assert not targets['adaptive - timm_defaults, top-1 pt, average']['met']
    assert targets['adaptive - baseline, top-1 pt, average']['met']
    assert targets['adaptive epochs / baseline epochs, small']['value'] == pytest.approx(25.1 / 40)
    assert not targets['adaptive epochs / baseline epochs, small']['met']
    assert targets['adaptive epochs / baseline epochs, grey']['met']
    assert 'adaptive - timm_defaults, top-1 pt, average: 1.000 (target >= 1.5): MISSED by 0.5' in capsys.readouterr().out


def test_a_replay_replaces_the_adaptive_run_it_replayed(tables):
    main_file, small_file, tmp_path = tables
    replay = dict(runs=[dict(dataset='small', recipe='adaptive', seed=0, logged=dict(top1=0.80, mAP=0.85, epochs=25.1),
                             replayed=dict(top1=0.80, mAP=0.85, epochs=24.1))])
    replay_file = _write(tmp_path / 'replay.json', replay['runs'])
    main(['--results', main_file, '--small-results', small_file, '--replays', replay_file,
          '--output', str(tmp_path / 'targets.json')])
    small = _targets(tmp_path / 'targets.json')['adaptive epochs / baseline epochs, small']
    assert small['value'] == pytest.approx(24.1 / 40) and not small['met']


def test_a_replay_of_other_runs_and_a_run_held_twice_are_refused(tables):
    main_file, small_file, tmp_path = tables
    other = _write(tmp_path / 'other.json', [dict(dataset='small', recipe='adaptive', seed=0,
                                                  logged=dict(top1=0.70, mAP=0.75, epochs=30),
                                                  replayed=dict(top1=0.70, mAP=0.75, epochs=29))])
    with pytest.raises(SystemExit, match='logged top-1 0.7000, the table\'s run 0.8000'):
        main(['--results', main_file, '--small-results', small_file, '--replays', other,
              '--output', str(tmp_path / 'targets.json')])
    with pytest.raises(SystemExit, match=r"\('photos', 'adaptive', 0\) is in both"):
        main(['--results', main_file, main_file, '--output', str(tmp_path / 'targets.json')])
