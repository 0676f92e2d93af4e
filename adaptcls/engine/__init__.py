"""Training engine pieces: hooks, optimizer wrappers, model wrappers."""
from adaptcls.utils.checkpoint_safety import install_checkpoint_safety
from .hooks import *  # noqa: F401,F403
from .model_wrappers import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403

install_checkpoint_safety()  # any run that builds adaptcls engine parts can resume safely
