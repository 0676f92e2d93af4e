"""Builds a trained classifier from its config and checkpoint, ready for export."""
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
from mmengine.config import Config
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.config import build_config
from adaptcls.config.checkpoint_checks import check_input_size, check_weights_fit
from adaptcls.models.config_nodes import check_model_fingerprint, iter_config_dicts
from adaptcls.registry import MODELS, adaptcls_scope
from adaptcls.utils import load_checkpoint_file
from ..dataset_images import dataset_classes


class TensorModeModule(nn.Module):
    """``forward(x) = classifier(x, mode='tensor')``, for classifiers without ``deploy_model()``.

    Args:
        classifier (nn.Module): an adaptcls classifier.
    """

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Returns the (N, num_classes) logits of (N, 3, H, W) normalised images."""
        return self.classifier(inputs, mode='tensor')


def deploy_module(classifier: nn.Module) -> nn.Module:
    """The module to export: ``classifier.deploy_model()`` when it has one, in eval mode.

    Args:
        classifier (nn.Module): an adaptcls classifier.
    """
    deploy_model = getattr(classifier, 'deploy_model', None)
    module = deploy_model() if callable(deploy_model) else TensorModeModule(classifier)
    return module.eval()


@dataclass
class LoadedClassifier:
    """A classifier rebuilt from a config and a checkpoint.

    Attributes:
        model (nn.Module): the classifier (eval mode), with its data preprocessor.
        cfg (Config): the config, with ``num_classes`` filled in and pretraining switched off.
        classes (list[str]): class names, index = label.
        config_path (str): the config file.
        checkpoint_path (str): the checkpoint file.
    """

    model: nn.Module
    cfg: Config
    classes: List[str]
    config_path: str
    checkpoint_path: str

    @property
    def mean_std(self) -> Tuple[List[float], List[float]]:
        """The data preprocessor's per-channel mean and std (0-255 scale, RGB), each float32 value
        written as its shortest decimal (123.675, not 123.67500305)."""
        preprocessor = self.model.data_preprocessor
        return _shortest(preprocessor.mean), _shortest(preprocessor.std)


def _shortest(values: torch.Tensor) -> List[float]:
    return [float(str(value)) for value in values.flatten().numpy()]  # numpy prints float32 shortest


def load_classifier(config_path: str, checkpoint_path: str, data_root: Optional[str] = None,
                    other_input_size: bool = False) -> LoadedClassifier:
    """Builds the config's model and loads the checkpoint's ``state_dict`` strictly.

    Backbones are built with ``pretrained=False`` (the checkpoint holds every weight), and each
    ``num_classes=None`` is filled from the checkpoint's head weights. The class names come
    from the checkpoint's ``meta['dataset_meta']`` (mmengine stores the training set's metainfo)
    or, failing that, from the config's training set.

    Args:
        config_path (str): the config the checkpoint was trained with.
        checkpoint_path (str): the checkpoint (loaded weights-only).
        data_root (str, optional): points the config's datasets here. Defaults to None.
        other_input_size (bool): the caller gives the input size itself (``--input-size``), so the config's need
            not be the one the checkpoint records (:func:`check_input_size`). Defaults to False.

    Raises:
        FileNotFoundError: the config or checkpoint does not exist.
        ValueError: the checkpoint does not fit the config (``CheckpointMismatchError`` for another input size), or
            holds NaN or infinite weights.
    """
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f'Config file "{config_path}" does not exist.')
    checkpoint = load_checkpoint_file(checkpoint_path)
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise UserInputError(f'Checkpoint "{checkpoint_path}" has no "state_dict"; pass a checkpoint '
                             'written by tools/train.py.')
    _check_finite_weights(checkpoint['state_dict'], checkpoint_path)
    run_dir = os.path.dirname(os.path.abspath(checkpoint_path))  # where a data split of the run is recorded
    cfg = build_config(config_path, 'export', data_root=data_root, run_dir=run_dir)
    _fill_num_classes(cfg.model, checkpoint['state_dict'], checkpoint_path)
    check_model_fingerprint(checkpoint, cfg.model, checkpoint_path, config_path)
    if not other_input_size:
        check_input_size(checkpoint, cfg, checkpoint_path, config_path)
    model = _build_and_load(cfg, checkpoint['state_dict'], config_path, checkpoint_path)
    classes = _class_names(checkpoint, cfg, checkpoint_path)
    if len(classes) != model.num_classes:
        raise UserInputError(f'Checkpoint "{checkpoint_path}" predicts {model.num_classes} classes but its '
                             f'class list has {len(classes)}: {classes}. Pass the --data-root it was '
                             'trained on.')
    return LoadedClassifier(model, cfg, classes, config_path, checkpoint_path)


def _check_finite_weights(state_dict: dict, checkpoint_path: str) -> None:
    """Refuses a checkpoint with NaN or infinite weights (a diverged run): its predictions would be NaN, printed as
    probabilities.

    Raises:
        ValueError: naming the checkpoint and the first such tensors.
    """
    bad = [name for name, value in state_dict.items()
           if isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all()]
    if bad:
        raise UserInputError(f'Checkpoint "{checkpoint_path}" holds NaN or infinite weights ({", ".join(bad[:3])}'
                             f'{", ..." if len(bad) > 3 else ""}): the run diverged. Use an earlier checkpoint, or '
                             'train again with a lower learning rate.')


def _build_and_load(cfg: Config, state_dict: dict, config_path: str, checkpoint_path: str) -> nn.Module:
    with adaptcls_scope():
        model = MODELS.build(cfg.model)
    check_weights_fit(model, state_dict, checkpoint_path, config_path)  # names the weights and the likely cause
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise UserInputError(f'Checkpoint "{checkpoint_path}" does not match the model of config '
                             f'"{config_path}": {error}. Pass the config it was trained with.') from error
    return model.eval()


def _fill_num_classes(model_cfg: dict, state_dict: dict, checkpoint_path: str) -> None:
    """Fills each ``num_classes=None`` from the last 2-D weight under that module's key path.

    A head's last 2-D weight is its classifier, stored by ``nn.Linear`` as (num_classes, in_features).
    """
    for path, node in iter_config_dicts(model_cfg):
        if 'num_classes' not in node or node['num_classes'] is not None:
            continue
        prefix = '.'.join(path) + '.'
        weights = [value for key, value in state_dict.items() if key.startswith(prefix) and value.dim() == 2]
        if not weights:
            raise UserInputError(f'Cannot tell num_classes of model.{".".join(path)}: checkpoint '
                                 f'"{checkpoint_path}" has no 2-D weight under "{prefix}". Set num_classes '
                                 'in the config.')
        node['num_classes'] = int(weights[-1].shape[0])


def _class_names(checkpoint: dict, cfg: Config, checkpoint_path: str) -> List[str]:
    """Class names from the checkpoint's dataset_meta, else from the config's training set."""
    meta = checkpoint.get('meta') or {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    if classes:
        return [str(name) for name in classes]
    try:
        return dataset_classes(cfg, 'train_dataloader')
    except (FileNotFoundError, ValueError) as error:
        raise UserInputError(f'Checkpoint "{checkpoint_path}" does not store class names and the training '
                             f'set cannot be read ({error}); pass --data-root with train/<class>/ folders.'
                             ) from error
