"""RandomStateHook: generator states go into checkpoints and come back on resume (not on load_from)."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from adaptcls.engine.hooks import RandomStateHook
from adaptcls.engine.hooks import random_state_hook as module
from adaptcls.utils import capture_random_state, restore_random_state
from tests.engine.toy_runner import build_toy_runner


def _draws() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def _runner(iteration: int) -> SimpleNamespace:
    return SimpleNamespace(iter=iteration, logger=MMLogger.get_instance('random_state_hook_test'))


def _saved_checkpoint(hook: RandomStateHook, iteration: int) -> dict:
    checkpoint = dict(meta=dict(epoch=1, iter=iteration))
    hook.before_save_checkpoint(_runner(iteration), checkpoint)
    return checkpoint


def test_capture_and_restore_round_trip():
    state = capture_random_state()
    expected = _draws()
    _draws()
    restore_random_state(state)
    assert _draws() == expected


def test_resume_continues_the_generators_where_the_checkpoint_left_them():
    hook = RandomStateHook()
    checkpoint = _saved_checkpoint(hook, iteration=8)
    expected = _draws()
    torch.manual_seed(123), np.random.seed(123), random.seed(123)  # what a fresh process does

    resumed = RandomStateHook()
    resumed.after_load_checkpoint(_runner(0), checkpoint)
    resumed.before_train(_runner(8))  # Runner.resume set the iteration from the checkpoint
    assert _draws() == expected


def test_load_from_keeps_the_seeded_generators():
    checkpoint = _saved_checkpoint(RandomStateHook(), iteration=8)
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    expected = _draws()
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    hook = RandomStateHook()
    hook.after_load_checkpoint(_runner(0), checkpoint)
    hook.before_train(_runner(0))  # load_from: the run starts at iteration 0
    assert _draws() == expected


def test_a_different_number_of_processes_warns_and_keeps_the_seed(monkeypatch):
    checkpoint = _saved_checkpoint(RandomStateHook(), iteration=8)
    monkeypatch.setattr(module, 'get_world_size', lambda: 2)
    torch.manual_seed(5)
    expected = float(torch.rand(1))
    torch.manual_seed(5)
    hook = RandomStateHook()
    hook.after_load_checkpoint(_runner(0), checkpoint)
    warnings = []
    runner = _runner(8)
    runner.logger = SimpleNamespace(warning=warnings.append)
    hook.before_train(runner)
    assert float(torch.rand(1)) == expected
    assert len(warnings) == 1 and '1 process(es) and this run has 2' in warnings[0]


def test_multi_process_runs_save_every_ranks_state(monkeypatch):
    rank_states = [capture_random_state(), dict(capture_random_state(), torch=torch.Generator().manual_seed(7).get_state())]
    monkeypatch.setattr(module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(module, 'all_gather_object', lambda state: rank_states)
    hook = RandomStateHook()
    hook.after_train_epoch(_runner(8))
    assert _saved_checkpoint(hook, iteration=8)['random_state'] is rank_states
    # a checkpoint written at another iteration than the gathering holds this rank's state only
    assert len(_saved_checkpoint(hook, iteration=9)['random_state']) == 1

    monkeypatch.setattr(module, 'get_rank', lambda: 1)
    hook.after_load_checkpoint(_runner(0), dict(meta=dict(iter=8), random_state=rank_states))
    hook.before_train(_runner(8))
    assert torch.equal(torch.get_rng_state(), rank_states[1]['torch'])


def test_a_toy_runner_checkpoint_holds_the_state(tmp_path):
    runner = build_toy_runner(tmp_path, {1: 0.5}, max_epochs=1,
                              custom_hooks=[dict(type='RandomStateHook')])
    runner.train()
    checkpoint = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert len(checkpoint['random_state']) == 1
    assert set(checkpoint['random_state'][0]) >= {'python', 'numpy', 'torch'}


@pytest.mark.parametrize('key', ['python', 'numpy', 'torch'])
def test_each_generator_is_restored(key):
    state = capture_random_state()
    expected = _draws()
    restore_random_state(state)
    index = ['python', 'numpy', 'torch'].index(key)
    assert _draws()[index] == expected[index]
