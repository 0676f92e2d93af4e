"""Runs tools/train.py's ``main`` on a benchmark config and returns its training throughput."""
import contextlib
import functools
import importlib.util
import os
from typing import Sequence

from .clock import Throughput
from .iteration_clock import read_throughput

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_TOOL = os.path.join(REPO, 'tools', 'train.py')
CLOCK_FILE = 'iteration_clock.json'
"""What the benchmark configs' ``IterationClock`` hook writes into the work dir."""


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
        work_dir (str): the run's work dir; a clock file left there by an earlier run is removed.
        cfg_options (Sequence[str]): ``--cfg-options`` values (``key=value``).
        warmup_iters (int): iterations before the clock starts.
        batch_size (int): images per iteration.

    Returns:
        Throughput: of the timed iterations.
    """
    clock_file = os.path.join(work_dir, CLOCK_FILE)
    if os.path.exists(clock_file):
        os.remove(clock_file)
    argv = [config, '--work-dir', work_dir, '--cfg-options', 'log_level=WARNING', *cfg_options]
    with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull):
        load_train_tool().main(argv)
    return read_throughput(clock_file, warmup_iters, batch_size)
