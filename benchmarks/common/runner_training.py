"""Runs tools/train.py's ``main`` on a benchmark config and returns its training throughput or profile."""
import contextlib
import functools
import importlib.util
import os
import pstats
import shutil
from typing import Sequence

from .clock import Throughput
from .iteration_clock import read_throughput
from .profiling import PROFILE_FILE, framework_time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_TOOL = os.path.join(REPO, 'tools', 'train.py')
CLOCK_FILE = 'iteration_clock.json'
"""What the benchmark configs' ``IterationClock`` hook writes into the work dir."""
PROFILE_TOP = 12
"""Framework functions listed by :func:`profile_runner_loop`."""


@functools.lru_cache(maxsize=None)
def load_train_tool():
    """Imports tools/train.py (a script, not a package module) and returns the module."""
    spec = importlib.util.spec_from_file_location('adaptcls_train_tool', TRAIN_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_runner_loop(config: str, work_dir: str, cfg_options: Sequence[str], warmup_iters: int,
                     batch_size: int) -> Throughput:
    """Trains ``config`` with ``tools/train.py``'s ``main`` (its summary print silenced) and returns
    the throughput that the config's ``IterationClock`` hook recorded.

    Args:
        config (str): a config with ``default_hooks.iteration_clock`` (see benchmarks/configs/).
        work_dir (str): the run's work dir; what an earlier run left there is removed.
        cfg_options (Sequence[str]): ``--cfg-options`` values (``key=value``).
        warmup_iters (int): iterations before the clock starts.
        batch_size (int): images per iteration.

    Returns:
        Throughput: of the timed iterations.
    """
    run_train_tool(config, work_dir, cfg_options)
    return read_throughput(os.path.join(work_dir, CLOCK_FILE), warmup_iters, batch_size)


def run_train_tool(config: str, work_dir: str, cfg_options: Sequence[str]) -> None:
    """``tools/train.py CONFIG --work-dir W --cfg-options log_level=WARNING ...`` in this process, its
    summary print silenced, into an emptied ``work_dir`` (tools/train.py refuses to train over an earlier run's
    results, and the rounds of a benchmark reuse one work dir)."""
    shutil.rmtree(work_dir, ignore_errors=True)
    argv = [config, '--work-dir', work_dir, '--cfg-options', 'log_level=WARNING', *cfg_options]
    with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull):
        load_train_tool().main(argv)


def profile_runner_loop(config: str, work_dir: str, cfg_options: Sequence[str], warmup_iters: int,
                        timed_iters: int) -> dict:
    """Trains like :func:`time_runner_loop` with an ``IterationProfiler`` hook over the timed iterations and
    returns :func:`~benchmarks.common.profiling.framework_time` of them (cProfile slows Python code, so
    the framework's share is overstated, not hidden)."""
    run_train_tool(config, work_dir, [*cfg_options, 'default_hooks.iteration_profiler.type=IterationProfiler',
                                      f'default_hooks.iteration_profiler.start_iter={warmup_iters}'])
    stats = pstats.Stats(os.path.join(work_dir, PROFILE_FILE)).stats
    return framework_time(stats, timed_iters, PROFILE_TOP)
