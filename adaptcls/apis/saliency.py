"""Saliency maps of a checkpoint's predictions: where in the image the model looked.

Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization")
through torchcam's ``GradCAM`` on the backbone's last feature map with a spatial extent: the feature maps weighted by
the spatially averaged gradient of the class score, summed, ReLU'd and normalised to [0, 1]. The target layer is
found by running the model once (the last module of the backbone whose output is an (N, C, H, W) map with H x W > 1),
so every timm backbone works without a per-model table.
"""
from typing import List, Optional

import numpy as np
import torch
from torch import nn

from adaptcls.deployment.runtime.saliency_output import Explanation
from adaptcls.errors import UserInputError
from .inference import CheckpointClassifier

class _Scores(nn.Module):
    """The classifier as images (normalised, N x 3 x H x W) -> class scores, for torchcam."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.classifier(inputs, mode='tensor')


def last_spatial_layer(model: nn.Module, prefix: str, sample: torch.Tensor) -> str:
    """The name of the last module under ``prefix`` whose output is a (N, C, H, W) map with H x W > 1, found by running
    ``model`` on ``sample``.

    Raises:
        UserInputError: no such module (e.g. an input so small that the last map is 1 x 1).
    """
    found: List[str] = []
    handles = []
    for name, module in model.named_modules():
        if name.startswith(prefix) and name != prefix:
            handles.append(module.register_forward_hook(
                lambda module, args, output, name=name: found.append(name)
                if isinstance(output, torch.Tensor) and output.dim() == 4 and output.shape[2] * output.shape[3] > 1
                else None))
    try:
        with torch.no_grad():
            model(sample)
    finally:
        for handle in handles:
            handle.remove()
    if not found:
        raise UserInputError(f'the model has no feature map larger than 1 x 1 at the input size '
                             f'{tuple(sample.shape[2:])}: a saliency map needs a larger input (--img-size).')
    return found[-1]


class SaliencyExplainer:
    """Grad-CAM maps of a checkpoint's predictions (see the module docstring).

    Args:
        classifier (CheckpointClassifier): the checkpoint with its test pipeline.
    """

    def __init__(self, classifier: CheckpointClassifier) -> None:
        from torchcam.methods import GradCAM
        self.classifier = classifier
        self.model = _Scores(classifier.model).eval()
        size = _input_size(classifier)
        sample = torch.zeros(1, 3, *size)
        self.target_layer = last_spatial_layer(self.model, 'classifier.backbone', sample)
        self._cam = GradCAM(self.model, target_layer=self.target_layer, input_shape=(3, *size))

    def explain(self, path: str, class_name: Optional[str] = None) -> Explanation:
        """The saliency map of one image file for ``class_name`` (default: the predicted class)."""
        labels = self.classifier.labels
        if class_name is not None and class_name not in labels:
            raise UserInputError(f'--class {class_name}: the model has no such class; its classes are {labels}.')
        image = self.classifier.read(path)  # (3, H, W) uint8
        batch = self.classifier.model.data_preprocessor(dict(inputs=[torch.from_numpy(image)]), False)['inputs']
        scores = self.model(batch)
        probabilities = torch.softmax(scores.detach(), dim=1)[0]
        predicted = int(probabilities.argmax())
        index = predicted if class_name is None else labels.index(class_name)
        saliency = self._cam(index, scores)[0][0]  # first (only) target layer, first image
        saliency = torch.nn.functional.interpolate(saliency[None, None].float(), size=image.shape[1:], mode='bilinear',
                                                   align_corners=False)[0, 0]
        return Explanation(path=path, label=labels[index], probability=float(probabilities[index]),
                           predicted=labels[predicted], saliency=saliency.clamp(0, 1).numpy().astype(np.float32),
                           image=image.transpose(1, 2, 0).copy())

    def close(self) -> None:
        """Removes torchcam's hooks from the model."""
        self._cam.remove_hooks()


def _input_size(classifier: CheckpointClassifier) -> tuple:
    """(H, W) of the model's input: an image of the test pipeline's size."""
    image = classifier.prepare(np.zeros((64, 64, 3), np.uint8))
    return tuple(image.shape[1:])
