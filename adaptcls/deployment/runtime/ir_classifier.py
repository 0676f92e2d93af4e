"""Runs an exported IR on images with nothing but OpenVINO, numpy, Pillow and the IR's rt_info.

This module is what an application needs; it deliberately imports neither torch nor mmengine.
"""
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from adaptcls.image_decoding import read_rgb_image as decode_rgb_image
from .image_resize import resize_bilinear
from .ir_files import IRFileError, read_ir
from .ir_metadata import IRMetadata
from .ov_core import check_device, shared_core


def read_rgb_image(path: str) -> np.ndarray:
    """Reads an image file as (H, W, 3) uint8 RGB exactly as training's ``LoadImage`` does
    (:func:`adaptcls.image_decoding.read_rgb_image`: EXIF orientation, alpha on white, 16-bit and float images mapped
    to 8 bits), so the IR sees the pixels the model was trained on.

    Args:
        path (str): the image file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is not an image file (``ImageLoadError``, naming it).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Image file "{path}" does not exist.')
    return decode_rgb_image(path)


class IRClassifier:
    """An adaptcls OpenVINO IR (u8 NHWC RGB in, probabilities out) ready to classify images.

    Args:
        xml_path (str): the IR's ``.xml`` file (its ``.bin`` beside it).
        device (str): OpenVINO device. Defaults to 'CPU'.
        config (dict, optional): OpenVINO compile properties, e.g.
            ``{'INFERENCE_NUM_THREADS': 2}``. Defaults to None.

    Attributes:
        metadata (IRMetadata): labels and preprocessing read from the IR's rt_info.
    """

    def __init__(self, xml_path: str, device: str = 'CPU', config: Optional[dict] = None) -> None:
        core = shared_core()
        model = read_ir(xml_path, core)  # the files checked: an IR, with the .bin it was exported with
        self.metadata = IRMetadata.read_from(model, source=f'OpenVINO IR "{xml_path}"')
        outputs = model.output(0).get_partial_shape()[-1]
        if outputs.is_static and outputs.get_length() != len(self.metadata.labels):
            raise IRFileError(f'OpenVINO IR "{xml_path}" predicts {outputs.get_length()} classes but its rt_info '
                              f'lists {len(self.metadata.labels)} labels; export it again.')
        check_device(device)
        self.compiled = core.compile_model(model, device, config or {})

    @property
    def labels(self) -> List[str]:
        """Class names, index = output index."""
        return self.metadata.labels

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """Resizes an (H, W, 3) uint8 RGB image to the IR's input size with the training rule."""
        return resize_bilinear(image, self.metadata.input_size)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities of a batch.

        Args:
            images (np.ndarray): (N, H, W, 3) uint8 RGB images of the IR's input size.

        Returns:
            np.ndarray: (N, num_classes) float32 probabilities.
        """
        return np.asarray(self.compiled(np.ascontiguousarray(images))[0])

    def classify_files(self, paths: Sequence[str], topk: int = 5) -> List[List[Tuple[str, float]]]:
        """The ``topk`` (label, probability) pairs of each image file, most probable first.

        Args:
            paths (Sequence[str]): image files.
            topk (int): how many classes to return per image. Defaults to 5.
        """
        batch = np.stack([self.prepare(read_rgb_image(path)) for path in paths])
        results = []
        for probabilities in self.predict(batch):
            order = np.argsort(-probabilities, kind='stable')[:topk]
            results.append([(self.labels[index], float(probabilities[index])) for index in order])
        return results
