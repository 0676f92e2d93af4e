"""Command-line option parsing shared by the tools."""
import contextlib
import os
import sys
from typing import ContextManager, Optional

from mmengine.config import DictAction


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` for ``--cfg-options KEY=VALUE ...``, with a clear message for an item without
    ``=`` (mmengine raises "not enough values to unpack")."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            key, separator, _ = item.partition('=')
            if not separator or not key:
                parser.error(f'{option_string} takes KEY=VALUE items (e.g. train_cfg.max_epochs=10); got "{item}"')
        super().__call__(parser, namespace, values, option_string)


def check_output_file(path: Optional[str], option: str = '--out') -> None:
    """Refuses an output file option that names a folder, before any work is done (not after it).

    Raises:
        IsADirectoryError: ``path`` is an existing folder.
    """
    if path and os.path.isdir(path):
        raise IsADirectoryError(f'{option} "{path}" is a folder; give a file path, e.g. '
                                f'{os.path.join(path, "metrics.json")}.')


JSON_TO_STDOUT = '-'
"""``--out -``: the JSON result on stdout, everything else (mmengine's log, progress, notes) on stderr."""


def log_to_stderr(out: Optional[str]) -> ContextManager:
    """With ``--out -``, sends what the work prints on stdout (and the loggers it creates) to stderr, so that
    stdout carries only the JSON printed after it; any other ``--out`` changes nothing."""
    return contextlib.redirect_stdout(sys.stderr) if out == JSON_TO_STDOUT else contextlib.nullcontext()
