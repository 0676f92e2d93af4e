"""Linear classification head: optional dropout, then one fully connected layer."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample
from .utils import gather_targets, pack_predictions


@MODELS.register_module()
class LinearClsHead(BaseModule):
    """Dropout + ``nn.Linear`` on the last backbone feature, trained with a classification loss.

    Args:
        num_classes (int): number of classes, at least 2.
        in_channels (int): size of the input feature vector (the backbone's ``out_channels``).
        dropout (float): dropout probability before the linear layer. Defaults to 0.0.
        loss (dict, optional): config of the loss, built from ``MODELS``. Defaults to None, which
            means ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None, which means
            ``dict(type='Normal', layer='Linear', std=0.01)`` (mmpretrain's choice).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 dropout: float = 0.0,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg or dict(type='Normal', layer='Linear', std=0.01))
        if num_classes < 2:
            raise UserInputError(f'LinearClsHead: num_classes must be at least 2, got {num_classes}; '
                                 'set model.head.num_classes to the number of classes of the dataset.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, num_classes)
        self.loss_module = MODELS.build(loss or dict(type='CrossEntropyLoss'))

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Returns the (N, num_classes) logits of ``feats[-1]``."""
        return self.fc(self.dropout(feats[-1]))

    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """Returns ``{'loss': ...}`` against ``gt_score`` (soft) or ``gt_label`` targets."""
        logits = self(feats)
        return {'loss': self.loss_module(logits, gather_targets(data_samples, logits.device))}

    def predict(self, feats: Tuple[torch.Tensor, ...],
                data_samples: Optional[Sequence[ClsDataSample]] = None) -> List[ClsDataSample]:
        """Returns the samples with ``pred_score`` = softmax of the logits, and ``pred_label``."""
        return pack_predictions(self(feats), data_samples)
