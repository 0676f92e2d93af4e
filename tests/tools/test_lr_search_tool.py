"""tools/lr_search.py end to end in each mode, and tools/train.py --auto-lr, on tiny folder data."""
import csv
import glob
import json
import os.path as osp
import runpy

import pytest
from mmengine.config import Config

from tests.tools.conftest import REPO, tiny_config

LR_SEARCH = osp.join(REPO, 'tools', 'lr_search.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')
SAM_PLATEAU_BASES = [f'{REPO}/configs/_base_/models/effnet_lite0.py',
                     f'{REPO}/configs/_base_/datasets/image_folder_basic_aug.py',
                     f'{REPO}/configs/_base_/schedules/sam_plateau_v2.py',
                     f'{REPO}/configs/_base_/default_runtime.py']
# The fastai test needs more than 6 iterations per epoch on 24 images: batch 2, keep the last point.
FASTAI_OPTIONS = ['--cfg-options', 'train_dataloader.batch_size=2', 'lr_search.fastai_skip_end=1']


def run_tool(script, *args):
    """Runs a tool's main() in this process (fast: torch is already imported)."""
    runpy.run_path(script, run_name='adaptcls_tool')['main'](list(args))


@pytest.fixture(scope='module')
def sam_plateau_config(tmp_path_factory):
    """A tiny config with the adaptive schedule's SAM optimizer and ReduceLROnPlateauV2 hook."""
    tmp = tmp_path_factory.mktemp('configs')
    (tmp / 'sam_plateau.py').write_text(f'_base_ = {SAM_PLATEAU_BASES!r}\n')
    cfg = tiny_config(str(tmp / 'sam_plateau.py'), max_epochs=3)
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


def test_fastai_range_test_on_a_sam_config(sam_plateau_config, tiny_data, tmp_path):
    run_tool(LR_SEARCH, sam_plateau_config, '--mode', 'fastai', '--data-root', tiny_data, '--work-dir',
             str(tmp_path), *FASTAI_OPTIONS)
    result, rows, _ = read_outputs(str(tmp_path / 'lr_search'))
    assert result['mode'] == 'fastai' and result['rule'] == 'steepest'
    assert result['iterations_planned'] == 12 and len(rows) == result['iterations_run'] <= 12
    assert result['sweep'][0] == pytest.approx(0.001)  # from the range's low end ...
    if not result['diverged']:
        assert result['sweep'][1] == pytest.approx(0.1)  # ... to 10 x its high end
    assert 0.001 <= result['chosen_lr'] <= 0.010
    assert result['chosen_lr'] == pytest.approx(min(max(result['suggested_lr'], 0.001), 0.010))
    assert result['total_trained_epochs'] == pytest.approx(1 + result['iterations_run'] / 12)


def test_train_auto_lr_trains_with_the_chosen_lr(tiny_data, tmp_path, write_config):
    config = write_config(tiny_config(max_epochs=1))
    # The config's lr lies outside the searched range [0.001, 0.010], so the chosen lr can never equal it.
    run_tool(TRAIN, config, '--data-root', tiny_data, '--work-dir', str(tmp_path), '--auto-lr', 'fastai',
             *FASTAI_OPTIONS, 'optim_wrapper.optimizer.lr=0.05')
    summary = json.loads((tmp_path / 'summary.json').read_text())
    history = json.loads((tmp_path / 'history.json').read_text())
    chosen = summary['lr_search']['chosen_lr']
    assert summary['lr_search']['mode'] == 'fastai' and osp.isfile(summary['lr_search']['result_file'])
    assert history[0]['lr'] == pytest.approx(chosen) and 0.001 <= chosen <= 0.010  # not the config's 0.05


def test_fastai_refuses_trial_options(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        run_tool(LR_SEARCH, 'configs/effnet_lite0_demo.py', '--mode', 'fastai', '--trials', '3')
    assert exit_info.value.code == 2
