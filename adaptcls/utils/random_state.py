"""Capture and restore the global random number generators of one process."""
import random

import numpy as np
import torch

from adaptcls.errors import UserInputError


def capture_random_state() -> dict:
    """The states of Python's ``random``, numpy's global generator and torch's CPU (and, when in
    use, CUDA) generators: everything data augmentation and dropout draw from.

    The result holds only plain Python values, numpy arrays and tensors, so it round-trips
    through a weights-only checkpoint.

    Returns:
        dict: ``{'python', 'numpy', 'torch'[, 'cuda']}``.
    """
    state = dict(python=random.getstate(), numpy=np.random.get_state(legacy=False),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict) -> None:
    """Puts back the generator states captured by :func:`capture_random_state`.

    Args:
        state (dict): a :func:`capture_random_state` result.

    Raises:
        ValueError: ``state`` has CUDA generator states but this process has a different number
            of CUDA devices (or none).
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state:
        devices = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if devices != len(state['cuda']):
            raise UserInputError(f'The saved random state covers {len(state["cuda"])} CUDA devices but this '
                                 f'process sees {devices}; resume on the same devices (CUDA_VISIBLE_DEVICES).')
        torch.cuda.set_rng_state_all(state['cuda'])
