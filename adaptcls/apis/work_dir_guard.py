"""One training per work dir, and no silent overwrite of a previous run's results (docs/reliability.md).

``tools/train.py`` claims its work dir before it writes anything: an exclusive ``flock`` on
``WORK_DIR/.adaptcls.lock`` held for the whole run (the kernel drops it when the process ends, however it ends, so
a killed run leaves no stale lock), and a refusal to start a fresh run over a work dir that holds a previous run's
checkpoints or summary unless ``--resume`` continues it or ``--overwrite`` replaces it; replaced results are moved
into ``WORK_DIR/replaced_<date>_<time>/``, never deleted. In a multi-process run only
the process of rank 0 claims the work dir (the others write into the same one).
"""
import fcntl
import glob
import os
import shutil
import time
from typing import IO, List, Optional

from adaptcls.engine.hooks.run_summary_hook import SUMMARY_FILE

LOCK_FILE = '.adaptcls.lock'
"""The lock file in the work dir; it holds the pid and start time of the run holding the lock."""
RESULT_PATTERNS = ('last_checkpoint', SUMMARY_FILE, 'history.json', '*.pth')
"""Files of a previous run that a fresh run would overwrite or delete."""


class WorkDirInUseError(RuntimeError):
    """Another process trains into the work dir right now."""


def previous_results(work_dir: str) -> List[str]:
    """The names of a previous run's result files in ``work_dir`` (sorted; empty if none)."""
    found = set()
    for pattern in RESULT_PATTERNS:
        found.update(os.path.basename(path) for path in glob.glob(os.path.join(glob.escape(work_dir), pattern)))
    return sorted(found)


def claim_work_dir(work_dir: str, resume: bool, overwrite: bool, rank: int = 0, kind: str = 'work dir') -> Optional[IO]:
    """Locks ``work_dir`` for this run and checks that starting here loses nothing.

    Args:
        work_dir (str): the run's work dir (created if missing).
        resume (bool): the run continues the one in ``work_dir`` (``--resume``).
        overwrite (bool): the user allows a fresh run to replace previous results (``--overwrite``).
        rank (int): the process's global rank; only rank 0 claims. Defaults to 0.
        kind (str): what the folder is, in the messages. Defaults to 'work dir'.

    With ``overwrite`` (and no ``resume``), previous results are moved into ``WORK_DIR/replaced_<date>_<time>/``.

    Returns:
        IO | None: the open lock file (keep it open for the whole run), or None for other ranks.

    Raises:
        WorkDirInUseError: another run holds the lock; the message names its pid and start time.
        FileExistsError: previous results and neither ``resume`` nor ``overwrite``; the message names them.
        NotADirectoryError: ``work_dir`` is a file.
    """
    if rank != 0:
        return None
    if os.path.exists(work_dir) and not os.path.isdir(work_dir):
        raise NotADirectoryError(f'--work-dir "{work_dir}" is a file, not a folder; give a folder path.')
    os.makedirs(work_dir, exist_ok=True)
    lock = open(os.path.join(work_dir, LOCK_FILE), 'a+')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or 'unknown process'
        lock.close()
        raise WorkDirInUseError(f'{kind} "{work_dir}" is in use by another training ({holder}); wait for it to '
                                'finish, or train into another --work-dir.') from None
    found = previous_results(work_dir)
    if found and not resume and not overwrite:
        lock.close()
        raise FileExistsError(
            f'{kind} "{work_dir}" holds the results of a previous run ({", ".join(found[:6])}'
            f'{", ..." if len(found) > 6 else ""}); a new run would overwrite them. Continue that run with '
            '--resume, replace its results with --overwrite, or train into another --work-dir.')
    if found and overwrite and not resume:
        move_aside(work_dir, found)
    lock.seek(0)
    lock.truncate()
    lock.write(f'pid {os.getpid()}, started {time.strftime("%Y-%m-%d %H:%M:%S")}\n')
    lock.flush()
    return lock


def checkpoint_folder(work_dir: str, checkpoint_out_dir: Optional[str]) -> Optional[str]:
    """Where mmengine's CheckpointHook writes when ``default_hooks.checkpoint.out_dir`` is set: ``OUT_DIR/<work dir
    name>`` (a folder that runs in other work dirs of the same name share); None without ``out_dir``."""
    if not checkpoint_out_dir:
        return None
    return os.path.join(checkpoint_out_dir, os.path.basename(os.path.normpath(os.path.abspath(work_dir))))


def move_aside(work_dir: str, names: List[str]) -> str:
    """Moves the named files of ``work_dir`` into a new ``replaced_<date>_<time>`` folder; returns it."""
    folder = os.path.join(work_dir, time.strftime('replaced_%Y%m%d_%H%M%S'))
    suffix = 1
    while os.path.exists(folder):
        folder = os.path.join(work_dir, time.strftime('replaced_%Y%m%d_%H%M%S') + f'_{suffix}')
        suffix += 1
    os.makedirs(folder)
    for name in names:
        shutil.move(os.path.join(work_dir, name), os.path.join(folder, name))
    return folder
