"""A package's public names imported on first use (PEP 562), so that importing the package stays cheap."""
import importlib
from typing import Any, Callable, Mapping


def lazy_getattr(package: str, module_of: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``name`` is imported from ``package.<module_of[name]>`` when first
    asked for; any other name is an ``AttributeError`` (so ``from package import submodule`` still finds a
    submodule).

    Args:
        package (str): the package's ``__name__``.
        module_of (Mapping[str, str]): public name -> the submodule (relative, dotted) that defines it.
    """
    def __getattr__(name: str) -> Any:
        if name not in module_of:
            raise AttributeError(f'module {package!r} has no attribute {name!r}')
        return getattr(importlib.import_module(f'{package}.{module_of[name]}'), name)
    return __getattr__
