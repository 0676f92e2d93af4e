"""What every benchmark JSON records about its run: the command, the date and the machine."""
import datetime
import os
import platform
import shlex
import sys
from typing import Dict, Sequence

import numpy as np


def command_line() -> str:
    """The command that is running, as a user would type it (``python benchmarks/x.py ...``)."""
    script = os.path.relpath(sys.argv[0]) if os.path.isabs(sys.argv[0]) else sys.argv[0]
    return shlex.join(['python', script, *sys.argv[1:]])


def today() -> str:
    """The current local date and time, ISO 8601, to the second."""
    return datetime.datetime.now().astimezone().isoformat(timespec='seconds')


def machine() -> str:
    """One line: CPU model, logical CPU count, Python and torch versions, torch threads (call it after
    setting the thread count)."""
    import torch
    cpu = platform.processor() or platform.machine()
    if os.path.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as stream:
            names = [line.split(':', 1)[1].strip() for line in stream if line.startswith('model name')]
        cpu = names[0] if names else cpu
    return (f'{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, torch {torch.__version__}, '
            f'torch threads: {torch.get_num_threads()}')


def spread(values: Sequence[float]) -> Dict[str, float]:
    """Median, min, max and (max - min) / median of repeated measurements.

    Raises:
        ValueError: ``values`` is empty.
    """
    if not values:
        raise ValueError('spread() needs at least one measurement.')
    median = float(np.median(values))
    return dict(median=median, min=float(min(values)), max=float(max(values)),
                relative_spread=(float(max(values)) - float(min(values))) / median, values=[float(v) for v in values])
