"""Training engine pieces: hooks, optimizer wrappers, model wrappers."""
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
