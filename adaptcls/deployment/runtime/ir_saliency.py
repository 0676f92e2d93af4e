"""Saliency maps of an exported IR's predictions with OpenVINO, numpy and Pillow only (``adaptcls explain MODEL.xml``).

The IR is read from its sealed files and the Recipro-CAM output is added to it in memory
(:mod:`~adaptcls.deployment.runtime.recipro_cam`): the files, and the deployed model, stay as exported. Each image is
read and resized as :class:`~adaptcls.deployment.runtime.ir_classifier.IRClassifier` does (the IR's ``resize``
rule), and one inference gives its probabilities and its maps. The explained class's h x w map is resized to the
input size bilinearly with half-pixel centres, as the checkpoint's Grad-CAM map is (``adaptcls.apis.saliency``).
docs/explain.md, "Explaining an IR".
"""
from typing import List, Optional, Tuple

import numpy as np

from adaptcls.errors import UserInputError
from .image_resize import resize_bilinear
from .ir_classifier import read_rgb_image
from .ir_files import IRFileError, read_ir
from .ir_metadata import IRMetadata
from .ov_core import check_device, shared_core
from .recipro_cam import SALIENCY_OUTPUT_NAME, add_saliency_output
from .saliency_output import Explanation


def bilinear_matrix(in_size: int, out_size: int) -> np.ndarray:
    """The (out_size, in_size) matrix of a 1-D bilinear resize with half-pixel centres (``align_corners=False``, the
    source coordinate clamped at 0, as ``torch.nn.functional.interpolate`` computes it)."""
    source = np.maximum((np.arange(out_size) + 0.5) * in_size / out_size - 0.5, 0)
    low = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    weight = source - low
    matrix = np.zeros((out_size, in_size))
    np.add.at(matrix, (np.arange(out_size), low), 1 - weight)
    np.add.at(matrix, (np.arange(out_size), high), weight)
    return matrix


def resize_map(saliency: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """An (h, w) map resized bilinearly to ``size`` = (height, width), as float32 clipped to [0, 1]."""
    rows, cols = bilinear_matrix(saliency.shape[0], size[0]), bilinear_matrix(saliency.shape[1], size[1])
    return np.clip(rows @ saliency.astype(np.float64) @ cols.T, 0, 1).astype(np.float32)


class IRSaliencyExplainer:
    """Recipro-CAM maps of an exported IR's predictions (see the module docstring).

    Args:
        xml_path (str): the IR's ``.xml`` (its ``.bin`` beside it).
        device (str): OpenVINO device. Defaults to 'CPU'.
        config (dict, optional): OpenVINO compile properties, e.g. ``{'INFERENCE_NUM_THREADS': 1}``. Defaults to
            None.

    Attributes:
        metadata (IRMetadata): labels and preprocessing read from the IR's rt_info.
        map_size (tuple[int, int]): (h, w) of the maps before resizing (the last feature map's).
    """

    def __init__(self, xml_path: str, device: str = 'CPU', config: Optional[dict] = None) -> None:
        core = shared_core()
        source = f'OpenVINO IR "{xml_path}"'
        model = read_ir(xml_path, core)
        self.metadata = IRMetadata.read_from(model, source=source)
        outputs = model.output(0).get_partial_shape()[-1]
        if outputs.is_static and outputs.get_length() != len(self.metadata.labels):
            raise IRFileError(f'{source} predicts {outputs.get_length()} classes but its rt_info lists '
                              f'{len(self.metadata.labels)} labels; export it again.')
        self.map_size = add_saliency_output(model, source)
        check_device(device)
        self.compiled = core.compile_model(model, device, config or {})

    @property
    def labels(self) -> List[str]:
        """Class names, index = output index."""
        return self.metadata.labels

    def explain(self, path: str, class_name: Optional[str] = None) -> Explanation:
        """The saliency map of one image file for ``class_name`` (default: the predicted class).

        Raises:
            UserInputError: ``class_name`` is not one of the IR's labels.
        """
        if class_name is not None and class_name not in self.labels:
            raise UserInputError(f'--class {class_name}: the model has no such class; its classes are {self.labels}.')
        image = resize_bilinear(read_rgb_image(path), self.metadata.input_size)
        results = self.compiled(np.ascontiguousarray(image[None]))
        probabilities = np.asarray(results[0])[0]
        predicted = int(probabilities.argmax())
        index = predicted if class_name is None else self.labels.index(class_name)
        saliency = resize_map(np.asarray(results[SALIENCY_OUTPUT_NAME])[0, index], self.metadata.input_size)
        return Explanation(path=path, label=self.labels[index], probability=float(probabilities[index]),
                           predicted=self.labels[predicted], saliency=saliency, image=image)
