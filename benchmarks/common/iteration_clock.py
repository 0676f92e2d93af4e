"""A hook that reads the clocks after every training iteration, for benchmarks/train_throughput.py."""
import json
import os
from typing import List

from mmengine.hooks import Hook

from adaptcls.registry import HOOKS
from adaptcls.utils import atomic_write_json
from .clock import ClockReading, Throughput


@HOOKS.register_module()
class IterationClock(Hook):
    """Reads the clocks at the end of every training iteration, after all other hooks ran, and writes
    the readings to ``<work_dir>/<out_file>`` after training.

    The interval between two readings is one full iteration of mmengine's loop: fetching and
    collating the batch, ``before_train_iter`` hooks, ``train_step``, ``after_train_iter`` hooks.
    Add it to a config as ``default_hooks = dict(iteration_clock=dict(type='IterationClock'))``.

    Args:
        out_file (str): file name in the work dir. Defaults to 'iteration_clock.json'.
    """

    priority = 'LOWEST'

    def __init__(self, out_file: str = 'iteration_clock.json') -> None:
        self.out_file = out_file
        self.readings: List[ClockReading] = []

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.readings.append(ClockReading.now())

    def after_train(self, runner) -> None:
        atomic_write_json(os.path.join(runner.work_dir, self.out_file),
                          dict(wall_s=[reading.wall_s for reading in self.readings],
                               cpu_s=[reading.cpu_s for reading in self.readings]))


def read_throughput(path: str, warmup_iters: int, batch_size: int) -> Throughput:
    """The throughput of the iterations after the first ``warmup_iters`` in an :class:`IterationClock` file.

    Args:
        path (str): the file the hook wrote.
        warmup_iters (int): untimed iterations (at least 1: the clock starts when the last one ends).
        batch_size (int): images per iteration.

    Raises:
        ValueError: the file holds fewer than ``warmup_iters + 1`` readings.
    """
    with open(path) as stream:
        readings = json.load(stream)
    count = len(readings['wall_s'])
    if warmup_iters < 1 or count <= warmup_iters:
        raise ValueError(f'{path} holds {count} iteration readings; it needs warmup_iters (got {warmup_iters}, '
                         'at least 1) plus at least one timed iteration. Train more iterations per run.')
    start = ClockReading(readings['wall_s'][warmup_iters - 1], readings['cpu_s'][warmup_iters - 1])
    end = ClockReading(readings['wall_s'][-1], readings['cpu_s'][-1])
    return Throughput.between(start, end, (count - warmup_iters) * batch_size)
