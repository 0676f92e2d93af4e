"""tools/lr_search.py end to end in each mode, and tools/train.py --auto-lr, on tiny folder data."""
import csv
import glob
import json
import multiprocessing
import os
import os.path as osp
import re
import runpy

import pytest
from mmengine.config import Config

from adaptcls.cli.cli_errors import run_cli
from adaptcls.config import build_config
from tests.tools.conftest import REPO, tiny_config

LR_SEARCH = osp.join(REPO, 'tools', 'lr_search.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')
SAM_PLATEAU_BASES = [f'{REPO}/configs/_base_/models/effnet_lite0.py',
                     f'{REPO}/configs/_base_/datasets/image_folder_basic_aug.py',
                     f'{REPO}/configs/_base_/schedules/sam_plateau_v2.py',
                     f'{REPO}/configs/_base_/default_runtime.py']
# The range test: 12 iterations per epoch on 24 images at batch 2, a sweep of at least 30 iterations (so it
# spans 2.5 epochs), keep the last point.
RANGE_TEST_MIN_ITERATIONS = 30
RANGE_TEST_OPTIONS = ['--cfg-options', 'train_dataloader.batch_size=2', 'lr_search.range_test_skip_end=1',
                  f'lr_search.range_test_min_iterations={RANGE_TEST_MIN_ITERATIONS}']


def run_tool(script, *args):
    """Runs a tool's main() in this process (fast: torch is already imported)."""
    runpy.run_path(script, run_name='adaptcls_tool')['main'](list(args))


def run_tool_as_user(script, *args):
    """Runs a tool's main() as its ``__main__`` does: under run_cli, a user error exits with status 2."""
    main = runpy.run_path(script, run_name='adaptcls_tool')['main']
    run_cli(lambda: main(list(args)))


def open_files_under(folder) -> list:
    """Paths under ``folder`` that this process holds open (Linux's /proc/self/fd)."""
    if not osp.isdir('/proc/self/fd'):
        pytest.skip('needs /proc/self/fd to list open files')
    paths = []
    for fd in os.listdir('/proc/self/fd'):
        try:
            target = os.readlink(osp.join('/proc/self/fd', fd))
        except OSError:  # closed since the listing
            continue
        if target.startswith(str(folder)):
            paths.append(target)
    return paths


@pytest.fixture(scope='module')
def sam_plateau_config(tmp_path_factory):
    """A tiny config with the adaptive schedule's SAM optimizer and ReduceLROnPlateauV2 hook."""
    tmp = tmp_path_factory.mktemp('configs')
    (tmp / 'sam_plateau.py').write_text(f'_base_ = {SAM_PLATEAU_BASES!r}\n')
    cfg = tiny_config(str(tmp / 'sam_plateau.py'), max_epochs=3)
    cfg.param_scheduler = None  # the hook owns the lr (tiny_config's cosine would be refused beside it)
    assert cfg.optim_wrapper.type == 'SAMOptimWrapper' and cfg.custom_hooks[0].type == 'ReduceLROnPlateauV2'
    path = tmp / 'tiny_sam_plateau.py'
    cfg.dump(str(path))
    return str(path)


def read_outputs(search_dir):
    with open(osp.join(search_dir, 'result.json')) as stream:
        result = json.load(stream)
    with open(osp.join(search_dir, 'trials.csv')) as stream:
        rows = list(csv.DictReader(stream))
    lr_config = Config.fromfile(osp.join(search_dir, 'lr_config.py'))
    assert osp.getsize(osp.join(search_dir, 'lr_search.png')) > 1000
    assert lr_config.optim_wrapper.optimizer.lr == result['chosen_lr']
    return result, rows, lr_config


def test_tpe_on_a_sam_plateau_config_then_a_rerun_trains_nothing(sam_plateau_config, tiny_data, tmp_path,
                                                                   capsys):
    args = [sam_plateau_config, '--data-root', tiny_data, '--work-dir', str(tmp_path), '--trials', '3',
            '--epochs-per-trial', '1', '--seed', '0']
    run_tool(LR_SEARCH, *args)
    search_dir = str(tmp_path / 'lr_search')
    result, rows, lr_config = read_outputs(search_dir)
    progress = [line for line in capsys.readouterr().out.splitlines() if ' trial ' in line]
    assert len(progress) == 3 and all('ETA' in line and 'top1 per epoch' in line for line in progress)
    assert result['mode'] == 'tpe' and result['trials_requested'] == result['trials_finished'] == 3
    assert len(rows) == 3 and {row['state'] for row in rows} <= {'complete', 'reused'}
    complete = [trial for trial in result['trials'] if trial['state'] == 'complete']
    best = max(complete, key=lambda trial: trial['value'])
    assert result['chosen_lr'] == best['lr'] and 0.001 <= best['lr'] <= 0.010
    assert result['total_trained_epochs'] == sum(row['trained_epochs'] for row in result['trials']) >= 1
    assert lr_config.optim_wrapper.type == 'SAMOptimWrapper'  # the searched config is the base
    train_cfg = build_config(osp.join(search_dir, 'lr_config.py'), 'train', data_root=tiny_data)
    assert lr_config.work_dir == train_cfg.work_dir == str(tmp_path)  # trains next to its search
    assert glob.glob(osp.join(search_dir, '**', '*.pth'), recursive=True) == []
    assert not glob.glob(osp.join(search_dir, 'trial_*', 'history.json'))  # RunSummaryHook dropped

    run_tool(LR_SEARCH, *args)  # the study is finished: nothing is trained again
    again, _, _ = read_outputs(search_dir)
    assert [line for line in capsys.readouterr().out.splitlines() if ' trial ' in line] == []
    assert again['trials'] == result['trials'] and again['chosen_lr'] == result['chosen_lr']


def test_grid_trains_the_evenly_spaced_points(tiny_data, tmp_path, write_config):
    config = write_config(tiny_config())
    run_tool(LR_SEARCH, config, '--mode', 'grid', '--data-root', tiny_data, '--work-dir', str(tmp_path),
             '--trials', '2', '--epochs-per-trial', '1', '--range', '0.002', '0.008')
    result, rows, _ = read_outputs(str(tmp_path / 'lr_search'))
    assert sorted(float(row['lr']) for row in rows) == [0.002, 0.008]
    assert result['search_space']['grid'] == [0.002, 0.008] and result['total_trained_epochs'] == 2


def test_grid_prunes_a_diverged_lr_and_chooses_from_the_completed_points(tiny_data, tmp_path, write_config):
    config = write_config(tiny_config())
    run_tool(LR_SEARCH, config, '--mode', 'grid', '--data-root', tiny_data, '--work-dir', str(tmp_path),
             '--trials', '2', '--epochs-per-trial', '1', '--range', '0.002', '1e30', '--cfg-options',
             'train_dataloader.num_workers=1', 'train_dataloader.persistent_workers=True')
    search_dir = tmp_path / 'lr_search'
    result, rows, _ = read_outputs(str(search_dir))  # without the pruning, lr 1e30 ends the search
    trials = {trial['lr']: trial for trial in result['trials']}
    assert sorted(trials) == [0.002, 1e30] and result['trials_finished'] == 2
    diverged = trials[1e30]
    assert diverged['state'] == 'pruned' and diverged['diverged'] is True and diverged['value'] is None
    assert re.fullmatch(r'lr 1e\+30 diverged: Training stopped in epoch 1, iteration \d+: the loss is '
                        r'-?(nan|inf) \(not finite\)', diverged['reason'])
    assert trials[0.002]['state'] == 'complete' and trials[0.002]['reason'] is None
    assert result['chosen_lr'] == 0.002 and result['best_value'] == trials[0.002]['value']
    csv_row = next(row for row in rows if float(row['lr']) == 1e30)
    assert (csv_row['state'], csv_row['reason'], csv_row['diverged'], csv_row['value']) == (
        'pruned', diverged['reason'], 'True', '')
    # Both trials' runs are released: no DataLoader worker left running, no log file left open.
    assert multiprocessing.active_children() == []
    assert open_files_under(search_dir / 'trial_0') == open_files_under(search_dir / 'trial_1') == []


def test_grid_where_every_lr_diverges_asks_for_a_lower_range(tiny_data, tmp_path, write_config, capsys):
    config = write_config(tiny_config())
    with pytest.raises(SystemExit) as exit_info:
        run_tool_as_user(LR_SEARCH, config, '--mode', 'grid', '--data-root', tiny_data, '--work-dir',
                         str(tmp_path), '--trials', '2', '--epochs-per-trial', '1', '--range', '1e29', '1e30')
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert 'the training loss became NaN or infinite at every learning rate trained (1e+29, 1e+30)' in error
    assert 'search a lower range, e.g. --range 1e+28 1e+29' in error
    with open(tmp_path / 'lr_search' / 'trials.csv') as stream:
        assert [(row['state'], row['diverged']) for row in csv.DictReader(stream)] == [('pruned', 'True')] * 2


def test_range_test_sweep_that_diverges_too_early_asks_for_a_lower_range(tiny_data, tmp_path, write_config, capsys):
    config = write_config(tiny_config())
    with pytest.raises(SystemExit) as exit_info:  # 6 sweep steps from 0.001 to 1e31: diverged within a few
        run_tool_as_user(LR_SEARCH, config, '--mode', 'range_test', '--data-root', tiny_data, '--work-dir',
                         str(tmp_path), '--range', '0.001', '1e30', '--cfg-options', 'lr_search.range_test_skip_end=1')
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert re.search(r'The sweep diverged early, at lr \S+: search a lower range, '
                     r'e.g. --range 0.0001 1e\+29', error)


def test_a_misspelt_cfg_options_key_fails_before_training(tiny_data, tmp_path, write_config, capsys):
    config = write_config(tiny_config())
    with pytest.raises(SystemExit) as exit_info:  # without the check: a search at the config's lr
        run_tool_as_user(LR_SEARCH, config, '--mode', 'range_test', '--data-root', tiny_data, '--work-dir',
                         str(tmp_path), *RANGE_TEST_OPTIONS, 'optim_wraper.optimizer.lr=0.1')
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "unknown top-level key 'optim_wraper' (nothing reads it): did you mean 'optim_wrapper'?" in error
    assert not (tmp_path / 'lr_search').exists()


def test_range_test_on_a_sam_config(sam_plateau_config, tiny_data, tmp_path):
    run_tool(LR_SEARCH, sam_plateau_config, '--mode', 'range_test', '--data-root', tiny_data, '--work-dir',
             str(tmp_path), *RANGE_TEST_OPTIONS)
    result, rows, _ = read_outputs(str(tmp_path / 'lr_search'))
    assert result['mode'] == 'range_test' and result['rule'] == 'valley'
    assert result['iterations_per_epoch'] == 12
    assert result['iterations_planned'] == RANGE_TEST_MIN_ITERATIONS and len(rows) == result['iterations_run'] <= 30
    assert result['sweep'][0] == pytest.approx(0.001)  # from the range's low end ...
    if not result['diverged']:
        assert result['sweep'][1] == pytest.approx(0.1)  # ... to 10 x its high end
    assert 0.001 <= result['chosen_lr'] <= 0.010
    assert result['chosen_lr'] == pytest.approx(min(max(result['suggested_lr'], 0.001), 0.010))
    assert result['total_trained_epochs'] == pytest.approx(0.5 + result['iterations_run'] / 12)  # half a warm-up epoch


def test_train_auto_lr_trains_with_the_chosen_lr(tiny_data, tmp_path, write_config):
    config = write_config(tiny_config(max_epochs=1))
    # The config's lr lies outside the searched range [0.001, 0.010], so the chosen lr can never equal it.
    run_tool(TRAIN, config, '--data-root', tiny_data, '--work-dir', str(tmp_path), '--auto-lr', 'range_test',
             *RANGE_TEST_OPTIONS, 'optim_wrapper.optimizer.lr=0.05')
    summary = json.loads((tmp_path / 'summary.json').read_text())
    history = json.loads((tmp_path / 'history.json').read_text())
    chosen = summary['lr_search']['chosen_lr']
    assert summary['lr_search']['mode'] == 'range_test' and osp.isfile(summary['lr_search']['result_file'])
    assert history[0]['lr'] == pytest.approx(chosen) and 0.001 <= chosen <= 0.010  # not the config's 0.05
    suggested = summary['lr_search']['suggested_lr']
    assert summary['lr_search']['clipped'] == ('above' if suggested > 0.010 else 'below' if suggested < 0.001 else None)


def test_a_suggestion_above_the_range_is_clipped_and_recorded(tiny_data, tmp_path, write_config, monkeypatch, capsys):
    from adaptcls.lr_search import run_lr_search as module
    monkeypatch.setattr(module, 'suggest_index', lambda rule, lrs, *args: len(lrs) - 1)  # the sweep's last lr
    config = write_config(tiny_config(max_epochs=1))
    run_tool(TRAIN, config, '--data-root', tiny_data, '--work-dir', str(tmp_path), '--auto-lr', 'range_test',
             *RANGE_TEST_OPTIONS, 'lr_search.range_test_diverge_factor=1e30')
    search = json.loads((tmp_path / 'summary.json').read_text())['lr_search']
    assert search['clipped'] == 'above' and search['suggested_lr'] > 0.010 and search['chosen_lr'] == 0.010
    assert 'lies above the configured range [0.001, 0.01] (lr_search.lr_range): clipped' in capsys.readouterr().out


def test_range_test_sweeps_at_least_the_minimum_iterations_on_tiny_data(tiny_data, tmp_path, write_config):
    run_tool(LR_SEARCH, write_config(tiny_config()), '--mode', 'range_test', '--data-root', tiny_data, '--work-dir',
             str(tmp_path), *RANGE_TEST_OPTIONS, 'lr_search.range_test_diverge_factor=1e30')  # never stop early
    result, rows, _ = read_outputs(str(tmp_path / 'lr_search'))
    assert result['iterations_per_epoch'] == 12 and result['iterations_run'] == RANGE_TEST_MIN_ITERATIONS == len(rows)
    assert result['total_trained_epochs'] == pytest.approx(0.5 + RANGE_TEST_MIN_ITERATIONS / 12)
    lrs = [float(row['lr']) for row in rows]
    assert lrs == sorted(lrs) and lrs[-1] == pytest.approx(0.1)  # one sweep across the epochs, not one per epoch


def test_the_range_test_on_a_small_set_costs_at_most_its_epoch_cap(tiny_data, tmp_path, write_config, monkeypatch):
    """24 training images at batch 12 with a 12-iteration sweep capped at 1 epoch: the sweep runs at batch 2
    (12 x 2 = 24 images) with its lrs scaled by 2 / 12, so half an epoch of warm-up + the sweep = 1.5 epochs (at
    batch 12: 0.5 + 6)."""
    from adaptcls.lr_search import lr_range_sweep
    applied = []  # what each parameter group trains at, over the lr of the curve

    def recording_set_lr(optim_wrapper, lr, lr_ratios):
        set_lr(optim_wrapper, lr, lr_ratios)
        applied.append(min(group['lr'] for group in optim_wrapper.param_groups) / lr)

    set_lr = lr_range_sweep._set_lr
    monkeypatch.setattr(lr_range_sweep, '_set_lr', recording_set_lr)
    run_tool(LR_SEARCH, write_config(tiny_config()), '--mode', 'range_test', '--data-root', tiny_data, '--work-dir',
             str(tmp_path), '--cfg-options', 'train_dataloader.batch_size=12', 'lr_search.range_test_skip_end=1',
             'lr_search.range_test_min_iterations=12', 'lr_search.range_test_max_sweep_epochs=1',
             'lr_search.range_test_min_sweep_batch=2', 'lr_search.range_test_diverge_factor=1e30')
    result, rows, _ = read_outputs(str(tmp_path / 'lr_search'))
    assert result['train_batch_size'] == 12 and result['sweep_batch_size'] == 2 and result['train_images'] == 24
    assert result['iterations_run'] == 12 == len(rows) and result['iterations_per_epoch'] == 12
    assert result['extra_epochs'] == result['total_trained_epochs'] == pytest.approx(1.5)
    assert len(applied) == 1 + 12 and applied == pytest.approx([2 / 12] * 13)  # mmengine's auto_scale_lr


def test_range_test_refuses_trial_options(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        run_tool(LR_SEARCH, 'configs/effnet_lite0_demo.py', '--mode', 'range_test', '--trials', '3')
    assert exit_info.value.code == 2
