"""Training engine pieces: hooks, runner loops, model wrappers.

Importing it registers these modules and changes nothing else; the entry points install the checkpoint safety
(``adaptcls.setup_env.init_entry_point``).
"""
from .hooks import *  # noqa: F401,F403
from .model_wrappers import *  # noqa: F401,F403
