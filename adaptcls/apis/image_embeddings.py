"""A checkpoint's logits and embeddings of many image files: the inputs of an error analysis and of a label-issue
search (``adaptcls.apis.validation_analysis``).

The embedding of an image is what the classifier's head takes: the backbone's pooled penultimate features (the
pre-logits of a timm backbone built with ``num_classes=0``), read by a forward pre-hook on the head of the module
that export uses (``deploy_model()``: for Deep Mutual Learning, the fast student), so every classifier with a
``head`` gives them without a per-model table.
"""
from typing import List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from adaptcls.deployment.export.model_loader import deploy_module
from adaptcls.errors import UserInputError
from adaptcls.utils.progress import track_batches
from .inference import CheckpointClassifier

BATCH_SIZE = 32
"""Images per forward pass (one batch of images is in memory at a time)."""


def logits_and_embeddings(classifier: CheckpointClassifier, paths: Sequence[str], what: str = 'images',
                          batch_size: int = BATCH_SIZE) -> Tuple[np.ndarray, np.ndarray]:
    """Runs the checkpoint on image files read with its test pipeline (as ``adaptcls test`` reads them).

    Args:
        classifier (CheckpointClassifier): the checkpoint.
        paths (Sequence[str]): image files.
        what (str): what the files are, for the progress lines. Defaults to 'images'.
        batch_size (int): images per forward pass. Defaults to BATCH_SIZE (32).

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, C) float32 logits and (N, D) float32 embeddings.

    Raises:
        UserInputError: the model has no ``head`` module to take embeddings from.
    """
    module = deploy_module(classifier.model)
    head = getattr(module, 'head', None)
    if not isinstance(head, nn.Module):
        raise UserInputError(f'{type(classifier.model).__name__}: its deployed module {type(module).__name__} has no '
                             '`head` module, whose input would be the embeddings; label issues need a backbone + '
                             'head classifier.')
    embeddings: List[np.ndarray] = []
    handle = head.register_forward_pre_hook(lambda _, args: embeddings.append(_pooled(args[0])))
    logits: List[np.ndarray] = []
    try:
        with torch.no_grad():
            for batch in track_batches(len(paths), batch_size, what):
                images = torch.from_numpy(np.stack([classifier.read(path) for path in paths[batch]]))
                inputs = classifier.model.data_preprocessor(dict(inputs=list(images.to(classifier.device))),
                                                            False)['inputs']
                logits.append(module(inputs).float().cpu().numpy())
    finally:
        handle.remove()
    return np.concatenate(logits), np.concatenate(embeddings)


def _pooled(features) -> np.ndarray:
    """The head's input (a tuple of backbone outputs, the last one used, or a tensor) as (N, D) float32."""
    last = features[-1] if isinstance(features, (tuple, list)) else features
    return last.detach().flatten(1).float().cpu().numpy()
