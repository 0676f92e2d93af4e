"""The OpenVINO IR: raw 8-bit RGB images in, probabilities out, labels and preprocessing in rt_info."""
from typing import Optional

import numpy as np

from adaptcls.errors import UserInputError
from adaptcls.utils.progress import track_batches
from ..dependencies import require
from ..runtime.ir_files import seal_ir
from ..runtime.ir_metadata import IRMetadata
from ..runtime.ov_core import check_device, shared_core
from .model_api_info import write_model_api_info

OUTPUT_TENSOR_NAME = 'probabilities'
"""Name of the IR's output tensor."""
SOFTMAX_AXIS = 1
"""The class axis of the (N, num_classes) output."""


def build_ir(onnx_path: str, metadata: IRMetadata):
    """Converts the ONNX model and puts preprocessing and softmax into the graph.

    OpenVINO's ``PrePostProcessor`` makes the input a u8 NHWC RGB tensor of
    ``metadata.input_size`` (dynamic batch), converts it to f32, subtracts ``mean``, divides by
    ``std`` and transposes to the model's NCHW. The graph does not resize: the application
    resizes with ``metadata.resize`` (OpenVINO's linear resize differs from training's by up to
    one grey level). A softmax over the classes follows the logits: ``softmax(logits / T)`` when
    ``metadata.temperature`` holds a calibrated T (temperature scaling, Guo et al. 2017:
    :mod:`adaptcls.evaluation.calibration`; the arg-max is unchanged), else the plain softmax. The ONNX
    model keeps raw logits. ``metadata`` goes into rt_info
    twice: as the ``adaptcls`` section and as the ``model_info`` section OpenVINO's Model API reads
    (:mod:`~adaptcls.deployment.export.model_api_info`).

    Args:
        onnx_path (str): the exported ``.onnx`` file (normalised NCHW float in, logits out).
        metadata (IRMetadata): labels and preprocessing (its layout, colour order and element
            type must be 'NHWC', 'RGB' and 'u8').

    Returns:
        openvino.Model: the model to save with :func:`save_ir`.
    """
    openvino = require('openvino')
    from openvino.preprocess import ColorFormat, PrePostProcessor
    if (metadata.layout, metadata.color_order, metadata.element_type) != ('NHWC', 'RGB', 'u8'):
        raise UserInputError(f'build_ir makes u8 NHWC RGB inputs, not {metadata.element_type} '
                             f'{metadata.layout} {metadata.color_order}.')
    model = shared_core().read_model(onnx_path)
    ppp = PrePostProcessor(model)
    ppp.input().tensor().set_element_type(openvino.Type.u8).set_layout(
        openvino.Layout('NHWC')).set_color_format(ColorFormat.RGB)
    ppp.input().model().set_layout(openvino.Layout('NCHW'))
    ppp.input().preprocess().convert_element_type(openvino.Type.f32).mean(
        list(metadata.mean)).scale(list(metadata.std))
    ppp.output().postprocess().custom(lambda logits: _softmax(logits, metadata.temperature))
    model = ppp.build()
    model.output().get_tensor().set_names({OUTPUT_TENSOR_NAME})
    metadata.write_to(model)
    write_model_api_info(model, metadata)
    return model


def _softmax(logits, temperature: Optional[float]):
    """The graph's output: softmax over the classes of ``logits / temperature`` (of ``logits`` when it is None)."""
    from openvino import opset13
    if temperature is not None:
        logits = opset13.divide(logits, opset13.constant(np.float32(temperature)))
    return opset13.softmax(logits, SOFTMAX_AXIS).output(0)


def save_ir(model, xml_path: str) -> str:
    """Writes ``model`` as ``xml_path`` + ``.bin`` with FP32 weights (no FP16 compression) and seals the pair: the
    ``.bin``'s SHA-256 goes into the ``.xml`` (:func:`~adaptcls.deployment.runtime.ir_files.seal_ir`), so every
    reader refuses a ``.bin`` with other bytes. Returns the checksum."""
    require('openvino').save_model(model, xml_path, compress_to_fp16=False)
    return seal_ir(xml_path)


def compile_ir(model, device: str = 'CPU', config: Optional[dict] = None):
    """Compiles an ``openvino.Model`` (or reads and compiles an ``.xml`` path)."""
    check_device(device)
    return shared_core().compile_model(model, device, config or {})


def inference_precision(compiled) -> str:
    """The precision a compiled model computes in, e.g. 'f32' or 'bf16' (CPUs with BF16 default to it)."""
    return compiled.get_property('INFERENCE_PRECISION_HINT').get_type_name()


def ir_probabilities(compiled, images: np.ndarray, batch_size: int = 64,
                     what: str = 'images through OpenVINO') -> np.ndarray:
    """Runs a compiled IR on (N, H, W, 3) uint8 images in batches; returns (N, C) probabilities.

    Args:
        compiled (openvino.CompiledModel): the IR.
        images (np.ndarray): (N, H, W, 3) uint8 images.
        batch_size (int): images per call. Defaults to 64.
        what (str): the images' name in progress lines (printed while it takes long).
            Defaults to 'images through OpenVINO'.
    """
    outputs = [np.asarray(compiled(np.ascontiguousarray(images[batch]))[0])
               for batch in track_batches(len(images), batch_size, what)]
    return np.concatenate(outputs)

