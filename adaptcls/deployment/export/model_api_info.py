"""The ``model_info`` rt_info section that OpenVINO's Model API reads, so that
``model_api.models.ClassificationModel.create_model('model.xml')`` classifies with adaptcls's preprocessing.

The Model API (``openvino-model-api``) reads its settings from the IR's rt_info ``model_info`` section, each value a
string (lists space-separated, booleans ``True``/``False``), and puts its own preprocessing in front of the graph
with OpenVINO's ``PrePostProcessor``: it takes a u8 **BGR** image of any size (what ``cv2.imread`` returns), resizes
it to the graph's input size, optionally reverses the channels, subtracts ``mean_values`` and divides by
``scale_values``. Our IR already normalises inside the graph and takes u8 RGB of the model size, so the section tells
the Model API to resize exactly like training (plain bilinear to the input size, no aspect ratio, no crop), to turn
its BGR image into RGB, and **not** to normalise again (mean 0, scale 1). Our output is already a softmax, which the
Model API recognises and does not apply again.

Keys (see docs/deployment.md, "Using the IR with OpenVINO Model API"):

==========================  =======================================================================================
``model_type``              ``Classification``: the Model API wrapper ``create_model`` builds.
``labels``                  class names, space-separated, index = output index (whitespace inside a name becomes
                            ``_``: the Model API splits on whitespace; the ``adaptcls`` section keeps exact names).
``mean_values``             ``0 0 0``: the graph subtracts adaptcls's mean itself.
``scale_values``            ``1 1 1``: the graph divides by adaptcls's std itself.
``reverse_input_channels``  ``True``: the Model API feeds BGR, the graph takes RGB.
``resize_type``             ``standard``: resize to the input size, aspect ratio not kept, no crop, no padding.
``interpolation_mode``      ``LINEAR``: bilinear, half-pixel centres, as training's ``Resize``.
``input_dtype``             ``u8``: raw 8-bit pixels.
``embedded_processing``     ``False``: the Model API must add its resize and colour conversion in front of the graph.
``multilabel``              ``False``: one label per image (softmax), not independent sigmoids.
``hierarchical``            ``False``: one flat set of classes.
==========================  =======================================================================================

The Model API has no ``layout`` setting: it reads the layout from the IR's input, which ``PrePostProcessor`` made
``NHWC``.
"""
import re
import warnings
from typing import Dict, List

from adaptcls.errors import UserInputError
from ..runtime.ir_metadata import IRMetadata

MODEL_INFO_SECTION = 'model_info'
"""The rt_info section the Model API reads."""
MODEL_TYPE = 'Classification'
"""The Model API wrapper for single-label classification (``ClassificationModel.__model__``)."""
MODEL_API_COLOR_ORDER = 'BGR'
"""Channel order of the images the Model API feeds (``cv2.imread``); it reverses them when the graph wants RGB."""
RESIZE_TYPE = 'standard'
"""Model API resize to the input size without keeping the aspect ratio: what training's ``Resize`` does."""
INTERPOLATION_MODE = 'LINEAR'
"""Model API interpolation: bilinear with half-pixel centres, no antialias (training's ``Resize``)."""
NO_MEAN = 0
"""``mean_values`` entry that makes the Model API subtract nothing (the graph normalises)."""
NO_SCALE = 1
"""``scale_values`` entry that makes the Model API divide by nothing (the graph normalises)."""
LIST_SEPARATOR = ' '
"""How the Model API separates list values in rt_info strings (it splits on whitespace)."""
WHITESPACE_REPLACEMENT = '_'
"""What whitespace inside a class name becomes in ``model_info/labels``."""
_WHITESPACE = re.compile(r'\s+')


def model_api_labels(labels: List[str]) -> str:
    """The ``labels`` value: class names separated by spaces, whitespace inside a name replaced by ``_``.

    Args:
        labels (list[str]): class names, index = output index.

    Returns:
        str: e.g. ``'cat dog golden_retriever'``.
    """
    names = [_WHITESPACE.sub(WHITESPACE_REPLACEMENT, name.strip()) or WHITESPACE_REPLACEMENT for name in labels]
    changed = [label for label, name in zip(labels, names) if label != name]
    if changed:
        warnings.warn(f'OpenVINO Model API labels are space-separated, so whitespace in the class names {changed} '
                      f'is written as "{WHITESPACE_REPLACEMENT}" in rt_info "{MODEL_INFO_SECTION}/labels"; the '
                      'exact names stay in rt_info "adaptcls/labels".')
    return LIST_SEPARATOR.join(names)


def model_api_info(metadata: IRMetadata) -> Dict[str, str]:
    """The ``model_info`` values that make the Model API preprocess like adaptcls and read our labels.

    Args:
        metadata (IRMetadata): the IR's labels and preprocessing (``color_order`` 'RGB' or 'BGR', ``output``
            'probabilities').

    Returns:
        dict[str, str]: key -> rt_info string, the keys of this module's table.

    Raises:
        ValueError: ``metadata`` describes an input or output the Model API cannot be configured for.
    """
    if metadata.color_order not in ('RGB', 'BGR'):
        raise UserInputError(f'The Model API feeds RGB or BGR images; IRMetadata.color_order is '
                             f'{metadata.color_order!r}.')
    if metadata.output != 'probabilities':
        raise UserInputError(f'model_info describes an IR that outputs probabilities, not {metadata.output!r}.')
    channels = len(metadata.mean)
    return dict(
        model_type=MODEL_TYPE,
        labels=model_api_labels(metadata.labels),
        mean_values=LIST_SEPARATOR.join([str(NO_MEAN)] * channels),
        scale_values=LIST_SEPARATOR.join([str(NO_SCALE)] * channels),
        reverse_input_channels=str(metadata.color_order != MODEL_API_COLOR_ORDER),
        resize_type=RESIZE_TYPE,
        interpolation_mode=INTERPOLATION_MODE,
        input_dtype=metadata.element_type,
        embedded_processing=str(False),
        multilabel=str(False),
        hierarchical=str(False),
    )


def write_model_api_info(model, metadata: IRMetadata) -> Dict[str, str]:
    """Stores :func:`model_api_info` in ``model``'s rt_info under :data:`MODEL_INFO_SECTION` (before the IR is saved,
    so the saved ``.xml`` carries it and the weights seal is computed as usual).

    Args:
        model (openvino.Model): the model to annotate (changed in place).
        metadata (IRMetadata): its labels and preprocessing.

    Returns:
        dict[str, str]: the values written.
    """
    values = model_api_info(metadata)
    for key, value in values.items():
        model.set_rt_info(value, [MODEL_INFO_SECTION, key])
    return values
