"""Checkpoint safety: a checkpoint that would run code is refused everywhere adaptcls loads one; a normal
adaptcls checkpoint (message hub buffers, numpy scalars and arrays, random states) loads."""
import os
import os.path as osp
import runpy

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader

from adaptcls.utils import (UnsafeCheckpointError, capture_random_state, install_checkpoint_safety,
                            load_checkpoint_file)
from tests.tools.conftest import REPO, tiny_config, tiny_data  # noqa: F401 (fixture)


class _RunsCode:
    """Unpickles into ``os.system(command)``: the classic hostile-pickle payload."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.fixture
def hostile_checkpoint(tmp_path):
    """A checkpoint shaped like mmengine's whose loading would create ``marker`` through os.system."""
    marker = tmp_path / 'pwned'
    path = tmp_path / 'hostile.pth'
    torch.save(dict(meta=dict(epoch=1, iter=1), state_dict={}, message_hub=dict(runtime_info={}),
                    payload=_RunsCode(f'touch {marker}')), path)
    return dict(path=str(path), marker=marker)


def test_load_checkpoint_file_refuses_a_pickled_callable(hostile_checkpoint):
    with pytest.raises(UnsafeCheckpointError) as error:
        load_checkpoint_file(hostile_checkpoint['path'])
    message = str(error.value)
    assert hostile_checkpoint['path'] in message and 'system' in message
    assert not hostile_checkpoint['marker'].exists()


def test_mmengine_local_loader_is_the_weights_only_one(hostile_checkpoint):
    """load_from, resume and tools/test.py go through mmengine's CheckpointLoader."""
    install_checkpoint_safety()
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(hostile_checkpoint['path'], map_location='cpu')
    assert not hostile_checkpoint['marker'].exists()


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_checkpoint_file(tmp_path / 'missing.pth')


def _tool_main(name: str):
    return runpy.run_path(osp.join(REPO, 'tools', name), run_name='adaptcls_tool')['main']


def test_test_tool_refuses_the_checkpoint(hostile_checkpoint, tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    with pytest.raises(UnsafeCheckpointError):
        _tool_main('test.py')([str(config), hostile_checkpoint['path'], '--data-root', tiny_data,
                               '--work-dir', str(tmp_path / 'test')])
    assert not hostile_checkpoint['marker'].exists()


def test_train_tool_refuses_to_resume_from_the_checkpoint(hostile_checkpoint, tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    with pytest.raises(UnsafeCheckpointError):
        _tool_main('train.py')([str(config), '--data-root', tiny_data, '--work-dir', str(tmp_path / 'work'),
                                '--resume', hostile_checkpoint['path']])
    assert not hostile_checkpoint['marker'].exists()


def test_an_adaptcls_checkpoint_loads(tmp_path):
    """What adaptcls checkpoints hold besides tensors: HistoryBuffers (numpy arrays inside), numpy scalars in
    the runtime info (best score), Python/numpy/torch random states, nested plain containers."""
    install_checkpoint_safety()
    hub = MessageHub(f'safety_{id(tmp_path)}')
    for value in (np.float64(0.5), np.float32(0.25), 1.0):
        hub.update_scalar('train/loss', value)
    hub.update_info('best_score', np.float64(0.75))
    hub.update_info('keep_ckpt_ids', [1, 2])
    checkpoint = dict(
        meta=dict(epoch=np.int64(2), iter=8, dataset_meta=dict(classes=('a', 'b'))),
        state_dict=dict(weight=torch.arange(4.0)),
        message_hub=hub.state_dict(),
        random_state=[capture_random_state()],
        adaptcls_hooks=dict(RunSummaryHook=dict(history=[dict(epoch=1, lr=0.1, val=dict(top1=0.5))])),
    )
    path = tmp_path / 'normal.pth'
    torch.save(checkpoint, path)

    loaded = load_checkpoint_file(path)
    assert torch.equal(loaded['state_dict']['weight'], torch.arange(4.0))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.mean() == pytest.approx((0.5 + 0.25 + 1.0) / 3)
    assert loaded['message_hub']['runtime_info']['best_score'] == np.float64(0.75)
    assert loaded['meta']['epoch'] == 2
    saved_numpy, loaded_numpy = checkpoint['random_state'][0]['numpy'], loaded['random_state'][0]['numpy']
    assert np.array_equal(saved_numpy['state']['key'], loaded_numpy['state']['key'])
    assert loaded['adaptcls_hooks'] == checkpoint['adaptcls_hooks']


@pytest.mark.parametrize('damage', ['truncated', 'empty', 'not_a_checkpoint'])
def test_a_damaged_checkpoint_is_a_clear_error_naming_the_others(tmp_path, damage):
    from adaptcls.utils.checkpoint_safety import CorruptCheckpointError
    good = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=dict(weight=torch.ones(3))), good)
    damaged = tmp_path / 'epoch_2.pth'
    content = good.read_bytes()
    damaged.write_bytes({'truncated': content[:len(content) // 2], 'empty': b'',
                         'not_a_checkpoint': b'<html>not found</html>'}[damage])
    with pytest.raises(CorruptCheckpointError) as error:
        load_checkpoint_file(damaged)
    message = str(error.value)
    assert str(damaged) in message and 'truncated, empty or not a checkpoint' in message
    assert f'--resume {good}' in message
