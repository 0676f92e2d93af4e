"""Backbone + head image classifier."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.optim import closure_train_step
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample
from .backbone_head import BackboneHead
from .utils import build_module, use_channels_last

FORWARD_MODES = ('tensor', 'loss', 'predict')


@MODELS.register_module()
class ImageClassifier(BaseModel):
    """An image classifier: ``head(backbone(preprocessed images))``.

    Args:
        backbone (dict | nn.Module): the backbone or its config.
        head (dict | nn.Module): the head or its config.
        data_preprocessor (dict | nn.Module, optional): the data preprocessor or its config.
            Defaults to None, which means ``dict(type='ClsDataPreprocessor')`` (ImageNet mean/std).
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
        channels_last (bool): weights and batches in NHWC memory format (:func:`use_channels_last`).
            Defaults to False.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None,
                 channels_last: bool = False) -> None:
        super().__init__(
            data_preprocessor=build_module(data_preprocessor or dict(type='ClsDataPreprocessor')),
            init_cfg=init_cfg)
        self.backbone = build_module(backbone)
        self.head = build_module(head)
        if channels_last:
            use_channels_last(self)

    @property
    def num_classes(self) -> int:
        """The number of classes the head predicts."""
        return self.head.num_classes

    @property
    def pretrained_source(self) -> str:
        """Where the backbone's weights came from ('unknown' for a backbone that does not say)."""
        return getattr(self.backbone, 'pretrained_source', 'unknown')

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Returns the backbone features of preprocessed (N, C, H, W) inputs."""
        return self.backbone(inputs)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[ClsDataSample]] = None,
                mode: str = 'tensor') -> Union[torch.Tensor, Dict[str, torch.Tensor], List[ClsDataSample]]:
        """Runs the model on preprocessed inputs.

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (Sequence[ClsDataSample], optional): the samples (needed for 'loss').
                Defaults to None.
            mode (str): 'tensor' returns the (N, num_classes) inference logits (what deployment
                exports), 'loss' a dict of losses, 'predict' the samples with predictions.
                Defaults to 'tensor'.
        """
        if mode not in FORWARD_MODES:
            raise UserInputError(f'ImageClassifier.forward: unknown mode "{mode}", use one of {FORWARD_MODES}.')
        feats = self.extract_feat(inputs)
        if mode == 'tensor':
            return self.head(feats)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        return self.head.predict(feats, data_samples)

    def deploy_model(self) -> nn.Module:
        """Returns the module to export: ``forward(x)`` = ``self(x, mode='tensor')``.

        It shares this classifier's backbone and head (weights and train/eval mode).
        """
        return BackboneHead(self.backbone, self.head)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One training step: preprocess the batch once, then ``optimize_step``
        (see :func:`~adaptcls.optim.closure_train_step`).

        Args:
            data (dict | tuple | list): a batch from the dataloader.
            optim_wrapper (OptimWrapper): the optim wrapper that updates the parameters.

        Returns:
            dict[str, Tensor]: the log variables.
        """
        return closure_train_step(self, data, optim_wrapper)
