"""How a checkpoint's weights differ from a model's: weights of other shapes, missing and unexpected ones, the likely
cause, in one line.

A strict ``load_state_dict`` says the same in a ``RuntimeError`` of one line per tensor (hundreds for a checkpoint
of another backbone). :func:`compare_weights` finds the differences directly; :func:`parse_load_error` reads them
back from such a message (PyTorch's or mmengine's wording) where only the message is at hand.
"""
import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

import torch

MAX_NAMED_WEIGHTS = 3
"""How many weights of each kind a message names."""
HEAD_WEIGHT = re.compile(r'(^|\.)head\.')
"""Keys of a classifier head's weights (``head.fc.weight``, ``fast.head.weight``): their first dimension is the
class count."""

Shape = Tuple[int, ...]

_TORCH_HEADER = re.compile(r'Error\(s\) in loading state_dict for \w+:')
_MMENGINE_HEADER = re.compile(r'The model and loaded state dict do not match exactly')
_SIZE_MISMATCH = re.compile(r'size mismatch for (?P<key>\S+): copying a param with shape '
                            r'torch\.Size\(\[(?P<ckpt>[\d, ]*)\]\) from checkpoint, '
                            r'the shape in current model is torch\.Size\(\[(?P<model>[\d, ]*)\]\)\.')
_TORCH_MISSING = re.compile(r'Missing key\(s\) in state_dict: (?P<keys>(?:"[^"]*"(?:, )?)+)\. ?')
_TORCH_UNEXPECTED = re.compile(r'Unexpected key\(s\) in state_dict: (?P<keys>(?:"[^"]*"(?:, )?)+)\. ?')
_MMENGINE_MISSING = re.compile(r'missing keys in source state_dict: (?P<keys>[^\n]*)')
_MMENGINE_UNEXPECTED = re.compile(r'unexpected key in source state_dict: (?P<keys>[^\n]*)')


@dataclass(frozen=True)
class WeightMismatch:
    """The differences between a checkpoint's weights and a model's.

    Attributes:
        shapes (tuple): ``(key, checkpoint shape, model shape)`` of each weight both have in other shapes.
        missing (tuple[str, ...]): weights of the model the checkpoint lacks.
        unexpected (tuple[str, ...]): weights of the checkpoint the model does not have.
    """

    shapes: Tuple[Tuple[str, Shape, Shape], ...] = ()
    missing: Tuple[str, ...] = ()
    unexpected: Tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.shapes or self.missing or self.unexpected)

    def describe(self) -> str:
        """The differences, the first few of each kind named, e.g. ``weights of other shapes: 2 (head.fc.weight:
        checkpoint (4, 1024), model (3, 1024); head.fc.bias: checkpoint (4,), model (3,))``."""
        parts = []
        if self.shapes:
            named = '; '.join(f'{key}: checkpoint {ckpt}, model {model}'
                              for key, ckpt, model in self.shapes[:MAX_NAMED_WEIGHTS])
            parts.append(f'weights of other shapes: {len(self.shapes)} ({named}{_more(self.shapes)})')
        if self.missing:
            parts.append(f'weights of the model missing from the checkpoint: {len(self.missing)} '
                         f'({", ".join(self.missing[:MAX_NAMED_WEIGHTS])}{_more(self.missing)})')
        if self.unexpected:
            parts.append(f'weights of the checkpoint the model does not have: {len(self.unexpected)} '
                         f'({", ".join(self.unexpected[:MAX_NAMED_WEIGHTS])}{_more(self.unexpected)})')
        return '; '.join(parts)

    def head_class_counts(self) -> Optional[Tuple[int, int]]:
        """``(checkpoint classes, model classes)`` when the classifier head's shapes are all that differs (a
        checkpoint trained on data with another class count), else None."""
        if self.missing or self.unexpected or not self.shapes:
            return None
        if not all(HEAD_WEIGHT.search(key) and ckpt and model and ckpt[1:] == model[1:]
                   for key, ckpt, model in self.shapes):
            return None
        _, ckpt, model = self.shapes[0]
        return ckpt[0], model[0]

    def likely_cause(self, config: str) -> str:
        """What most likely made the difference, and the fix."""
        counts = self.head_class_counts()
        if counts is not None:
            return (f'only the classifier head differs: the checkpoint predicts {counts[0]} classes and this model '
                    f'{counts[1]}, so it was trained on data with another class count; use it with the data it was '
                    'trained on (the same class folders), or train a model for this data')
        return (f'the checkpoint comes from another model (backbone or head) than {config}: use the config it was '
                "trained with (its run's work dir holds a copy)")


def _more(items: Sequence) -> str:
    return ', ...' if len(items) > MAX_NAMED_WEIGHTS else ''


def compare_weights(model_state: Mapping[str, torch.Tensor],
                    checkpoint_state: Mapping[str, torch.Tensor]) -> WeightMismatch:
    """The differences between a model's ``state_dict()`` and a checkpoint's, in the model's key order.

    Args:
        model_state (Mapping[str, Tensor]): the model's ``state_dict()``.
        checkpoint_state (Mapping[str, Tensor]): the checkpoint's ``state_dict``.

    Returns:
        WeightMismatch: empty (false) when every weight fits.
    """
    shapes = tuple((key, tuple(checkpoint_state[key].shape), tuple(value.shape))
                   for key, value in model_state.items()
                   if key in checkpoint_state and hasattr(checkpoint_state[key], 'shape')
                   and tuple(checkpoint_state[key].shape) != tuple(value.shape))
    missing = tuple(key for key in model_state if key not in checkpoint_state)
    unexpected = tuple(key for key in checkpoint_state if key not in model_state)
    return WeightMismatch(shapes, missing, unexpected)


def parse_load_error(message: str) -> Optional[Tuple[WeightMismatch, int, int]]:
    """Reads the differences out of the message of a failed strict ``load_state_dict`` (PyTorch's or mmengine's).

    Args:
        message (str): any text; the load error may be part of it.

    Returns:
        tuple | None: ``(mismatch, start, end)``, where ``message[start:end]`` is the load error's text, or None when
        ``message`` holds none.
    """
    header = _TORCH_HEADER.search(message) or _MMENGINE_HEADER.search(message)
    if header is None:
        return None
    shapes, missing, unexpected, end = [], [], [], header.end()
    for match in _SIZE_MISMATCH.finditer(message, header.end()):
        shapes.append((match['key'], _shape(match['ckpt']), _shape(match['model'])))
        end = max(end, match.end())
    for pattern, found in ((_TORCH_MISSING, missing), (_TORCH_UNEXPECTED, unexpected)):
        for match in pattern.finditer(message, header.end()):
            found.extend(re.findall(r'"([^"]*)"', match['keys']))
            end = max(end, match.end())
    for pattern, found in ((_MMENGINE_MISSING, missing), (_MMENGINE_UNEXPECTED, unexpected)):
        for match in pattern.finditer(message, header.end()):
            found.extend(key.strip() for key in match['keys'].split(',') if key.strip())
            end = max(end, match.end())
    mismatch = WeightMismatch(tuple(shapes), tuple(missing), tuple(unexpected))
    return (mismatch, header.start(), end) if mismatch else None


def _shape(text: str) -> Shape:
    return tuple(int(size) for size in text.split(',') if size.strip())
