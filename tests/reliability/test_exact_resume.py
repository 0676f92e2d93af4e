"""Exact resume: a run SIGKILLed mid-epoch, right after a checkpoint save or during validation and restarted
with ``tools/train.py CONFIG --resume`` ends exactly like the uninterrupted run (history, lr per epoch, best
epoch and metrics, early-stop epoch, final weights of both students, optimizer and hook state).

The recipe under test is configs/mnv3_small_adaptive.py shrunk (tests/reliability/tiny_adaptive.py): SAM,
warmup, ReduceLROnPlateauV2 with a forced drop and early stopping, mutual learning, AugMix."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from adaptcls.engine.runner import VALIDATED_EPOCH_KEY
from adaptcls.utils import load_checkpoint_file
from tests.reliability.tiny_adaptive import REPO, tiny_adaptive_config
from tests.tools.conftest import tiny_data  # noqa: F401 (fixture)

# The uninterrupted run: warmup epoch 1, forced lr drop after epoch 3 (max(int(0.5 * 6), 1 + 1 + 1)) onto the lr
# floor, a new best top-1 at epoch 4, early stop at epoch 5's validation (lr at its floor, top-1 no better).
MAX_EPOCHS = 6
FORCED_DROP_RATIO = 0.5
KILLS = {  # name: (KillHook point, epoch, epoch of the checkpoint the resumed run starts from)
    'mid_epoch': ('mid_epoch', 2, 1),  # epoch_1.pth was re-written after its validation (a new best)
    'after_save': ('after_save', 2, 2),  # epoch_2.pth is from before its validation
    'during_val': ('during_val', 3, 3),  # the resumed run repeats the validation it missed
}
RUN_TIMEOUT_S = 600
# One thread per process: results do not depend on the thread count, and four runs share two cores.
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=REPO)


def _start(config: str, work_dir: str, *extra: str) -> subprocess.Popen:
    """Starts tools/train.py; its output goes to WORK_DIR.log (appended: the killed run, then the resumed one)."""
    with open(work_dir + '.log', 'a') as log:
        return subprocess.Popen([sys.executable, 'tools/train.py', config, '--work-dir', work_dir, *extra],
                                cwd=REPO, env=ENV, stdout=log, stderr=subprocess.STDOUT)


def _wait(process: subprocess.Popen) -> int:
    return process.wait(timeout=RUN_TIMEOUT_S)


def _log_tail(work_dir: str) -> str:
    with open(work_dir + '.log') as stream:
        return stream.read()[-3000:]


@pytest.fixture(scope='module')
def runs(tiny_data, tmp_path_factory):  # noqa: F811
    """The uninterrupted run and, for each kill point, a killed run resumed in the same work dir (run in
    parallel: the uninterrupted and killed runs, then the resumed ones)."""
    tmp = tmp_path_factory.mktemp('exact_resume')
    cfg = tiny_adaptive_config(tiny_data, max_epochs=MAX_EPOCHS)
    cfg.custom_hooks[0].forced_drop_ratio = FORCED_DROP_RATIO
    config = str(tmp / 'tiny_adaptive.py')
    cfg.dump(config)
    work_dirs = {name: str(tmp / name) for name in ['uninterrupted', *KILLS]}
    processes = {'uninterrupted': _start(config, work_dirs['uninterrupted'])}
    for name, (point, epoch, _) in KILLS.items():
        killing = tiny_adaptive_config(tiny_data, max_epochs=MAX_EPOCHS)
        killing.custom_hooks[0].forced_drop_ratio = FORCED_DROP_RATIO
        killing.custom_imports = dict(imports=['tests.reliability.kill_hook'], allow_failed_imports=False)
        killing.custom_hooks.append(dict(type='KillHook', point=point, epoch=epoch))
        killing_config = str(tmp / f'kill_{name}.py')
        killing.dump(killing_config)
        processes[name] = _start(killing_config, work_dirs[name])
    returncodes = {name: _wait(process) for name, process in processes.items()}
    assert returncodes['uninterrupted'] == 0, _log_tail(work_dirs['uninterrupted'])

    resumed_from = {}
    for name in KILLS:
        assert returncodes[name] == -signal.SIGKILL, _log_tail(work_dirs[name])
        with open(osp.join(work_dirs[name], 'last_checkpoint')) as stream:
            checkpoint = load_checkpoint_file(osp.join(work_dirs[name], stream.read().strip()))
        resumed_from[name] = dict(epoch=checkpoint['meta']['epoch'],
                                  validated=checkpoint['message_hub']['runtime_info'].get(VALIDATED_EPOCH_KEY))
        processes[name] = _start(config, work_dirs[name], '--resume')
    for name in KILLS:
        assert _wait(processes[name]) == 0, _log_tail(work_dirs[name])
    return dict(work_dirs=work_dirs, resumed_from=resumed_from)


def _read_json(work_dir: str, name: str):
    with open(osp.join(work_dir, name)) as stream:
        return json.load(stream)


def _final_checkpoint(work_dir: str) -> dict:
    with open(osp.join(work_dir, 'last_checkpoint')) as stream:
        return load_checkpoint_file(osp.join(work_dir, stream.read().strip()))


def _assert_same_tensors(expected, actual, where: str) -> None:
    """Equal nested dicts/lists whose tensors are bit-identical."""
    if isinstance(expected, torch.Tensor):
        assert torch.equal(expected, actual), where
    elif isinstance(expected, np.ndarray):
        assert np.array_equal(expected, actual), where
    elif isinstance(expected, dict):
        assert expected.keys() == actual.keys(), where
        for key in expected:
            _assert_same_tensors(expected[key], actual[key], f'{where}.{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(expected) == len(actual), where
        for index, (left, right) in enumerate(zip(expected, actual)):
            _assert_same_tensors(left, right, f'{where}[{index}]')
    else:
        assert expected == actual, where


def test_the_uninterrupted_run_stops_early_after_a_drop(runs):
    summary = _read_json(runs['work_dirs']['uninterrupted'], 'summary.json')
    assert summary['stopped_early'] and summary['epochs_run'] < MAX_EPOCHS, summary['stop_reason']
    assert len(summary['lr_drops']) >= 1


@pytest.mark.parametrize('name', KILLS)
def test_killed_run_resumed_from_the_expected_checkpoint(runs, name):
    assert runs['resumed_from'][name]['epoch'] == KILLS[name][2]


def test_resumes_cover_checkpoints_with_and_without_their_validation(runs):
    """One resume starts from a checkpoint written after its epoch's validation (nothing to repeat), one
    from a checkpoint written before it (the loop must run the missed validation)."""
    included = {name: state['validated'] == state['epoch'] for name, state in runs['resumed_from'].items()}
    assert any(included.values()) and not all(included.values()), runs['resumed_from']


@pytest.mark.parametrize('name', KILLS)
def test_resumed_run_ends_like_the_uninterrupted_run(runs, name):
    expected_dir, resumed_dir = runs['work_dirs']['uninterrupted'], runs['work_dirs'][name]
    assert _read_json(resumed_dir, 'history.json') == _read_json(expected_dir, 'history.json')
    expected, resumed = (_read_json(path, 'summary.json') for path in (expected_dir, resumed_dir))
    for key in ('best_epoch', 'best_metrics', 'epochs_run', 'stopped_early', 'stop_reason', 'lr_drops'):
        assert resumed[key] == expected[key], key
    assert osp.basename(resumed['best_checkpoint']) == osp.basename(expected['best_checkpoint'])
    assert osp.isfile(resumed['best_checkpoint'])

    expected_ckpt, resumed_ckpt = _final_checkpoint(expected_dir), _final_checkpoint(resumed_dir)
    assert resumed_ckpt['meta']['epoch'] == expected_ckpt['meta']['epoch']
    state_keys = expected_ckpt['state_dict'].keys()
    assert any(key.startswith('slow.') for key in state_keys)  # the second student is in the checkpoint
    assert 'param_schedulers' not in expected_ckpt  # ReduceLROnPlateauV2 owns the lr (its state: the last line)
    for key in ('state_dict', 'optimizer', 'random_state'):
        _assert_same_tensors(expected_ckpt[key], resumed_ckpt[key], key)
    assert resumed_ckpt['adaptcls_hooks']['ReduceLROnPlateauV2'] == expected_ckpt['adaptcls_hooks']['ReduceLROnPlateauV2']


@pytest.fixture(scope='module')
def amp_runs(tiny_data, tmp_path_factory):  # noqa: F811
    """The same recipe under bf16 autocast (SAM's two passes and both students): an uninterrupted run and one
    killed mid-epoch 2, then resumed, both with --amp bf16."""
    tmp = tmp_path_factory.mktemp('exact_resume_amp')
    cfg = tiny_adaptive_config(tiny_data, max_epochs=3)
    config = str(tmp / 'tiny_adaptive.py')
    cfg.dump(config)
    cfg.custom_imports = dict(imports=['tests.reliability.kill_hook'], allow_failed_imports=False)
    cfg.custom_hooks.append(dict(type='KillHook', point='mid_epoch', epoch=2))
    killing_config = str(tmp / 'kill.py')
    cfg.dump(killing_config)
    work_dirs = {name: str(tmp / name) for name in ('uninterrupted', 'killed')}
    processes = {'uninterrupted': _start(config, work_dirs['uninterrupted'], '--amp', 'bf16'),
                 'killed': _start(killing_config, work_dirs['killed'], '--amp', 'bf16')}
    assert _wait(processes['uninterrupted']) == 0, _log_tail(work_dirs['uninterrupted'])
    assert _wait(processes['killed']) == -signal.SIGKILL, _log_tail(work_dirs['killed'])
    assert _wait(_start(config, work_dirs['killed'], '--amp', 'bf16', '--resume')) == 0, _log_tail(work_dirs['killed'])
    return work_dirs


def test_a_resumed_bf16_run_ends_like_the_uninterrupted_one(amp_runs):
    assert _read_json(amp_runs['killed'], 'summary.json')['precision'] == 'bfloat16'
    expected, resumed = (_final_checkpoint(amp_runs[name]) for name in ('uninterrupted', 'killed'))
    for key in ('state_dict', 'optimizer', 'random_state'):
        _assert_same_tensors(expected[key], resumed[key], key)
    assert _read_json(amp_runs['killed'], 'history.json') == _read_json(amp_runs['uninterrupted'], 'history.json')
