"""A row of the recipe benchmark: a recipe config, what it is, extra tools/train.py arguments and a config edit."""
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

from mmengine.config import Config

ADAPTIVE = 'configs/effnet_lite0_adaptive.py'
"""The adaptive recipe config every ablation edits."""


@dataclass(frozen=True)
class Recipe:
    """One row of the benchmark.

    Attributes:
        config (str): the recipe config, relative to the repository.
        description (str): what it is, for the table's legend.
        train_args (tuple[str, ...]): extra tools/train.py arguments.
        edit (Callable[[Config], None], optional): a change to the config (an ablation).
    """

    config: str
    description: str
    train_args: Tuple[str, ...] = ()
    edit: Optional[Callable[[Config], None]] = field(default=None, compare=False)
