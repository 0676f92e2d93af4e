"""Which backends ``tools/deploy.py benchmark MODEL`` times, found from what MODEL is."""
import json
import os
from dataclasses import dataclass
from typing import List, Optional

from adaptcls.errors import UserInputError
from ..export.export_files import EXPORT_JSON, INT8_IR_FILE, IR_FILE, ONNX_FILE

CHECKPOINT_SUFFIXES = ('.pth', '.pt')


@dataclass
class BenchmarkTarget:
    """One model file on one backend.

    Args:
        name (str): the row label, e.g. 'OpenVINO INT8'.
        backend (str): 'pytorch', 'onnxruntime' or 'openvino'.
        file (str): the checkpoint, ``.onnx`` or ``.xml`` file.
        config (str, optional): the training config (PyTorch only). Defaults to None.
    """

    name: str
    backend: str
    file: str
    config: Optional[str] = None


def _openvino_targets(xml_path: str) -> List[BenchmarkTarget]:
    """The IR, plus its INT8 sibling ``model_int8.xml`` when there is one."""
    targets = [BenchmarkTarget('OpenVINO ' + ('INT8' if xml_path.endswith(INT8_IR_FILE) else 'FP32'),
                               'openvino', xml_path)]
    sibling = os.path.join(os.path.dirname(xml_path), INT8_IR_FILE)
    if os.path.isfile(sibling) and not os.path.samefile(sibling, xml_path):
        targets.append(BenchmarkTarget('OpenVINO INT8', 'openvino', sibling))
    return targets


def _export_dir_targets(folder: str) -> List[BenchmarkTarget]:
    """Every backend an export folder supports; PyTorch when export.json's sources still exist."""
    targets = []
    summary_path = os.path.join(folder, EXPORT_JSON)
    if os.path.isfile(summary_path):
        with open(summary_path, encoding='utf-8') as stream:
            source = json.load(stream).get('source', {})
        if os.path.isfile(source.get('config', '')) and os.path.isfile(source.get('checkpoint', '')):
            targets.append(BenchmarkTarget('PyTorch eager', 'pytorch', source['checkpoint'], source['config']))
    if os.path.isfile(os.path.join(folder, ONNX_FILE)):
        targets.append(BenchmarkTarget('ONNX Runtime', 'onnxruntime', os.path.join(folder, ONNX_FILE)))
    for name in (IR_FILE, INT8_IR_FILE):
        if os.path.isfile(os.path.join(folder, name)):
            targets.append(_openvino_targets(os.path.join(folder, name))[0])
    if not targets:
        raise FileNotFoundError(f'Folder "{folder}" holds no {ONNX_FILE}, {IR_FILE} or {INT8_IR_FILE}; '
                                'pass an export folder written by `tools/deploy.py export`.')
    return targets


def find_targets(model: str, config: Optional[str] = None) -> List[BenchmarkTarget]:
    """The backends to time for ``model``.

    - a checkpoint (``.pth``/``.pt``, needs ``config``): PyTorch eager;
    - an ``.onnx`` file: ONNX Runtime;
    - an ``.xml`` IR: OpenVINO, and its ``model_int8.xml`` sibling if present;
    - an export folder: all of the above that it holds (PyTorch if export.json's config and
      checkpoint still exist).

    Raises:
        FileNotFoundError: ``model`` does not exist or the folder holds no model.
        ValueError: an unknown file type, or a checkpoint without ``config``.
    """
    if os.path.isdir(model):
        return _export_dir_targets(model)
    if not os.path.isfile(model):
        raise FileNotFoundError(f'Model "{model}" does not exist; pass a checkpoint (with --config), '
                                'an .onnx file, an .xml IR or an export folder.')
    if model.endswith('.xml'):
        return _openvino_targets(model)
    if model.endswith('.onnx'):
        return [BenchmarkTarget('ONNX Runtime', 'onnxruntime', model)]
    if model.endswith(CHECKPOINT_SUFFIXES):
        if not config:
            raise UserInputError(f'Benchmarking checkpoint "{model}" in PyTorch needs its training config: '
                                 'add --config CONFIG.')
        return [BenchmarkTarget('PyTorch eager', 'pytorch', model, config)]
    raise UserInputError(f'Cannot benchmark "{model}": expected a {"/".join(CHECKPOINT_SUFFIXES)} checkpoint, '
                         'an .onnx file, an .xml IR or an export folder.')
