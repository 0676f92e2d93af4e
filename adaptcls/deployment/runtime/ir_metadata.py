"""What an application must know to feed an exported model, stored in the OpenVINO IR's rt_info.

Every value lives under the ``adaptcls`` section of the model's rt_info and is a string; lists
and numbers are JSON, so a plain OpenVINO program reads them back with::

    model = openvino.Core().read_model('model.xml')
    labels = json.loads(model.get_rt_info(['adaptcls', 'labels']).astype(str))

Keys (see docs/deployment.md):

==================  ===========================================================================
``labels``          JSON list of class names; index = output index.
``input_size``      JSON ``[height, width]`` the graph expects (the app resizes to it).
``layout``          ``"NHWC"``: the input tensor's layout.
``color_order``     ``"RGB"``: the channel order of the input tensor.
``element_type``    ``"u8"``: raw 8-bit pixels; the graph converts to f32 and normalises.
``mean`` / ``std``  JSON lists, 0-255 scale, in ``color_order``: the graph computes (x - mean) / std.
``resize``          the rule the app must use to reach ``input_size`` (bilinear, half-pixel
                    centres, no antialias, rounded to uint8: what training used).
``output``          ``"probabilities"``: softmax over the classes, shape (N, num_classes).
``temperature``     JSON number T: the graph computes softmax(logits / T), T fitted by ``adaptcls calibrate``
                    (temperature scaling); ``null`` for an uncalibrated checkpoint (plain softmax). IRs
                    exported before it existed lack the key and read as ``null``.
``precision``       ``"FP32"`` or ``"INT8"``.
``version``         the adaptcls version that exported the model.
``weights_sha256``  hex SHA-256 of the ``.bin`` (written after saving: ``ir_files.seal_ir``); readers refuse
                    another ``.bin``.
==================  ===========================================================================
"""
import json
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

from adaptcls.errors import UserInputError
from adaptcls.version import __version__

RT_INFO_SECTION = 'adaptcls'
"""The rt_info section that holds the keys above."""

RESIZE_RULE = 'bilinear, half-pixel centres (align_corners=False), no antialias, rounded to uint8'
"""How images were resized in training (``adaptcls.datasets.transforms.Resize``)."""

_JSON_KEYS = ('labels', 'input_size', 'mean', 'std', 'temperature')
OPTIONAL_KEYS = ('temperature',)
"""Keys an IR may lack (exported before they existed): they read as the field's default."""


@dataclass
class IRMetadata:
    """The preprocessing contract and labels of an exported classifier.

    Args:
        labels (list[str]): class names, index = output index.
        input_size (tuple[int, int]): (height, width) of the graph's input.
        mean (list[float]): per-channel mean, 0-255 scale, in ``color_order``.
        std (list[float]): per-channel standard deviation, 0-255 scale.
        color_order (str): channel order of the input tensor. Defaults to 'RGB'.
        layout (str): layout of the input tensor. Defaults to 'NHWC'.
        element_type (str): element type of the input tensor. Defaults to 'u8'.
        resize (str): the resize rule the app must apply. Defaults to :data:`RESIZE_RULE`.
        output (str): what the output holds. Defaults to 'probabilities'.
        precision (str): 'FP32' or 'INT8'. Defaults to 'FP32'.
        version (str): the exporting adaptcls version. Defaults to the installed one.
        temperature (float, optional): the T of softmax(logits / T) in the graph. Defaults to None (plain softmax).
    """

    labels: List[str]
    input_size: Tuple[int, int]
    mean: List[float]
    std: List[float]
    color_order: str = 'RGB'
    layout: str = 'NHWC'
    element_type: str = 'u8'
    resize: str = RESIZE_RULE
    output: str = 'probabilities'
    precision: str = 'FP32'
    version: str = field(default=__version__)
    temperature: Optional[float] = None

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict (``input_size`` as a list)."""
        values = asdict(self)
        values['input_size'] = list(self.input_size)
        return values

    def write_to(self, model) -> None:
        """Stores every field in ``model``'s rt_info under :data:`RT_INFO_SECTION`.

        Args:
            model (openvino.Model): the model to annotate (changed in place).
        """
        for key, value in self.to_dict().items():
            text = json.dumps(value) if key in _JSON_KEYS else str(value)
            model.set_rt_info(text, [RT_INFO_SECTION, key])

    @classmethod
    def read_from(cls, model, source: str = 'the model') -> 'IRMetadata':
        """Reads the fields back from ``model``'s rt_info.

        Args:
            model (openvino.Model): a model written by :meth:`write_to`.
            source (str): how to name the model in errors (e.g. its path). Defaults to 'the model'.

        Raises:
            UserInputError: a key is missing (the IR was not exported by adaptcls) or holds no valid JSON.
        """
        values = {}
        for key in cls.__dataclass_fields__:
            if key in OPTIONAL_KEYS and not model.has_rt_info([RT_INFO_SECTION, key]):
                continue
            if not model.has_rt_info([RT_INFO_SECTION, key]):
                raise UserInputError(
                    f'{source} has no rt_info "{RT_INFO_SECTION}/{key}": it was not exported by '
                    '`python tools/deploy.py export`, so its labels and preprocessing are unknown. '
                    'Export it again with that command.')
            text = model.get_rt_info([RT_INFO_SECTION, key]).astype(str)
            try:
                values[key] = json.loads(text) if key in _JSON_KEYS else text
            except ValueError:  # e.g. an edited .xml whose entity expands to text that is not JSON
                raise UserInputError(
                    f'{source}: rt_info "{RT_INFO_SECTION}/{key}" is not valid JSON ({text[:80]!r}); the .xml was '
                    'changed after the export. Export it again with `python tools/deploy.py export`.') from None
        values['input_size'] = tuple(values['input_size'])
        return cls(**values)
