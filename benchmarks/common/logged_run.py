"""Running one tool of a benchmark in a subprocess, its output in a log file, as a user runs it."""
import os
import subprocess
from typing import Sequence


def run_logged(command: Sequence[str], cwd: str, log_file: str, threads: int, what: str, append: bool = True) -> None:
    """Runs ``command`` with ``threads`` torch (OpenMP/MKL) threads, stdout and stderr into ``log_file``.

    Raises:
        RuntimeError: the command failed; the message names ``what``, the exit status and the log file.
    """
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(log_file, 'a' if append else 'w') as log:
        done = subprocess.run(list(command), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f'{what} failed (exit {done.returncode}): see {log_file}')
