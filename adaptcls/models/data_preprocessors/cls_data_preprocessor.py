"""Batches uint8 RGB images into a normalised float tensor and applies batch augments."""
from typing import List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from adaptcls.errors import UserInputError
from adaptcls.registry import MODELS


@MODELS.register_module()
class ClsDataPreprocessor(BaseDataPreprocessor):
    """Stacks, normalises and (in training) batch-augments the images of a batch.

    Reads ``data['inputs']`` (a list of uint8 (C, H, W) tensors from ``PackClsInputs``, or a uint8
    (N, C, H, W) tensor) and ``data['data_samples']``; writes float (N, C, H, W) ``inputs``,
    ``(x - mean) / std``, on the preprocessor's device. Images are RGB already (``LoadImage``).

    Args:
        mean (Sequence[float]): per-channel mean on the 0-255 scale, RGB order. Defaults to the
            ImageNet mean (123.675, 116.28, 103.53).
        std (Sequence[float]): per-channel standard deviation on the 0-255 scale. Defaults to the
            ImageNet std (58.395, 57.12, 57.375).
        batch_augments (list[dict], optional): configs of callables
            ``(inputs, data_samples) -> (inputs, data_samples)`` built from ``MODELS`` and applied in
            order to the normalised batch, in training only. Defaults to None.
        channels_last (bool): hand the batch on in NHWC memory format (``torch.channels_last``), for a model whose
            weights are in it too (the classifiers' ``channels_last``). Defaults to False.
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 batch_augments: Optional[List[dict]] = None,
                 channels_last: bool = False) -> None:
        super().__init__()
        self.channels_last = channels_last
        if len(mean) != len(std):
            raise UserInputError(f'ClsDataPreprocessor: mean {tuple(mean)} and std {tuple(std)} must have one '
                                 'value per channel each.')
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), False)
        self.batch_augments = [MODELS.build(cfg) for cfg in batch_augments or []]

    def forward(self, data: dict, training: bool = False) -> dict:
        """Returns ``dict(inputs=normalised float NCHW tensor, data_samples=...)``.

        Args:
            data (dict): ``inputs`` and optionally ``data_samples`` from the dataloader.
            training (bool): apply the batch augments. Defaults to False.
        """
        data = self.cast_data(data)
        images = _stack_images(data['inputs'])
        if images.shape[1] != self.mean.shape[1]:
            raise UserInputError(f'Images have {images.shape[1]} channels, but mean/std have '
                                 f'{self.mean.shape[1]} values; LoadImage should produce 3-channel RGB images.')
        inputs = (images.float() - self.mean) / self.std
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        data_samples = data.get('data_samples')
        if training:
            for augment in self.batch_augments:
                inputs, data_samples = augment(inputs, data_samples)
        return dict(inputs=inputs, data_samples=data_samples)


def _stack_images(images: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
    """Checks that the images are uint8 and of one size, and stacks them into (N, C, H, W)."""
    if isinstance(images, torch.Tensor):
        batch = images
    else:
        sizes = sorted({tuple(image.shape) for image in images})
        if len(sizes) > 1:
            raise UserInputError(f'All images of a batch must have the same size (C, H, W), got {sizes}; '
                                 'add a Resize (or crop) to the pipeline so that every image ends at one size.')
        batch = torch.stack(list(images))
    if batch.dtype != torch.uint8 or batch.dim() != 4:
        raise TypeError(f'Expected uint8 images (list of (C, H, W) or one (N, C, H, W) tensor) as '
                        f'PackClsInputs produces, got dtype {batch.dtype} with batch shape '
                        f'{tuple(batch.shape)}.')
    return batch
