"""Deep Mutual Learning of two students; the "fast" one is the model that is evaluated and exported."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.errors import UserInputError
from adaptcls.optim import closure_train_step
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample
from ..losses import KLDivergenceLoss
from .backbone_head import BackboneHead
from .image_classifier import FORWARD_MODES
from .utils import build_module, use_channels_last


@MODELS.register_module()
class MutualLearningClassifier(BaseModel):
    """Two students trained together on the same batches with Deep Mutual Learning
    (Zhang et al., "Deep Mutual Learning", CVPR 2018), the recipe for MobileNetV3.

    The ``fast`` student (typically a ``LinearClsHead`` with cross-entropy) and the ``slow``
    student (typically an ``AMSoftmaxHead``, a stronger regulariser) each minimise their own
    supervised loss plus the KL divergence from the other's detached distribution::

        loss_fast = sup_fast + kl_weight * KL(p_slow.detach() || p_fast)
        loss_slow = sup_slow + kl_weight * KL(p_fast.detach() || p_slow)

    where ``p`` is the softmax of a student's inference logits (``s * cos`` without margin for an
    AM-Softmax head). The four terms are logged as ``loss_fast_cls``, ``loss_fast_kl``,
    ``loss_slow_cls`` and ``loss_slow_kl``; mmengine sums them, so one optimizer updates both
    students. Each student's backbone runs once per pass; its head computes the supervised loss
    and the logits for the KL term in two calls (a head with dropout draws two masks).

    The fast student is the model: ``forward(mode='tensor'|'predict')``, ``num_classes``,
    ``pretrained_source`` and :meth:`deploy_model` use it alone. Both students are in the
    ``state_dict`` (``fast.*`` and ``slow.*``), so checkpoints keep the slow one too.

    Args:
        fast (dict): ``dict(backbone=..., head=...)``: configs (or modules) of the fast student.
        slow (dict): ``dict(backbone=..., head=...)``: configs (or modules) of the slow student.
        kl_weight (float): weight of each KL term, at least 0. Defaults to 1.0.
        data_preprocessor (dict | nn.Module, optional): the data preprocessor or its config; both
            students see its output. Defaults to None, which means ``dict(type='ClsDataPreprocessor')``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
        channels_last (bool): weights and batches in NHWC memory format (:func:`use_channels_last`).
            Defaults to False.

    Examples:
        >>> model = dict(
        ...     type='MutualLearningClassifier',
        ...     fast=dict(backbone=dict(type='TimmBackbone', model_name='mobilenetv3_large_100'),
        ...               head=dict(type='LinearClsHead', num_classes=10, in_channels=1280)),
        ...     slow=dict(backbone=dict(type='TimmBackbone', model_name='mobilenetv3_large_100'),
        ...               head=dict(type='AMSoftmaxHead', num_classes=10, in_channels=1280)))
    """

    def __init__(self,
                 fast: dict,
                 slow: dict,
                 kl_weight: float = 1.0,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None,
                 channels_last: bool = False) -> None:
        if kl_weight < 0:
            raise UserInputError(f'MutualLearningClassifier: kl_weight must be at least 0, got {kl_weight}.')
        super().__init__(
            data_preprocessor=build_module(data_preprocessor or dict(type='ClsDataPreprocessor')),
            init_cfg=init_cfg)
        self.fast = _build_student('fast', fast)
        self.slow = _build_student('slow', slow)
        if self.fast.head.num_classes != self.slow.head.num_classes:
            raise UserInputError(f'MutualLearningClassifier: the fast head has {self.fast.head.num_classes} '
                                 f'classes and the slow head {self.slow.head.num_classes}; set the same '
                                 'num_classes in model.fast.head and model.slow.head.')
        self.kl_loss = KLDivergenceLoss(loss_weight=kl_weight)
        if channels_last:
            use_channels_last(self)

    @property
    def num_classes(self) -> int:
        """The number of classes the fast student predicts."""
        return self.fast.head.num_classes

    @property
    def pretrained_source(self) -> str:
        """Where the fast backbone's weights came from ('unknown' for a backbone that does not say)."""
        return getattr(self.fast.backbone, 'pretrained_source', 'unknown')

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[ClsDataSample]] = None,
                mode: str = 'tensor') -> Union[torch.Tensor, Dict[str, torch.Tensor], List[ClsDataSample]]:
        """Runs the model on preprocessed inputs.

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (Sequence[ClsDataSample], optional): the samples (needed for 'loss').
                Defaults to None.
            mode (str): 'tensor' returns the fast student's (N, num_classes) logits (what
                deployment exports), 'loss' the mutual-learning losses of both students,
                'predict' the samples with the fast student's predictions. Defaults to 'tensor'.
        """
        if mode not in FORWARD_MODES:
            raise UserInputError(f'MutualLearningClassifier.forward: unknown mode "{mode}", '
                                 f'use one of {FORWARD_MODES}.')
        if mode == 'tensor':
            return self.fast(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.fast.head.predict(self.fast.backbone(inputs), data_samples)

    def loss(self, inputs: torch.Tensor, data_samples: Sequence[ClsDataSample]) -> Dict[str, torch.Tensor]:
        """Returns each student's supervised loss and its KL term towards the other (detached)."""
        fast_feats = self.fast.backbone(inputs)
        slow_feats = self.slow.backbone(inputs)
        fast_logits = self.fast.head(fast_feats)
        slow_logits = self.slow.head(slow_feats)
        return {
            'loss_fast_cls': self.fast.head.loss(fast_feats, data_samples)['loss'],
            'loss_fast_kl': self.kl_loss(fast_logits, slow_logits.detach()),
            'loss_slow_cls': self.slow.head.loss(slow_feats, data_samples)['loss'],
            'loss_slow_kl': self.kl_loss(slow_logits, fast_logits.detach()),
        }

    def deploy_model(self) -> nn.Module:
        """Returns the fast student (backbone + head): ``forward(x)`` = ``self(x, mode='tensor')``."""
        return self.fast

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One training step of both students on one preprocessed batch
        (see :func:`~adaptcls.optim.closure_train_step`).

        Args:
            data (dict | tuple | list): a batch from the dataloader.
            optim_wrapper (OptimWrapper): the optim wrapper that updates both students.

        Returns:
            dict[str, Tensor]: the log variables.
        """
        return closure_train_step(self, data, optim_wrapper)


def _build_student(name: str, config: dict) -> BackboneHead:
    """Builds a student from ``dict(backbone=..., head=...)``; names the key when one is missing."""
    missing = {'backbone', 'head'} - set(config)
    unknown = set(config) - {'backbone', 'head'}
    if missing or unknown:
        raise UserInputError(f'MutualLearningClassifier: model.{name} must be dict(backbone=..., head=...); '
                             f'missing {sorted(missing)}, unknown {sorted(unknown)}.')
    return BackboneHead(backbone=config['backbone'], head=config['head'])
