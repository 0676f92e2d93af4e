"""One training per work dir, and no silent overwrite of a previous run's results (adaptcls.apis.work_dir_guard)."""
import hashlib
import os
import subprocess
import sys
import textwrap

import pytest

from adaptcls.apis.work_dir_guard import LOCK_FILE, WorkDirInUseError, claim_work_dir, previous_results
from tests.tools.conftest import REPO, tiny_config, tiny_data  # noqa: F401 (fixture)


def _checksums(folder) -> dict:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.iterdir() if path.is_file()
            and path.name != LOCK_FILE}


def test_a_second_claim_fails_at_once_naming_the_holder(tmp_path):
    lock = claim_work_dir(str(tmp_path), resume=False, overwrite=False)
    try:
        with pytest.raises(WorkDirInUseError, match=f'in use by another training \\(pid {os.getpid()}'):
            claim_work_dir(str(tmp_path), resume=False, overwrite=False)
    finally:
        lock.close()
    claim_work_dir(str(tmp_path), resume=False, overwrite=False).close()  # released: free again


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, '-c', textwrap.dedent(f'''
        import sys, time
        sys.path.insert(0, {REPO!r})
        from adaptcls.apis.work_dir_guard import claim_work_dir
        lock = claim_work_dir({str(tmp_path)!r}, resume=False, overwrite=False)
        print('locked', flush=True)
        time.sleep(60)
        ''')], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        with pytest.raises(WorkDirInUseError, match=f'pid {holder.pid}'):
            claim_work_dir(str(tmp_path), resume=False, overwrite=False)
    finally:
        holder.kill()
        holder.wait()
    claim_work_dir(str(tmp_path), resume=False, overwrite=False).close()


def test_previous_results_are_refused_unless_resume_or_overwrite(tmp_path):
    (tmp_path / 'epoch_3.pth').write_bytes(b'weights')
    (tmp_path / 'summary.json').write_text('{}')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    before = _checksums(tmp_path)
    with pytest.raises(FileExistsError, match='epoch_3.pth, last_checkpoint, summary.json.*--resume.*--overwrite'):
        claim_work_dir(str(tmp_path), resume=False, overwrite=False)
    assert _checksums(tmp_path) == before
    claim_work_dir(str(tmp_path), resume=True, overwrite=False).close()
    assert _checksums(tmp_path) == before  # resuming keeps them


def test_overwrite_moves_the_previous_results_aside(tmp_path):
    (tmp_path / 'epoch_3.pth').write_bytes(b'weights')
    (tmp_path / 'summary.json').write_text('{"best": 1}')
    before = _checksums(tmp_path)
    claim_work_dir(str(tmp_path), resume=False, overwrite=True).close()
    assert previous_results(str(tmp_path)) == []
    (moved,) = [path for path in tmp_path.iterdir() if path.name.startswith('replaced_')]
    assert _checksums(moved) == before


def test_a_work_dir_that_is_a_file_is_a_clear_error(tmp_path):
    path = tmp_path / 'file'
    path.write_text('x')
    with pytest.raises(NotADirectoryError, match='is a file'):
        claim_work_dir(str(path), resume=False, overwrite=False)


def test_other_ranks_do_not_claim(tmp_path):
    lock = claim_work_dir(str(tmp_path), resume=False, overwrite=False)
    try:
        assert claim_work_dir(str(tmp_path), resume=False, overwrite=False, rank=1) is None
    finally:
        lock.close()


def test_train_refuses_to_rerun_over_a_finished_run(tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    work = tmp_path / 'work'
    command = [sys.executable, 'tools/train.py', str(config), '--data-root', tiny_data, '--work-dir', str(work)]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    assert subprocess.run(command, cwd=REPO, capture_output=True, env=env).returncode == 0
    before = _checksums(work)
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
    assert again.returncode == 2 and 'error: ' in again.stderr and '--overwrite' in again.stderr
    assert _checksums(work) == before


def test_a_shared_checkpoint_out_dir_is_guarded_like_the_work_dir(tiny_data, tmp_path):  # noqa: F811
    """default_hooks.checkpoint.out_dir=S writes into S/<work dir name>: a second run whose work dir has the same name
    (in another folder) would overwrite the first run's checkpoints there; it is refused, S's files unchanged."""
    config = tmp_path / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(config))
    shared = tmp_path / 'shared_checkpoints'
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def train(work_dir):
        return subprocess.run([sys.executable, 'tools/train.py', str(config), '--data-root', tiny_data, '--work-dir',
                               str(work_dir), '--no-auto-lr', '--cfg-options',
                               f'default_hooks.checkpoint.out_dir={shared}'], cwd=REPO, capture_output=True, text=True,
                              env=env)
    first = train(tmp_path / 'a' / 'run')
    assert first.returncode == 0, first.stderr[-2000:]
    assert (shared / 'run' / 'epoch_1.pth').is_file()
    before = _checksums(shared / 'run')
    second = train(tmp_path / 'b' / 'run')
    refusal = f'checkpoint folder (default_hooks.checkpoint.out_dir) "{shared / "run"}" holds the results of a previous'
    assert second.returncode == 2 and refusal in second.stderr
    assert _checksums(shared / 'run') == before


def test_a_bare_resume_with_nothing_to_resume_is_an_error(tmp_path):
    result = subprocess.run([sys.executable, 'tools/train.py', 'configs/effnet_lite0_demo.py', '--work-dir',
                             str(tmp_path / 'empty'), '--resume'], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and 'holds no run to resume (no last_checkpoint file)' in result.stderr
