"""AtomicLocalBackend: mmengine's checkpoint writer goes through it, and a failed write keeps the old file."""
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

from adaptcls.utils import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, load_checkpoint_file
from adaptcls.utils.atomic import TMP_PREFIX

BACKEND_ARGS = dict(backend=ATOMIC_LOCAL_BACKEND)


def test_backend_args_select_it():
    assert type(get_file_backend('/any/path', backend_args=BACKEND_ARGS)) is AtomicLocalBackend


def test_put_and_put_text_round_trip(tmp_path):
    backend = AtomicLocalBackend()
    backend.put(b'\x00\x01', tmp_path / 'new' / 'a.bin')
    backend.put_text('caf\u00e9', tmp_path / 'b.txt')
    assert backend.get(tmp_path / 'new' / 'a.bin') == b'\x00\x01'
    assert backend.get_text(tmp_path / 'b.txt') == 'caf\u00e9'


def test_a_checkpoint_save_that_fails_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_1.pth')
    save_checkpoint(dict(state_dict=dict(w=torch.zeros(3))), path, backend_args=BACKEND_ARGS)

    real_write = open

    def write_half_then_fail(file, mode='r', *args, **kwargs):
        stream = real_write(file, mode, *args, **kwargs)
        if 'w' in mode and str(file).startswith(str(tmp_path)):  # any write of the second save
            original = stream.write

            def half_write(data):
                original(data[:len(data) // 2])
                raise OSError('No space left on device')
            stream.write = half_write
        return stream

    monkeypatch.setattr('builtins.open', write_half_then_fail)
    with pytest.raises(OSError, match='No space left'):
        save_checkpoint(dict(state_dict=dict(w=torch.ones(3))), path, backend_args=BACKEND_ARGS)
    monkeypatch.undo()

    assert torch.equal(load_checkpoint_file(path)['state_dict']['w'], torch.zeros(3))
    assert [name for name in os.listdir(tmp_path) if name.startswith(TMP_PREFIX)] == []
