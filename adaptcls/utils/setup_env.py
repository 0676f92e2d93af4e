"""Registers every adaptcls module and makes ``adaptcls`` mmengine's default scope."""
import datetime
import warnings

from mmengine import DefaultScope


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
    import adaptcls.evaluation  # noqa: F401
    import adaptcls.lr_search  # noqa: F401
    import adaptcls.models  # noqa: F401
    import adaptcls.structures  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'adaptcls':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}" is not "adaptcls"; '
                          'a new default scope "adaptcls" is created for adaptcls modules.')
        name = f'adaptcls-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")}'
        DefaultScope.get_instance(name, scope_name='adaptcls')
