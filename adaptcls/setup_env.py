"""What every entry point does first: register every adaptcls module, make ``adaptcls`` mmengine's default scope,
and install the weights-only checkpoint loading (:func:`init_entry_point`).

Importing adaptcls's packages changes nothing outside them; these process-wide settings are made here, in one
visible place, by the tools (``tools/*.py``), the benchmarks and the tests that need them.
"""
import datetime
import warnings

import torch
from mmengine import DefaultScope

from adaptcls.utils.checkpoint_safety import install_checkpoint_safety


def register_all_modules(init_default_scope: bool = True) -> None:
    """Imports every adaptcls module so that its registry entries exist.

    Configs normally rely on the registries' lazy ``locations``; tools and tests call this to make
    the whole set available up front (e.g. to suggest close names for an unknown ``type``).

    Args:
        init_default_scope (bool): also make ``'adaptcls'`` the current default scope.
            Defaults to True.
    """
    import adaptcls.datasets  # noqa: F401
    import adaptcls.engine  # noqa: F401
    import adaptcls.engine.runner  # noqa: F401
    import adaptcls.evaluation.metrics  # noqa: F401
    import adaptcls.lr_search.lr_range_sweep_loop  # noqa: F401  (the package's names load lazily)
    import adaptcls.models  # noqa: F401
    import adaptcls.optim  # noqa: F401
    import adaptcls.structures  # noqa: F401
    import adaptcls.utils.atomic_file_backend  # noqa: F401  (the 'adaptcls_atomic_local' file backend)

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'adaptcls':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}" is not "adaptcls"; '
                          'a new default scope "adaptcls" is created for adaptcls modules.')
        name = f'adaptcls-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")}'
        DefaultScope.get_instance(name, scope_name='adaptcls')


def init_entry_point() -> None:
    """The process-wide set-up of every adaptcls entry point (tools, ``adaptcls`` commands, benchmarks).

    - registers every module and makes ``'adaptcls'`` the default scope (:func:`register_all_modules`);
    - makes mmengine load every checkpoint weights-only (``install_checkpoint_safety``: local files, URLs and
      ``last_checkpoint``; no checkpoint can run code);
    - flushes denormal floats to zero (they can slow CPU training from scratch down many-fold).
    """
    torch.set_flush_denormal(True)
    register_all_modules()
    install_checkpoint_safety()
