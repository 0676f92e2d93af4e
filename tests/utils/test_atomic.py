"""Atomic writes: the file under the final name is always the old one or the complete new one."""
import json
import os
import signal
import stat

import pytest

from adaptcls.utils.atomic import TMP_PREFIX, atomic_path, atomic_write_json, atomic_write_text


def _leftovers(folder) -> list:
    return sorted(name for name in os.listdir(folder) if name.startswith(TMP_PREFIX))


def test_write_creates_and_replaces(tmp_path):
    path = tmp_path / 'sub' / 'summary.json'
    atomic_write_json(path, dict(top1=0.5))
    atomic_write_json(path, dict(top1=0.75))
    assert json.loads(path.read_text()) == dict(top1=0.75)
    assert _leftovers(path.parent) == []


def test_a_failing_write_leaves_the_old_file(tmp_path):
    path = tmp_path / 'history.json'
    atomic_write_text(path, 'old')
    with pytest.raises(RuntimeError, match='disk full'):
        with atomic_path(path) as tmp:
            with open(tmp, 'w') as stream:
                stream.write('half of the n')
            raise RuntimeError('disk full')
    assert path.read_text() == 'old'
    assert _leftovers(tmp_path) == []


def test_a_failing_rename_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    atomic_write_text(path, 'old')

    def failing_replace(src, dst):
        raise OSError('rename failed')

    monkeypatch.setattr(os, 'replace', failing_replace)
    with pytest.raises(OSError, match='rename failed'):
        atomic_write_text(path, 'new')
    assert path.read_text() == 'old'
    assert _leftovers(tmp_path) == []


def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch):
    """ENOSPC from the write (or its fsync) named no file ("No space left on device"); it names the final path."""
    import errno
    path = tmp_path / 'summary.json'
    atomic_write_text(path, 'old')

    def full_disk(handle):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full_disk)
    with pytest.raises(OSError) as raised:
        atomic_write_text(path, 'new')
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
    assert 'No space left on device (writing it failed' in str(raised.value)
    monkeypatch.undo()
    assert path.read_text() == 'old' and _leftovers(tmp_path) == []


def test_a_process_killed_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / 'last_checkpoint'
    atomic_write_text(path, 'epoch_1.pth')
    child = os.fork()
    if child == 0:  # the child starts the new version and dies half-way (no finally, no cleanup)
        try:
            with atomic_path(path) as tmp:
                with open(tmp, 'w') as stream:
                    stream.write('epoch_')
                    stream.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(1)  # never return into pytest in the child
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert path.read_text() == 'epoch_1.pth'
    leftovers = _leftovers(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].startswith(f'{TMP_PREFIX}last_checkpoint-')


def test_new_files_get_the_umask_permissions(tmp_path):
    old_umask = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / 'summary.json', '{}')
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / 'summary.json').stat().st_mode) == 0o640


def test_the_temporary_file_keeps_the_suffix(tmp_path):
    seen = []
    with atomic_path(tmp_path / 'curves.png') as tmp:
        seen.append(tmp)
        open(tmp, 'wb').close()
    assert seen[0].endswith('.png') and os.path.dirname(seen[0]) == str(tmp_path)
