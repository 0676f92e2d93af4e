"""Command-line option parsing shared by the tools."""
import contextlib
import os
import sys
from typing import ContextManager, Optional, Sequence

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


def check_output_file(path: Optional[str], option: str = '--out', inputs: Sequence[str] = (),
                      input_folders: Sequence[str] = ()) -> None:
    """Refuses an output file that would destroy something, before any work is done (not after it): a folder, a
    symbolic link or a special file (a FIFO, a device: writing replaces the link, or blocks), one of the command's
    inputs, or a file inside an input folder (a data set's images).

    Args:
        path (str, optional): the output file (None: not asked for).
        option (str): the option's name, for the message. Defaults to '--out'.
        inputs (Sequence[str]): the files the command reads (model, config, images).
        input_folders (Sequence[str]): folders the command reads (image folders, the data root).

    Raises:
        IsADirectoryError: ``path`` is an existing folder.
        FileExistsError: ``path`` is a link, a special file, an input or inside an input folder.
    """
    if not path:
        return
    if os.path.isdir(path):
        raise IsADirectoryError(f'{option} "{path}" is a folder; give a file path, e.g. '
                                f'{os.path.join(path, "metrics.json")}.')
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        kind = 'a symbolic link' if os.path.islink(path) else 'not a regular file (a FIFO or a device)'
        raise FileExistsError(f'{option} "{path}" is {kind}; writing would replace it: give a regular file path.')
    target = os.path.realpath(path)
    for source in inputs:
        if source and os.path.exists(source) and os.path.realpath(source) == target:
            raise FileExistsError(f'{option} "{path}" is an input of this command ({source}); writing would destroy '
                                  'it: give another file.')
    for folder in input_folders:
        folder = os.path.realpath(folder) if folder else None
        if folder and os.path.commonpath([folder, target]) == folder:
            raise FileExistsError(f'{option} "{path}" lies inside the input folder {folder}, whose files this command '
                                  'reads (a data set\'s images); write it elsewhere.')


JSON_TO_STDOUT = '-'
"""``--out -``: the JSON result on stdout, everything else (mmengine's log, progress, notes) on stderr."""


def log_to_stderr(out: Optional[str]) -> ContextManager:
    """With ``--out -``, sends what the work prints on stdout (and the loggers it creates) to stderr, so that
    stdout carries only the JSON printed after it; any other ``--out`` changes nothing."""
    return contextlib.redirect_stdout(sys.stderr) if out == JSON_TO_STDOUT else contextlib.nullcontext()
