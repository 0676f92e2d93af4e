"""Prediction over many images: files, folders and glob patterns in, batches through a classifier, a result (or the
reason it failed) per image out, as text, JSON or CSV. numpy and Pillow only, like the IR runtime.
"""
import csv
import glob
import io
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from adaptcls.errors import UserInputError
from adaptcls.image_decoding import IMAGE_EXTENSIONS, ImageLoadError

OUTPUT_FORMATS = ('table', 'json', 'csv')
"""``--format`` values of ``predict`` (``text``, the former name of ``table``, is still accepted)."""
FORMAT_ALIASES = {'text': 'table'}
"""Former ``--format`` names."""
CSV_HEADER = ('path', 'rank', 'label', 'probability', 'error')
"""The columns of the CSV output."""
GLOB_CHARACTERS = '*?['
"""An input with one of these is a glob pattern."""


@dataclass
class Prediction:
    """The top-k labels of one image, or why it could not be classified.

    Attributes:
        path (str): the image file.
        top (list[tuple[str, float]]): (label, probability) pairs, most probable first (empty on error).
        error (str, optional): why the file could not be read.
    """

    path: str
    top: List[Tuple[str, float]] = field(default_factory=list)
    error: Optional[str] = None


def expand_image_inputs(inputs: Sequence[str]) -> List[str]:
    """Image files from files, folders (searched recursively for :data:`IMAGE_EXTENSIONS`, hidden names skipped) and
    glob patterns (``'photos/*.jpg'``, ``'**'`` recursive), in the order given, each folder's and pattern's sorted.

    Raises:
        FileNotFoundError: an input that is no file, no folder and matches nothing, or a folder without images.
    """
    paths: List[str] = []
    for item in inputs:
        if os.path.isfile(item):
            paths.append(item)
        elif os.path.isdir(item):
            found = []
            for folder, folders, names in os.walk(item):
                folders[:] = [name for name in folders if not name.startswith('.')]  # hidden folders not entered
                found += [os.path.join(folder, name) for name in names
                          if not name.startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS)]
            found.sort()
            if not found:
                raise FileNotFoundError(f'folder "{item}" holds no images ({", ".join(IMAGE_EXTENSIONS)}).')
            paths.extend(found)
        elif any(character in item for character in GLOB_CHARACTERS):
            found = sorted(path for path in glob.glob(item, recursive=True) if os.path.isfile(path))
            if not found:
                raise FileNotFoundError(f'the pattern "{item}" matches no file.')
            paths.extend(found)
        else:
            raise FileNotFoundError(f'"{item}" is no file, no folder and no glob pattern.')
    return paths


def predict_files(paths: Sequence[str], read: Callable[[str], np.ndarray], classify: Callable[[np.ndarray], np.ndarray],
                  labels: Sequence[str], topk: int, batch_size: int) -> Iterator[Prediction]:
    """Classifies ``paths`` ``batch_size`` at a time (only one batch of images is in memory), in order.

    Args:
        paths (Sequence[str]): image files.
        read (Callable[[str], np.ndarray]): a file -> the classifier's input image (decoded and resized); an
            ``ImageLoadError`` or ``OSError`` marks that file failed and the others go on.
        classify (Callable[[np.ndarray], np.ndarray]): a stack of images -> (N, num_classes) probabilities.
        labels (Sequence[str]): class names, index = output index.
        topk (int): labels per image.
        batch_size (int): images per call of ``classify``.

    Yields:
        Prediction: one per path, in order.
    """
    if topk < 1 or batch_size < 1:
        raise UserInputError(f'--topk and --batch must be at least 1, got {topk} and {batch_size}.')
    for start in range(0, len(paths), batch_size):
        batch = list(paths[start:start + batch_size])
        images, results = [], []
        for path in batch:
            try:
                images.append(read(path))
                results.append(Prediction(path))
            except (ImageLoadError, OSError) as error:
                results.append(Prediction(path, error=str(error).split('. ')[0]))
        probabilities = iter(classify(np.stack(images)) if images else [])
        for result in results:
            if result.error is None:
                row = next(probabilities)
                order = np.argsort(-row, kind='stable')[:topk]
                result.top = [(labels[index], float(row[index])) for index in order]
            yield result


def format_predictions(predictions: Sequence[Prediction], output_format: str, header: bool = True) -> str:
    """The predictions as ``table`` (a line each: path, then label and probability pairs), ``json`` (a list of
    objects) or ``csv`` (path, rank, label, probability, error; ``header=False`` leaves the header line out, for
    output streamed a batch at a time)."""
    output_format = FORMAT_ALIASES.get(output_format, output_format)
    if output_format == 'table':
        return '\n'.join(f'{item.path}: ' + (f'error: {item.error}' if item.error else
                                             ', '.join(f'{label} {probability:.4f}' for label, probability in item.top))
                         for item in predictions)
    if output_format == 'json':
        return json.dumps([dict(asdict(item), top=[dict(label=label, probability=probability)
                                                    for label, probability in item.top]) for item in predictions],
                          indent=2)
    if output_format == 'csv':
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator='\n')
        if header:
            writer.writerow(CSV_HEADER)
        for item in predictions:
            if item.error:
                writer.writerow([item.path, '', '', '', item.error])
            for rank, (label, probability) in enumerate(item.top, start=1):
                writer.writerow([item.path, rank, label, f'{probability:.6f}', ''])
        return stream.getvalue().rstrip('\n')
    raise UserInputError(f'--format must be one of {OUTPUT_FORMATS}, got {output_format!r}.')
