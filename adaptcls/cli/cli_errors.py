"""Turns the errors a user can fix into one clear message instead of a traceback."""
import difflib
import os
import re
import sys
import traceback
from typing import Callable, List, Optional


def user_errors() -> tuple:
    """Exception types whose message is shown without a traceback (set ADAPTCLS_DEBUG=1 to see it), exit status 2.

    ``UserInputError`` is the project's own type, raised where an input is checked (``ConfigKeyError``,
    ``CheckpointMismatchError``, ``ImageLoadError``, ... derive from it); OSError covers missing files, permissions,
    a full disk, a work dir that is a file, and pretrained weights that cannot be downloaded
    (``PretrainedWeightsUnavailableError``); SyntaxError a config file that is not valid Python. A ValueError,
    KeyError or TypeError of any other origin is a defect (:func:`is_user_error`), not a user error.

    Imported only when a command fails, so that a command (and its ``--help``) does not import torch up front.
    """
    from adaptcls.apis.work_dir_guard import WorkDirInUseError
    from adaptcls.deployment.dependencies import MissingDeployDependency
    from adaptcls.errors import UserInputError
    from adaptcls.optim.non_finite_loss import NonFiniteLossError
    from adaptcls.utils.checkpoint_safety import UnsafeCheckpointError
    return (UserInputError, UnsafeCheckpointError, MissingDeployDependency, NonFiniteLossError, WorkDirInUseError,
            OSError, SyntaxError)


def is_user_error(error: BaseException) -> bool:
    """Whether ``error`` is one a user can fix: one of :func:`user_errors`, or mmengine's ``KeyError`` for a config
    ``type`` that no registry holds (a misspelt type in the user's config)."""
    if isinstance(error, user_errors()):
        return True
    return isinstance(error, KeyError) and registry_suggestion(original_message(error)) is not None


BUG_REPORT_LINE = ('This is not an input error adaptcls knows of: if the traceback does not show a problem of your '
                   'files or environment, please report it as a bug with the traceback and the command.')
"""Printed after any other exception."""

_WORKER_TRACEBACK = '\nOriginal Traceback (most recent call last):'
"""How PyTorch's DataLoader re-raises a worker's exception: the worker's traceback is in the message."""

_REGISTRY_MISS = re.compile(r'(?P<name>[\w.]+) is not in the (?P<scope>[\w-]+)::(?P<registry>[\w ]+) registry')


def registry_suggestion(message: str) -> Optional[str]:
    """Explains a registry miss and suggests close names.

    Args:
        message (str): the text of mmengine's ``KeyError`` for an unknown ``type``.

    Returns:
        str | None: the explanation, or None when ``message`` is not a registry miss.
    """
    match = _REGISTRY_MISS.search(message)
    if match is None:
        return None
    name, registry_name = match.group('name'), match.group('registry')
    known = _registered_names(registry_name)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f' Did you mean {", ".join(repr(c) for c in close)}?' if close else ''
    return (f'Unknown {registry_name} type "{name}" in the config.{hint} '
            f'Known {registry_name} types include: {", ".join(sorted(known)[:40])}.')


def _registered_names(registry_name: str) -> List[str]:
    """Every name registered in the adaptcls registry called ``registry_name`` and its parents."""
    from adaptcls import registry as registries
    from adaptcls.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    for attr in registries.__all__:
        found = getattr(registries, attr)
        if found.name == registry_name:
            names, node = set(), found
            while node is not None:
                names.update(node.module_dict)
                node = node.parent
            return list(names)
    return []


def original_message(error: BaseException) -> str:
    """The user-facing text of ``error``: for an exception a DataLoader worker raised, the
    worker's own message without the traceback PyTorch wraps around it; for an ``OSError`` raised as
    ``OSError(errno, strerror, filename)`` (e.g. a config's missing ``_base_`` file), "strerror: filename"
    rather than the bare errno."""
    if isinstance(error, OSError) and isinstance(error.args[0] if error.args else None, int):
        return f'{error.strerror}: {error.filename}' if error.filename else str(error.strerror)
    if isinstance(error, SyntaxError) and error.filename:
        return f'{error.filename}, line {error.lineno}: {error.msg} (not valid Python; fix the file)'
    message = str(error.args[0] if error.args else error)
    if _WORKER_TRACEBACK not in message:
        return message
    marker = f'\n{type(error).__name__}: '
    start = message.rfind(marker)
    if start < 0:  # raised under a qualified name, e.g. 'adaptcls.datasets.transforms.loading.ImageLoadError: '
        marker = f'.{type(error).__name__}: '
        start = message.rfind(marker)
    return message[start + len(marker):].strip() if start >= 0 else message


INTERRUPTED_STATUS = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""
CRASH_FILE_PATTERN = 'adaptcls_crash_%Y%m%d_%H%M%S.txt'
"""Name of the file that keeps the traceback of an unexpected error (a defect), in the work dir when known."""
_WORK_DIR = {'path': None}
"""The work dir of the running command, once its config is built (:func:`remember_work_dir`)."""


def remember_work_dir(path: Optional[str]) -> None:
    """Tells :func:`run_cli` where a crash file belongs (the run's work dir)."""
    _WORK_DIR['path'] = path


def write_crash_file(text: str) -> str:
    """Writes ``text`` (a traceback) into the work dir if known and writable, else the temporary folder; returns the
    file's path."""
    import tempfile
    import time
    name = time.strftime(CRASH_FILE_PATTERN)
    for folder in (_WORK_DIR['path'], tempfile.gettempdir()):
        if folder and os.path.isdir(folder):
            try:
                with open(os.path.join(folder, name), 'w', encoding='utf-8') as stream:
                    stream.write(text)
                return os.path.join(folder, name)
            except OSError:
                continue
    return ''


def run_cli(main: Callable[[], None]) -> None:
    """Runs a tool's ``main``: a user error exits with status 2 and one clear message; any other exception is a
    defect: one line naming it and a crash file with the traceback (exit 1); Ctrl-C exits 130 with one line on how
    to go on. ``ADAPTCLS_DEBUG=1`` lets every exception through with its traceback."""
    try:
        main()
    except KeyboardInterrupt:
        if os.environ.get('ADAPTCLS_DEBUG'):
            raise
        work_dir = _WORK_DIR['path']
        where = f' (the checkpoints in {work_dir} are intact)' if work_dir else ''
        print(f'\ninterrupted{where}; a training continues where it stopped with the same command and --resume.',
              file=sys.stderr)
        sys.exit(INTERRUPTED_STATUS)
    except Exception as error:  # not SystemExit: --help and argparse's errors exit with their own status
        if os.environ.get('ADAPTCLS_DEBUG'):
            raise
        if not is_user_error(error):
            crash_file = write_crash_file(traceback.format_exc())
            print(f'error: {type(error).__name__}: {str(error)[:300]}\n{BUG_REPORT_LINE}'
                  + (f'\nThe traceback is in {crash_file}.' if crash_file else ''), file=sys.stderr)
            sys.exit(1)
        from adaptcls.config.checkpoint_checks import condense_load_error  # torch's text of a failed strict load
        message = original_message(error)
        message = registry_suggestion(message) or condense_load_error(message)
        print(f'error: {message}\n(set ADAPTCLS_DEBUG=1 for the full traceback)', file=sys.stderr)
        sys.exit(2)
