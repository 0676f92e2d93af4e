"""``Classifier``: one way to classify images with a trained checkpoint (PyTorch) or an exported IR (OpenVINO).

Example::

    from adaptcls.apis import Classifier

    classifier = Classifier.from_checkpoint('work_dirs/my_run/best.pth')   # its config found in the run's folder
    classifier = Classifier.from_ir('work_dirs/my_run/export/model_int8.xml')
    for prediction in classifier.predict(['photos/', 'more/*.jpg'], batch_size=32):
        print(prediction.path, prediction.top[0])            # (label, probability), or prediction.error
    classifier.predict(numpy_rgb_image)[0].top                # arrays and Pillow images too
"""
import os.path as osp
from typing import Callable, Iterator, List, Optional, Sequence, Union

import numpy as np
from PIL import Image

from adaptcls.errors import UserInputError
from adaptcls.config.data_config import RUN_CONFIG_FILE
from adaptcls.deployment.runtime.prediction import Prediction, expand_image_inputs, predict_files
from adaptcls.image_decoding import pil_to_rgb

ImageInput = Union[str, np.ndarray, Image.Image]
"""A file, folder or glob pattern; an (H, W, 3) uint8 RGB array; or a Pillow image."""


class Classifier:
    """Classifies images: files, folders, glob patterns, numpy arrays or Pillow images, in batches (one batch of
    images in memory at a time), each one read as at training time (the shared image decoder and resize rule).

    Build one with :meth:`from_checkpoint` or :meth:`from_ir`.

    Args:
        labels (Sequence[str]): class names, index = output index.
        read_file (Callable[[str], np.ndarray]): an image file -> the model's input image.
        prepare (Callable[[np.ndarray], np.ndarray]): an (H, W, 3) uint8 RGB array -> the model's input image.
        probabilities (Callable[[np.ndarray], np.ndarray]): a stack of input images -> (N, C) probabilities.
        source (str): what classifies (for ``repr``).
    """

    def __init__(self, labels: Sequence[str], read_file: Callable[[str], np.ndarray],
                 prepare: Callable[[np.ndarray], np.ndarray], probabilities: Callable[[np.ndarray], np.ndarray],
                 source: str) -> None:
        self.labels = list(labels)
        self.read_file, self.prepare, self.probabilities, self.source = read_file, prepare, probabilities, source

    def __repr__(self) -> str:
        return f'Classifier({self.source}, {len(self.labels)} classes)'

    @classmethod
    def from_checkpoint(cls, checkpoint: str, config: Optional[str] = None, device: str = 'cpu',
                        data_root: Optional[str] = None) -> 'Classifier':
        """A checkpoint in PyTorch, with its config's test pipeline and data preprocessor.

        Args:
            checkpoint (str): a checkpoint of tools/train.py (e.g. ``WORK_DIR/best.pth``).
            config (str, optional): the config it was trained with. Defaults to None: ``run_config.json`` beside
                the checkpoint (the run's resolved config, read as data: :func:`run_config`).
            device (str): torch device. Defaults to 'cpu'.
            data_root (str, optional): the training data, only for a checkpoint that stores no class names.

        Raises:
            FileNotFoundError: no config given and none recorded beside the checkpoint.
        """
        from .inference import CheckpointClassifier
        model = CheckpointClassifier(config or run_config(checkpoint), checkpoint, data_root, device)
        return cls(model.labels, model.read, model.prepare, model.probabilities, f'checkpoint {checkpoint}')

    @classmethod
    def from_ir(cls, xml: str, device: str = 'CPU', config: Optional[dict] = None) -> 'Classifier':
        """An exported OpenVINO IR (``model.xml`` or ``model_int8.xml``), with the preprocessing it records.

        Args:
            xml (str): the IR.
            device (str): OpenVINO device. Defaults to 'CPU'.
            config (dict, optional): OpenVINO compile properties. Defaults to None.
        """
        from adaptcls.deployment.runtime.ir_classifier import IRClassifier, read_rgb_image
        model = IRClassifier(xml, device, config)
        return cls(model.labels, lambda path: model.prepare(read_rgb_image(path)), model.prepare, model.predict,
                   f'IR {xml}')

    def predict(self, inputs: Union[ImageInput, Sequence[ImageInput]], topk: int = 5,
                batch_size: int = 32) -> List[Prediction]:
        """The top-k labels of every image of ``inputs``; an unreadable file gets its ``error`` instead.

        Args:
            inputs: one input or a list of them (see :data:`ImageInput`); folders are searched recursively.
            topk (int): labels per image. Defaults to 5.
            batch_size (int): images per forward pass. Defaults to 32.

        Returns:
            list[Prediction]: one per image, in order (``path`` is ``'<image N>'`` for an array or Pillow image).
        """
        return list(self.predict_iter(inputs, topk, batch_size))

    def predict_iter(self, inputs: Union[ImageInput, Sequence[ImageInput]], topk: int = 5,
                     batch_size: int = 32) -> Iterator[Prediction]:
        """:meth:`predict` as a generator, for any number of images: results come batch by batch."""
        items = _items(inputs)
        in_memory = {name: image for name, image in items if image is not None}
        yield from predict_files([name for name, _ in items], lambda name: self._read(name, in_memory),
                                 self.probabilities, self.labels, topk, batch_size)

    def _read(self, name: str, in_memory: dict) -> np.ndarray:
        image = in_memory.get(name)
        if image is None:
            return self.read_file(name)
        return self.prepare(pil_to_rgb(image) if isinstance(image, Image.Image) else _rgb_array(image, name))


def _items(inputs) -> List[tuple]:
    """(name, image or None) per image: files from paths, folders and patterns; named in-memory images."""
    if isinstance(inputs, (str, np.ndarray, Image.Image)):
        inputs = [inputs]
    items, count = [], 0
    for item in inputs:
        if isinstance(item, str):
            items.extend((path, None) for path in expand_image_inputs([item]))
        elif isinstance(item, (np.ndarray, Image.Image)):
            items.append((f'<image {count}>', item))
            count += 1
        else:
            raise TypeError(f'predict takes file, folder or glob paths, numpy arrays and Pillow images; got '
                            f'{type(item).__name__}.')
    return items


def _rgb_array(image: np.ndarray, name: str) -> np.ndarray:
    """Checks that an array is an (H, W, 3) uint8 RGB image (what the decoder gives)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise UserInputError(f'{name}: an array image must be (H, W, 3) uint8 RGB, got {image.dtype} {image.shape}; '
                             'convert it first, e.g. np.asarray(pil_image.convert("RGB")).')
    return image


def run_config(checkpoint: str) -> str:
    """The config a checkpoint's run trained, as data: ``run_config.json`` beside the checkpoint (written by every
    training run). A Python config found beside a checkpoint is never executed implicitly: it is code, and the folder
    may come from someone else.

    Raises:
        FileNotFoundError: the checkpoint's folder has no run_config.json; the message says to pass --config.
    """
    path = osp.join(osp.dirname(osp.abspath(checkpoint)), RUN_CONFIG_FILE)
    if osp.isfile(path):
        return path
    raise FileNotFoundError(f'no {RUN_CONFIG_FILE} beside the checkpoint "{checkpoint}" (runs of adaptcls before '
                            '2026-12-06 did not write it); pass the config it was trained with (--config FILE). A '
                            'Python config runs code when it is read: pass only one you trust.')
