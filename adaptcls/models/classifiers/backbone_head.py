"""A backbone and a head as one plain module that maps images to inference logits."""
from typing import Optional, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from .utils import build_module


class BackboneHead(BaseModule):
    """``head(backbone(x))``: normalised images in, the head's inference logits out.

    It is what a classifier's ``deploy_model()`` returns for export (no data preprocessor, no
    loss), and one student of :class:`MutualLearningClassifier`. A ``BaseModule``, so that
    mmengine's ``init_weights`` reaches the backbone and the head.

    Args:
        backbone (dict | nn.Module): the backbone or its ``MODELS`` config.
        head (dict | nn.Module): the head or its ``MODELS`` config.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = build_module(backbone)
        self.head = build_module(head)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Returns the (N, num_classes) inference logits of (N, C, H, W) normalised images."""
        return self.head(self.backbone(inputs))
