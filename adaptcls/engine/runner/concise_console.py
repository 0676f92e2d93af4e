"""A console that shows what a user needs; the work dir's log file keeps everything mmengine writes.

mmengine's Runner starts every run with a 60-line environment dump, the whole config, the hook table and one line
per parameter group setting (hundreds for a MobileNet), on the console and in the log file alike. The user's data,
split, LR search and epoch lines were buried under them. :class:`ConciseConsoleRunner` keeps those set-up records in
the log file (``WORK_DIR/<timestamp>/<timestamp>.log``) and off the console; ``--verbose`` (``build_runner(cfg,
verbose=True)``) builds mmengine's own Runner, which prints them all.
"""
import logging
from typing import Tuple

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

SETUP_MESSAGE_PREFIXES: Tuple[str, ...] = (
    '\n' + '-' * 60 + '\nSystem environment:',  # Runner._log_env: the environment dump
    'Config:\n',  # Runner._log_env: the whole config
    'Distributed training is not used',
    'Hooks will be executed in the following ',
    'paramwise_options -- ',  # DefaultOptimWrapperConstructor: one line per parameter setting
    'Exp name: ',
    'Checkpoints will be saved to ',
    'LR is set based on batch size',
    'Loads checkpoint by ',
    'Saving checkpoint at ',
    'The prefix is not set in metric class',  # mmengine's warning for metrics without a prefix (ours have none)
    '"HardDiskBackend" is the alias of "LocalBackend"',  # deprecation notes of mmengine's own internals
    '"FileClient" will be deprecated in future',
)
"""Starts of the messages that the console leaves to the log file: mmengine's set-up records and the deprecation
notes it raises about its own code."""


class SetupRecordFilter(logging.Filter):
    """Drops the records whose message starts with one of :data:`SETUP_MESSAGE_PREFIXES` (errors always pass)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        return not str(record.msg).startswith(SETUP_MESSAGE_PREFIXES)


class ConciseConsoleRunner(Runner):
    """mmengine's Runner whose console handler filters out its set-up records (:class:`SetupRecordFilter`).

    Upstream: overrides the public ``Runner.build_logger``; the handlers are those ``MMLogger`` adds (a
    ``StreamHandler`` on stdout for the console, a ``FileHandler`` for the log file).
    """

    def build_logger(self, *args, **kwargs) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            is_console = type(handler) is logging.StreamHandler  # a FileHandler is a StreamHandler subclass
            if is_console and not any(isinstance(f, SetupRecordFilter) for f in handler.filters):
                handler.addFilter(SetupRecordFilter())
        return logger


def build_runner(cfg: Config, verbose: bool = False) -> Runner:
    """The Runner of ``cfg``: a :class:`ConciseConsoleRunner`, or mmengine's own with ``verbose``."""
    return (Runner if verbose else ConciseConsoleRunner).from_cfg(cfg)
