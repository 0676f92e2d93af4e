"""Imports of the optional deployment packages (OpenVINO, NNCF, ONNX, ONNX Runtime), with one clear error.

``import adaptcls`` never imports them; each deployment function imports what it needs when it runs.
"""
import importlib
from types import ModuleType

INSTALL_HINT = "pip install -e '.[deploy]'"
"""How to install every deployment package (requirements/deploy.txt)."""


class MissingDeployDependency(ImportError):
    """A deployment package is not installed; the message names it and how to install it."""


def require(module_name: str) -> ModuleType:
    """Imports ``module_name`` or raises :class:`MissingDeployDependency` naming the fix.

    Args:
        module_name (str): the module to import, e.g. ``'openvino'`` or ``'nncf'``.

    Returns:
        ModuleType: the imported module.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise MissingDeployDependency(
            f'Deployment needs the package "{module_name}", which cannot be imported ({error}). '
            f'Install the deployment extras: {INSTALL_HINT}') from error
