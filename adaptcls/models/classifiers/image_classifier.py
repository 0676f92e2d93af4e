"""Backbone + head image classifier."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from adaptcls.engine.optimizers import optimize_step
from adaptcls.registry import MODELS
from adaptcls.structures import ClsDataSample

FORWARD_MODES = ('tensor', 'loss', 'predict')


def _build(module: Union[dict, nn.Module]) -> nn.Module:
    """Builds a config from adaptcls's ``MODELS``; passes a ready module through."""
    return module if isinstance(module, nn.Module) else MODELS.build(module)


@MODELS.register_module()
class ImageClassifier(BaseModel):
    """An image classifier: ``head(backbone(preprocessed images))``.

    Args:
        backbone (dict | nn.Module): the backbone or its config.
        head (dict | nn.Module): the head or its config.
        data_preprocessor (dict | nn.Module, optional): the data preprocessor or its config.
            Defaults to None, which means ``dict(type='ClsDataPreprocessor')`` (ImageNet mean/std).
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=_build(data_preprocessor or dict(type='ClsDataPreprocessor')),
                         init_cfg=init_cfg)
        self.backbone = _build(backbone)
        self.head = _build(head)

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
            raise ValueError(f'ImageClassifier.forward: unknown mode "{mode}", use one of {FORWARD_MODES}.')
        feats = self.extract_feat(inputs)
        if mode == 'tensor':
            return self.head(feats)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        return self.head.predict(feats, data_samples)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One training step: preprocess the batch once, then ``optimize_step``.

        ``compute_loss`` re-runs the forward pass on the same preprocessed batch, so an optim
        wrapper that needs the loss twice per step (SAM) sees one batch and one augmentation.

        Args:
            data (dict | tuple | list): a batch from the dataloader.
            optim_wrapper (OptimWrapper): the optim wrapper that updates the parameters.

        Returns:
            dict[str, Tensor]: the log variables.
        """
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)

        def compute_loss() -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
            with optim_wrapper.optim_context(self):
                losses = self._run_forward(data, mode='loss')
            return self.parse_losses(losses)

        return optimize_step(compute_loss, optim_wrapper)
