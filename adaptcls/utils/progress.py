"""Progress lines with an ETA for long steps that run outside mmengine's loops.

Training, validation and testing get theirs from mmengine (``IterTimerHook`` + ``LoggerHook``:
``eta: 0:01:23`` every ``interval`` iterations). This is for the rest: loading images, INT8
calibration, accuracy checks, benchmark runs. It prints whole lines (no carriage returns), so the
output reads the same in a terminal, a log file and a CI job.
"""
import datetime
import time
from typing import Callable, Iterable, Iterator, Optional, TypeVar

from adaptcls.errors import UserInputError

PROGRESS_EVERY_S = 5.0
"""Seconds between two progress lines of one step; a step that ends sooner prints none."""

Item = TypeVar('Item')


def format_duration(seconds: float) -> str:
    """``H:MM:SS``, the format of mmengine's training ETA (``datetime.timedelta`` of whole seconds)."""
    return str(datetime.timedelta(seconds=int(round(max(seconds, 0.0)))))


def print_line(line: str) -> None:
    """Prints ``line`` and flushes, so it shows at once when stdout is a pipe or a file."""
    print(line, flush=True)


class ProgressLog:
    """Counts the work of one step and prints ``what: done/total (pct), elapsed, ETA`` lines.

    A line is printed when at least ``every_s`` seconds have passed since the step started or since
    the last line; when the work is complete a final ``done`` line follows, but only if a progress
    line was printed before (a short step stays silent). The ETA assumes the remaining units take
    as long on average as the finished ones.

    Args:
        total (int): units of work in the step (e.g. images), at least 0.
        what (str): what the units are, e.g. 'calibration images'.
        every_s (float): seconds between lines. Defaults to PROGRESS_EVERY_S (5).
        log (Callable[[str], None]): receives each line. Defaults to print_line (stdout, flushed).
        indent (str): put before each line (progress lines sit under the line naming the step).
            Defaults to two spaces.
        clock (Callable[[], float]): seconds, monotonic. Defaults to time.monotonic.
    """

    def __init__(self,
                 total: int,
                 what: str,
                 every_s: float = PROGRESS_EVERY_S,
                 log: Callable[[str], None] = print_line,
                 indent: str = '  ',
                 clock: Callable[[], float] = time.monotonic) -> None:
        if total < 0:
            raise UserInputError(f'ProgressLog needs a total of at least 0 units of work, got {total} {what}.')
        self.total, self.what, self.every_s = total, what, every_s
        self.log, self.indent, self.clock = log, indent, clock
        self.done = 0
        self.started = self._last_line = clock()
        self.lines = 0

    def update(self, count: int = 1) -> None:
        """Records ``count`` more units done and prints a line when one is due."""
        self.done += count
        now = self.clock()
        if self.done >= self.total:
            if self.lines:
                self._print(f'{self.what}: {self.done}/{self.total} done in {format_duration(now - self.started)}')
        elif now - self._last_line >= self.every_s:
            self._print(self.status(now))

    def status(self, now: Optional[float] = None) -> str:
        """``what: done/total (pct), H:MM:SS elapsed, ETA H:MM:SS`` at time ``now`` (default: the clock)."""
        now = self.clock() if now is None else now
        elapsed = now - self.started
        eta = format_duration(elapsed / self.done * (self.total - self.done)) if self.done else '?'
        return (f'{self.what}: {self.done}/{self.total} ({self.done / self.total:.0%}), '
                f'{format_duration(elapsed)} elapsed, ETA {eta}')

    def _print(self, message: str) -> None:
        self.log(f'{self.indent}{message}')
        self._last_line = self.clock()
        self.lines += 1


def track(items: Iterable[Item], total: int, what: str, **kwargs) -> Iterator[Item]:
    """Yields ``items``, counting one unit of work after each (see :class:`ProgressLog`).

    Args:
        items (Iterable): the work, e.g. dataset indices.
        total (int): how many items there are.
        what (str): what they are, e.g. 'validation images'.
        **kwargs: more :class:`ProgressLog` arguments.
    """
    progress = ProgressLog(total, what, **kwargs)
    for item in items:
        yield item
        progress.update()


def track_batches(total: int, batch_size: int, what: str, **kwargs) -> Iterator[slice]:
    """Yields the slices ``[0:batch_size]``, ``[batch_size:2 * batch_size]``, ... covering ``total``
    items, counting each batch's items after it (see :class:`ProgressLog`).

    Args:
        total (int): how many items there are, at least 0.
        batch_size (int): items per batch, at least 1.
        what (str): what the items are, e.g. 'validation images'.
        **kwargs: more :class:`ProgressLog` arguments.
    """
    if batch_size < 1:
        raise UserInputError(f'batch_size must be at least 1, got {batch_size}.')
    progress = ProgressLog(total, what, **kwargs)
    for start in range(0, total, batch_size):
        batch = slice(start, min(start + batch_size, total))
        yield batch
        progress.update(batch.stop - batch.start)
