"""Classifying images with a trained checkpoint in PyTorch (no export needed), the way it was evaluated."""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import Compose

from adaptcls.errors import UserInputError
from adaptcls.deployment.export.model_loader import load_classifier
from adaptcls.deployment.runtime.prediction import Prediction, expand_image_inputs, predict_files
from adaptcls.registry import adaptcls_scope

PACK_TRANSFORM = 'PackClsInputs'
"""The last transform of a test pipeline; its ``inputs`` (a (3, H, W) uint8 tensor) are what the model takes."""
LOAD_TRANSFORM = 'LoadImage'
"""The first transform of a test pipeline: a file -> its decoded RGB image; the rest run on arrays."""


class CheckpointClassifier:
    """A trained checkpoint that classifies image files with its config's test pipeline and data preprocessor.

    Example::

        classifier = CheckpointClassifier('configs/effnet_lite0_adaptive.py', 'work_dirs/run/best_top1_epoch_9.pth')
        for prediction in classifier.classify(['photos/'], topk=3):
            print(prediction.path, prediction.top)

    Args:
        config (str): the config the checkpoint was trained with.
        checkpoint (str): the checkpoint (loaded weights-only, strictly; classes and model fingerprint checked).
        data_root (str, optional): the training data, needed only when the checkpoint stores no class names.
        device (str): torch device. Defaults to 'cpu'.
    """

    def __init__(self, config: str, checkpoint: str, data_root: Optional[str] = None, device: str = 'cpu') -> None:
        self.loaded = load_classifier(config, checkpoint, data_root)
        self.model = self.loaded.model.to(device).eval()
        self.device = device
        pipeline = self.loaded.cfg.test_dataloader.dataset.pipeline
        if not pipeline or pipeline[-1].get('type') != PACK_TRANSFORM or pipeline[0].get('type') != LOAD_TRANSFORM:
            raise UserInputError(f'the test pipeline of {config} must start with {LOAD_TRANSFORM} and end with '
                                 f'{PACK_TRANSFORM}; it is {[step.get("type") for step in pipeline]}.')
        with adaptcls_scope():
            self.pipeline = Compose(pipeline)
            self.array_pipeline = Compose(pipeline[1:])

    @property
    def labels(self) -> List[str]:
        """Class names, index = output index."""
        return list(self.loaded.classes)

    def read(self, path: str) -> np.ndarray:
        """An image file through the test pipeline: the (3, H, W) uint8 array the model takes."""
        return self.pipeline(dict(img_path=path))['inputs'].numpy()

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """An (H, W, 3) uint8 RGB image (a decoded file) through the test pipeline after its ``LoadImage``."""
        shape = image.shape[:2]
        return self.array_pipeline(dict(img=image, img_shape=shape, ori_shape=shape))['inputs'].numpy()

    @torch.no_grad()
    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, num_classes) softmax probabilities of (N, 3, H, W) uint8 images from :meth:`read`."""
        batch = self.model.data_preprocessor(dict(inputs=list(torch.from_numpy(images).to(self.device))), False)
        return torch.softmax(self.model(batch['inputs'], mode='tensor'), dim=1).cpu().numpy()

    def classify(self, inputs: Sequence[str], topk: int = 5, batch_size: int = 32) -> List[Prediction]:
        """The top-k labels of each image of ``inputs`` (files, folders, glob patterns); an unreadable file gets its
        error instead, and the others go on.

        Args:
            inputs (Sequence[str]): image files, folders (searched recursively) or glob patterns.
            topk (int): labels per image. Defaults to 5.
            batch_size (int): images per forward pass. Defaults to 32.
        """
        return list(predict_files(expand_image_inputs(inputs), self.read, self.probabilities, self.labels, topk,
                                  batch_size))
