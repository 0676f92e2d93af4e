"""``tools/deploy.py export``: checkpoint -> ONNX, OpenVINO IR (FP32, optionally INT8) and export.json."""
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from adaptcls.errors import UserInputError
from adaptcls.datasets.image_folder_dataset import check_same_classes
from adaptcls.version import __version__
from ..complexity import torch_complexity
from .checkpoint_calibration import checkpoint_temperature
from ..dataset_images import config_split, evenly_spaced, load_images, seeded_subset
from .export_files import EXPORT_FILES, EXPORT_JSON, INT8_IR_FILE, IR_FILE, ONNX_FILE
from ..input_size import input_size_from_config
from .int8_quantization import quantize_ir
from ..runtime.ir_metadata import IRMetadata
from .model_api_info import write_model_api_info
from .model_loader import LoadedClassifier, deploy_module, load_classifier
from .onnx_export import DEFAULT_OPSET, export_onnx, onnx_logits
from .openvino_ir import build_ir, compile_ir, inference_precision, ir_probabilities, save_ir
from .verification import compare_outputs, normalise, softmax, top1, torch_logits

FORMATS = ('onnx', 'openvino')
EXACT_FP32 = {'INFERENCE_PRECISION_HINT': 'f32'}
"""OpenVINO CPU setting for the checks: CPUs with BF16 support otherwise run FP32 IRs in bfloat16."""


@dataclass
class ExportOptions:
    """What ``export`` writes and how it checks it.

    Args:
        formats (Sequence[str]): any of 'onnx' and 'openvino'. Defaults to both.
        int8 (bool): also write an NNCF INT8 IR (needs 'openvino'). Defaults to False.
        calibration_images (int): training images used to calibrate INT8. Defaults to 300.
        calibration_seed (int): seed of the calibration subset. Defaults to 0.
        input_size (tuple[int, int], optional): (height, width); None reads the test pipeline's
            Resize. Defaults to None.
        data_root (str, optional): dataset folder (train/ and val/) instead of the config's.
            Defaults to None.
        verify_images (int): validation images (spread evenly over the set) for the ONNX and IR
            checks against PyTorch. Defaults to 500.
        opset (int): ONNX opset. Defaults to 18.
        overwrite (bool): replace an export of another checkpoint in the output folder (re-exporting the same
            checkpoint always replaces its files). Defaults to False.
    """

    formats: Sequence[str] = FORMATS
    int8: bool = False
    calibration_images: int = 300
    calibration_seed: int = 0
    input_size: Optional[Tuple[int, int]] = None
    data_root: Optional[str] = None
    verify_images: int = 500
    opset: int = DEFAULT_OPSET
    overwrite: bool = False

    def check(self) -> None:
        """Raises ValueError for an unknown format, INT8 without OpenVINO, or bad counts."""
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown or not self.formats:
            raise UserInputError(f'--format must be one or more of {FORMATS}, got {list(self.formats)}.')
        if self.int8 and 'openvino' not in self.formats:
            raise UserInputError('--int8 quantizes the OpenVINO IR: add "openvino" to --format.')
        if self.calibration_images < 1 or self.verify_images < 1:
            raise UserInputError('--calib and --verify-images must be at least 1.')


class _Progress:
    """Prints one line per export stage, with the seconds since the export started."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f'[export {time.monotonic() - self.start:6.1f}s] {message}', flush=True)


@dataclass
class _Validation:
    """Validation images (uint8 NHWC), labels, the indices checked against PyTorch and PyTorch's
    softmax on those."""

    images: np.ndarray
    labels: np.ndarray
    verify: np.ndarray
    reference_probabilities: Optional[np.ndarray] = None


def export_checkpoint(config: str, checkpoint: str, out_dir: str,
                      options: Optional[ExportOptions] = None) -> Dict:
    """Exports a trained classifier and verifies each export on real validation images.

    A checkpoint calibrated by ``adaptcls calibrate`` (its ``meta['calibration']``:
    :mod:`~adaptcls.deployment.export.checkpoint_calibration`) gives IRs that output ``softmax(logits / T)``, checked
    against PyTorch's ``softmax(logits / T)``; T is recorded in the IRs' rt_info and in export.json
    (``calibration.temperature``). The ONNX model outputs raw logits either way.

    Files are written into a temporary folder inside ``out_dir`` and renamed into place at the
    end (``export.json`` last), so an interrupted export leaves no half-written model.

    Args:
        config (str): the training config.
        checkpoint (str): the checkpoint to export.
        out_dir (str): the output folder (created if needed).
        options (ExportOptions, optional): see :class:`ExportOptions`. Defaults to None (defaults).

    Returns:
        dict: the content of ``export.json``.
    """
    options = options or ExportOptions()
    options.check()
    _check_out_dir(out_dir, checkpoint, options.overwrite)
    progress = _Progress()
    progress(f'loading {checkpoint} with {config}')
    loaded = load_classifier(config, checkpoint, options.data_root, other_input_size=options.input_size is not None)
    input_size = input_size_from_config(loaded.cfg, options.input_size)
    mean, std = loaded.mean_std
    temperature = checkpoint_temperature(checkpoint)
    metadata = IRMetadata(labels=loaded.classes, input_size=input_size, mean=mean, std=std, temperature=temperature)
    module = deploy_module(loaded.model)
    val = _validation_images(loaded, input_size, options, progress)
    inputs = normalise(loaded.model.data_preprocessor, val.images[val.verify])
    reference = torch_logits(module, inputs)
    val.reference_probabilities = softmax(reference, temperature)
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.tmp-export-', dir=out_dir)
    try:
        summary = _summary(loaded, metadata, module)
        onnx_path = os.path.join(staging, ONNX_FILE)
        progress(f'ONNX export (opset {options.opset}, dynamic batch)')
        export_onnx(module, input_size, onnx_path, options.opset)
        summary['verification']['onnx'] = compare_outputs(reference, onnx_logits(onnx_path, inputs.numpy()))
        progress(f'ONNX Runtime vs PyTorch logits: {summary["verification"]["onnx"]}')
        if 'openvino' in options.formats:
            model, compiled = _export_fp32_ir(onnx_path, metadata, staging, val, summary, progress)
            if options.int8:
                _export_int8_ir(loaded, model, compiled, metadata, staging, options, val, summary, progress)
        if 'onnx' not in options.formats:
            os.remove(onnx_path)
        summary['files'] = sorted(os.listdir(staging)) + [EXPORT_JSON]
        with open(os.path.join(staging, EXPORT_JSON), 'w', encoding='utf-8') as stream:
            json.dump(summary, stream, indent=2)
        _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f'done: {", ".join(summary["files"])} in {out_dir}')
    return summary


def _validation_images(loaded: LoadedClassifier, input_size: Tuple[int, int], options: ExportOptions,
                       progress: _Progress) -> _Validation:
    """Loads the validation images: all of them for INT8 accuracy, else only those to verify with."""
    val_set = config_split(loaded.cfg, 'val_dataloader', input_size)
    check_same_classes(loaded.classes, val_set.metainfo['classes'], f'checkpoint "{loaded.checkpoint_path}"',
                       'the validation set')
    verify = evenly_spaced(len(val_set), options.verify_images)
    load = np.arange(len(val_set)) if options.int8 else verify
    progress(f'loading {len(load)} validation images at {input_size[0]}x{input_size[1]}')
    images, labels = load_images(val_set, load, 'validation images')
    return _Validation(images, labels, verify if options.int8 else np.arange(len(verify)))


def _summary(loaded: LoadedClassifier, metadata: IRMetadata, module) -> Dict:
    """The export.json fields known before exporting."""
    scores = 'softmax(logits)' if metadata.temperature is None else 'softmax(logits / calibration.temperature)'
    return dict(
        adaptcls_version=__version__,
        source=dict(config=os.path.abspath(loaded.config_path),
                    checkpoint=os.path.abspath(loaded.checkpoint_path)),
        classes=loaded.classes,
        input=dict(size=list(metadata.input_size), layout=metadata.layout,
                   color_order=metadata.color_order, element_type=metadata.element_type,
                   mean=metadata.mean, std=metadata.std, resize=metadata.resize),
        onnx_io=dict(input='input: (N, 3, H, W) float32 RGB, (x - mean) / std',
                     output='logits: (N, C), raw (no temperature applied)'),
        openvino_io=dict(input=f'(N, H, W, 3) {metadata.element_type} {metadata.color_order} '
                               f'{metadata.layout}, H x W = input.size',
                         output=f'probabilities: (N, C), {scores} inside the graph'),
        calibration=dict(temperature=metadata.temperature),
        complexity=torch_complexity(module, metadata.input_size),
        verification={},
    )


def _export_fp32_ir(onnx_path: str, metadata: IRMetadata, staging: str, val: _Validation,
                    summary: Dict, progress: _Progress) -> tuple:
    """Writes the FP32 IR and checks it on raw uint8 images; returns (model, its exact-FP32 compile)."""
    progress('OpenVINO IR: u8 NHWC RGB input, normalisation and softmax in the graph')
    model = build_ir(onnx_path, metadata)
    save_ir(model, os.path.join(staging, IR_FILE))
    compiled, default_compiled = compile_ir(model, config=EXACT_FP32), compile_ir(model)
    images, checks = val.images[val.verify], summary['verification']
    checks['openvino'] = compare_outputs(val.reference_probabilities, ir_probabilities(compiled, images))
    checks['openvino_default_precision'] = dict(
        compare_outputs(val.reference_probabilities, ir_probabilities(default_compiled, images)),
        inference_precision=inference_precision(default_compiled))
    progress(f'OpenVINO IR (raw uint8 images, f32) vs PyTorch softmax: {checks["openvino"]}')
    progress(f'the same at the CPU\'s default precision: {checks["openvino_default_precision"]}')
    return model, compiled


def _export_int8_ir(loaded: LoadedClassifier, model, compiled, metadata: IRMetadata, staging: str,
                    options: ExportOptions, val: _Validation, summary: Dict, progress: _Progress) -> None:
    """Quantizes the IR with NNCF on a seeded subset of the training images, writes it, and
    records FP32 and INT8 top-1 on the whole validation set."""
    train_set = config_split(loaded.cfg, 'train_dataloader', metadata.input_size)
    subset = seeded_subset(len(train_set), options.calibration_images, options.calibration_seed)
    progress(f'loading {len(subset)} training images for INT8 calibration (seed {options.calibration_seed})')
    calibration, _ = load_images(train_set, subset, 'calibration images')
    progress('NNCF post-training quantization to INT8')
    int8_model = quantize_ir(model, calibration)
    replace(metadata, precision='INT8').write_to(int8_model)
    write_model_api_info(int8_model, metadata)  # NNCF keeps rt_info today; written again so the INT8 IR never lacks it
    save_ir(int8_model, os.path.join(staging, INT8_IR_FILE))
    progress(f'measuring FP32 and INT8 IR top-1 on {len(val.images)} validation images')
    summary['int8'] = dict(
        calibration_images=int(len(subset)), calibration_split='train',
        calibration_seed=options.calibration_seed, val_images=int(len(val.images)),
        fp32_top1=top1(ir_probabilities(compiled, val.images, what='validation images through the FP32 IR'),
                       val.labels),
        int8_top1=top1(ir_probabilities(compile_ir(int8_model), val.images,
                                        what='validation images through the INT8 IR'), val.labels),
        fp32_inference='INFERENCE_PRECISION_HINT f32', int8_inference='CPU defaults')
    progress(f'val top-1: FP32 {summary["int8"]["fp32_top1"]:.4f}, INT8 {summary["int8"]["int8_top1"]:.4f}')


def _check_out_dir(out_dir: str, checkpoint: str, overwrite: bool) -> None:
    """Refuses an output folder that holds the export of another checkpoint (``export.json`` names its source),
    unless ``overwrite``: exporting one model over another is a user's work lost.

    Raises:
        FileExistsError: naming both checkpoints and the fix.
    """
    record = os.path.join(out_dir, EXPORT_JSON)
    if overwrite or not os.path.isfile(record):
        return
    try:
        with open(record, encoding='utf-8') as stream:
            previous = (json.load(stream).get('source') or {}).get('checkpoint')
    except (OSError, ValueError, AttributeError):
        previous = f'an unreadable {EXPORT_JSON}'
    if previous != os.path.abspath(checkpoint):
        raise FileExistsError(f'--out {out_dir} holds the export of {previous}, not of {checkpoint}; export into '
                              'another folder, or pass --overwrite to replace it.')


def _publish(staging: str, out_dir: str) -> None:
    """Renames the staged files into ``out_dir`` (export.json last) and removes stale export files."""
    staged = set(os.listdir(staging))
    for name in EXPORT_FILES:
        target = os.path.join(out_dir, name)
        if name not in staged and os.path.exists(target):
            os.remove(target)
    for name in sorted(staged - {EXPORT_JSON}) + [EXPORT_JSON]:
        os.replace(os.path.join(staging, name), os.path.join(out_dir, name))
