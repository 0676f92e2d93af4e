"""Wall-clock and CPU-time throughput, so that a benchmark on a shared machine can report both.

Wall time counts the time other jobs hold the cores; the process's CPU time (all its threads) mostly
does not, so images per CPU-second compares two loops more steadily on a loaded machine.
"""
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ClockReading:
    """Both clocks at one moment.

    Attributes:
        wall_s (float): ``time.perf_counter()``.
        cpu_s (float): ``time.process_time()`` (user + system time of all threads of the process).
    """

    wall_s: float
    cpu_s: float

    @classmethod
    def now(cls) -> 'ClockReading':
        return cls(time.perf_counter(), time.process_time())


@dataclass(frozen=True)
class Throughput:
    """Images per wall-clock second and per CPU second of one timed stretch.

    Attributes:
        images_per_s (float): images / wall seconds.
        images_per_cpu_s (float): images / CPU seconds of the process.
    """

    images_per_s: float
    images_per_cpu_s: float

    @classmethod
    def between(cls, start: ClockReading, end: ClockReading, images: int) -> 'Throughput':
        """The throughput of ``images`` processed from ``start`` to ``end``."""
        return cls(images / (end.wall_s - start.wall_s), images / (end.cpu_s - start.cpu_s))
