"""Turns the errors a user can fix into one clear message instead of a traceback."""
import difflib
import os
import re
import sys
from typing import Callable, List, Optional

from adaptcls.utils.checkpoint_safety import UnsafeCheckpointError

USER_ERRORS = (ValueError, FileNotFoundError, KeyError, UnsafeCheckpointError)
"""Exception types whose message is shown without a traceback (set ADAPTCLS_DEBUG=1 to see it)."""

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
    from adaptcls.utils import register_all_modules
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


def run_cli(main: Callable[[], None]) -> None:
    """Runs a tool's ``main``; a user error exits with status 2 and one clear message."""
    try:
        main()
    except USER_ERRORS as error:
        if os.environ.get('ADAPTCLS_DEBUG'):
            raise
        message = error.args[0] if error.args else str(error)
        message = registry_suggestion(str(message)) or str(message)
        print(f'error: {message}\n(set ADAPTCLS_DEBUG=1 for the full traceback)', file=sys.stderr)
        sys.exit(2)
