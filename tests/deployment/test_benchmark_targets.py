"""Which backends a MODEL argument selects."""
import json

import pytest

from adaptcls.deployment.benchmark.benchmark_targets import find_targets


def _touch(path):
    path.write_text('x')
    return str(path)


def test_ir_brings_its_int8_sibling(tmp_path):
    xml = _touch(tmp_path / 'model.xml')
    _touch(tmp_path / 'model_int8.xml')
    targets = find_targets(xml)
    assert [(t.name, t.backend) for t in targets] == [('OpenVINO FP32', 'openvino'), ('OpenVINO INT8', 'openvino')]
    assert [t.name for t in find_targets(str(tmp_path / 'model_int8.xml'))] == ['OpenVINO INT8']


def test_export_folder_gives_every_backend(tmp_path):
    config, checkpoint = _touch(tmp_path / 'cfg.py'), _touch(tmp_path / 'best.pth')
    folder = tmp_path / 'export'
    folder.mkdir()
    for name in ('model.onnx', 'model.xml', 'model_int8.xml'):
        _touch(folder / name)
    (folder / 'export.json').write_text(json.dumps(dict(source=dict(config=config, checkpoint=checkpoint))))
    targets = find_targets(str(folder))
    assert [t.backend for t in targets] == ['pytorch', 'onnxruntime', 'openvino', 'openvino']
    assert targets[0].config == config and targets[0].file == checkpoint


def test_checkpoint_needs_config_and_files_must_exist(tmp_path):
    checkpoint = _touch(tmp_path / 'a.pth')
    with pytest.raises(ValueError, match='--config'):
        find_targets(checkpoint)
    assert find_targets(checkpoint, 'cfg.py')[0].backend == 'pytorch'
    assert find_targets(_touch(tmp_path / 'a.onnx'))[0].backend == 'onnxruntime'
    with pytest.raises(FileNotFoundError, match='nope.xml'):
        find_targets(str(tmp_path / 'nope.xml'))
    with pytest.raises(ValueError, match='a.txt'):
        find_targets(_touch(tmp_path / 'a.txt'))
    with pytest.raises(FileNotFoundError, match='holds no'):
        find_targets(str(tmp_path))
