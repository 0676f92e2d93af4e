"""Training a search run's Runner and freeing what it holds, also when training stops early.

A search builds one Runner per trial (and one for the range test) in a single process. mmengine
frees a finished Runner's resources only when it is garbage collected: its log file stays open
(the ``MMLogger`` instance lives on, keyed by the run's name) and DataLoaders with
``persistent_workers`` keep their worker processes until the Runner's reference cycles are
collected. A run stopped by an exception (pruned, diverged) also misses its ``after_run`` hooks,
which ``Runner.train()`` calls only after the last epoch.
"""
import logging
from typing import Tuple, Type

from mmengine.runner import Runner
from torch.utils.data import DataLoader


def train_and_release(runner: Runner, early_stops: Tuple[Type[BaseException], ...]) -> None:
    """Runs ``runner.train()``, then releases the runner's workers and log file.

    An exception of a type in ``early_stops`` is a run that stopped early on purpose: the
    ``after_run`` hooks run (they close the visualizer and flush the logs), the runner is
    released and the exception goes on. Any other exception goes on untouched (the loops may
    not even be built).

    Args:
        runner (Runner): a runner whose ``train()`` has not been called.
        early_stops (tuple[type, ...]): the exceptions that end a run early.
    """
    try:
        runner.train()
    except early_stops:
        runner.call_hook('after_run')
        release_runner(runner)
        raise
    release_runner(runner)


def release_runner(runner: Runner) -> None:
    """Stops the persistent DataLoader workers of the train and val loops and closes the log files.

    Args:
        runner (Runner): a runner whose ``train()`` was called (so its loops are built).
    """
    for loop in (runner.train_loop, runner.val_loop):
        if loop is not None:
            stop_persistent_workers(loop.dataloader)
    for handler in list(runner.logger.handlers):
        if isinstance(handler, logging.FileHandler):
            runner.logger.removeHandler(handler)
            handler.close()


def stop_persistent_workers(dataloader: DataLoader) -> None:
    """Stops the worker processes a DataLoader with ``persistent_workers`` keeps between epochs.

    torch has no public call for this; its own multi-process iterator does the same
    (``_shutdown_workers``) when it is deleted. A DataLoader without persistent workers keeps no
    iterator and is left as it is. Upstream: torch's private ``DataLoader._iterator`` and
    ``_MultiProcessingDataLoaderIter._shutdown_workers`` (torch 2.4-2.14); tests/test_upstream_overrides.py fails
    when either goes away.

    Args:
        dataloader (DataLoader): the loop's DataLoader.
    """
    iterator = getattr(dataloader, '_iterator', None)
    if iterator is not None:
        iterator._shutdown_workers()
        dataloader._iterator = None
