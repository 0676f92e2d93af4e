"""A calibrated checkpoint: its temperature stored and read back through every name of the file, still loadable,
applied inside the exported IR (softmax(logits / T), the same top-1), and ``adaptcls calibrate`` end to end."""
import json
import os
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch
from openvino import Model, Type, opset13
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader

from adaptcls.cli import calibrate
from adaptcls.deployment.export.checkpoint_calibration import checkpoint_temperature, store_calibration
from adaptcls.deployment.export.exporter import ExportOptions, export_checkpoint
from adaptcls.deployment.export.model_loader import deploy_module, load_classifier
from adaptcls.deployment.export.onnx_export import onnx_logits
from adaptcls.deployment.export.openvino_ir import build_ir, compile_ir, ir_probabilities
from adaptcls.deployment.export.verification import normalise, softmax, torch_logits
from adaptcls.deployment.runtime.ir_metadata import IRMetadata
from adaptcls.deployment.runtime.ov_core import shared_core
from adaptcls.errors import UserInputError
from adaptcls.utils import load_checkpoint_file
from adaptcls.registry import MODELS
from adaptcls.setup_env import register_all_modules
from tests.deployment.shared_model import tiny_config
from tests.tools.conftest import CLASSES, tiny_data  # noqa: F401 (fixture)

TEMPERATURE = 2.5
"""A softening T (an over-confident model's), so that calibrated and plain probabilities differ clearly."""
HEAD_GAIN = 3000.0
"""The untrained head's weights are scaled by this: its logits then differ by a few units, as a trained model's do,
not by ~0.001 (an untrained backbone's pooled features are tiny)."""
EXACT = {'INFERENCE_PRECISION_HINT': 'f32'}


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    """An untrained tiny 3-class model saved like a training checkpoint (meta, a message hub with a log buffer)."""
    register_all_modules()
    folder = tmp_path_factory.mktemp('calibration')
    cfg = tiny_config()
    config = str(folder / 'tiny.py')
    cfg.dump(config)
    cfg.model.head.num_classes = len(CLASSES)
    hub = MessageHub('calibration-test')
    hub.update_scalar('train/loss', 1.5)
    checkpoint = str(folder / 'epoch_3.pth')
    state_dict = MODELS.build(cfg.model).state_dict()
    state_dict['head.fc.weight'] *= HEAD_GAIN
    torch.save(dict(state_dict=state_dict, message_hub=hub.state_dict(),
                    meta=dict(dataset_meta=dict(classes=CLASSES), epoch=3)), checkpoint)
    return dict(config=config, checkpoint=checkpoint)


def _run_dir(saved, tmp_path) -> str:
    """A copy of the checkpoint as best_top1_epoch_3.pth with its best.pth hard link, as training leaves them."""
    best = str(tmp_path / 'best_top1_epoch_3.pth')
    shutil.copy(saved['checkpoint'], best)
    os.link(best, tmp_path / 'best.pth')
    return best


def test_the_temperature_is_stored_for_every_name_and_the_checkpoint_still_loads(saved, tmp_path):
    best = _run_dir(saved, tmp_path)
    os.symlink('best.pth', tmp_path / 'latest.pth')
    assert checkpoint_temperature(best) is None
    updated = store_calibration(str(tmp_path / 'latest.pth'), dict(temperature=TEMPERATURE, images=12))
    assert updated == [str(tmp_path / 'best.pth'), best]
    for name in ('best.pth', 'best_top1_epoch_3.pth', 'latest.pth'):
        assert checkpoint_temperature(str(tmp_path / name)) == TEMPERATURE
    assert os.path.samefile(best, tmp_path / 'best.pth') and os.path.islink(tmp_path / 'latest.pth')
    assert sorted(os.listdir(tmp_path)) == ['best.pth', 'best_top1_epoch_3.pth', 'latest.pth']  # no temporary file
    before = load_checkpoint_file(saved['checkpoint'])
    after = CheckpointLoader.load_checkpoint(best)  # as mmengine's resume and load_from read it
    assert after['meta'] == dict(before['meta'], calibration=dict(temperature=TEMPERATURE, images=12))
    assert all(torch.equal(after['state_dict'][key], value) for key, value in before['state_dict'].items())
    MessageHub('resumed').load_state_dict(after['message_hub'])  # the log buffers load weights-only as before
    assert load_classifier(saved['config'], best).classes == list(CLASSES)  # test and export load it


@pytest.mark.parametrize('calibration, message', [
    (dict(temperature=-1.0), 'must be a positive finite number, got -1.0'),
    (dict(temperature='hot'), 'must be a positive finite number'),
    ('1.5', r'meta\["calibration"\] must be a dict'),
])
def test_a_damaged_calibration_entry_is_named(saved, tmp_path, calibration, message):
    checkpoint = load_checkpoint_file(saved['checkpoint'])
    checkpoint['meta']['calibration'] = calibration
    torch.save(checkpoint, tmp_path / 'damaged.pth')
    with pytest.raises(UserInputError, match=f'damaged.pth.*{message}.*adaptcls calibrate'):
        checkpoint_temperature(str(tmp_path / 'damaged.pth'))


def test_bad_calibrations_and_files_are_refused(saved, tmp_path):
    with pytest.raises(UserInputError, match='must be a positive finite number, got 0'):
        store_calibration(saved['checkpoint'], dict(temperature=0))
    torch.save(dict(weights=torch.zeros(1)), tmp_path / 'not_a_checkpoint.pth')
    with pytest.raises(UserInputError, match='has no "state_dict"'):
        store_calibration(str(tmp_path / 'not_a_checkpoint.pth'), dict(temperature=1.5))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        checkpoint_temperature(str(tmp_path / 'nope.pth'))


def test_the_ir_of_a_calibrated_checkpoint_outputs_softmax_of_logits_over_t(saved, tiny_data, tmp_path):  # noqa: F811
    best = _run_dir(saved, tmp_path)
    store_calibration(best, dict(temperature=TEMPERATURE))
    summary = export_checkpoint(saved['config'], best, str(tmp_path), ExportOptions(data_root=tiny_data,
                                                                                    verify_images=12))
    assert summary['calibration'] == dict(temperature=TEMPERATURE)
    assert summary['verification']['openvino']['max_abs_diff'] < 1e-4  # checked against softmax(logits / T)
    model = shared_core().read_model(str(tmp_path / 'model.xml'))
    metadata = IRMetadata.read_from(model)
    assert metadata.temperature == TEMPERATURE
    plain = build_ir(str(tmp_path / 'model.onnx'), replace(metadata, temperature=None))  # the uncalibrated IR

    images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    loaded = load_classifier(saved['config'], best)
    inputs = normalise(loaded.model.data_preprocessor, images)
    logits = torch_logits(deploy_module(loaded.model), inputs)
    with_t = ir_probabilities(compile_ir(model, config=EXACT), images)
    without_t = ir_probabilities(compile_ir(plain, config=EXACT), images)
    assert np.abs(with_t - softmax(logits, TEMPERATURE)).max() < 1e-4
    assert np.abs(without_t - softmax(logits)).max() < 1e-4
    assert np.abs(with_t - without_t).max() > 0.05  # T is applied ...
    assert len(set(with_t.argmax(1))) > 1  # the images are not all given one class ...
    assert np.array_equal(with_t.argmax(1), without_t.argmax(1))  # ... and T leaves each top-1 as it was
    assert np.abs(onnx_logits(str(tmp_path / 'model.onnx'), inputs.numpy()) - logits).max() < 1e-4  # raw logits


def test_the_calibrate_command_stores_t_and_writes_the_json_and_the_diagram(saved, tiny_data, tmp_path,  # noqa: F811
                                                                            capsys):
    best = _run_dir(saved, tmp_path)
    calibrate.main([str(tmp_path / 'best.pth'), '--config', saved['config'], '--data-root', tiny_data])
    printed = capsys.readouterr().out
    written = json.loads((tmp_path / 'calibration' / 'calibration.json').read_text())
    assert written['temperature'] == checkpoint_temperature(best) and written['images'] == 4 * len(CLASSES)
    assert f'ECE (15 bins, {4 * len(CLASSES)} validation images): {written["ece_before"]:.4f} before' in printed
    assert written['checkpoints'] == [str(tmp_path / 'best.pth'), best]
    assert (tmp_path / 'calibration' / written['reliability_png']).read_bytes()[:4] == b'\x89PNG'


def test_the_calibrate_command_refuses_to_overwrite_inputs(saved, tiny_data, tmp_path):  # noqa: F811
    best = _run_dir(saved, tmp_path)
    with pytest.raises(FileExistsError, match='lies inside the input folder'):
        calibrate.main([best, '--config', saved['config'], '--data-root', tiny_data, '--out',
                        os.path.join(tiny_data, 'val')])
    config_named_like_the_output = str(tmp_path / 'calibration' / 'calibration.json')  # the default output
    os.mkdir(tmp_path / 'calibration')
    tiny_config().dump(config_named_like_the_output)
    with pytest.raises(FileExistsError, match='is an input of this command'):
        calibrate.main([best, '--config', config_named_like_the_output, '--data-root', tiny_data])
    with pytest.raises(UserInputError, match=r'calibrate the checkpoint \(\.pth\) the IR was exported from'):
        calibrate.main([str(tmp_path / 'model.xml')])
    assert checkpoint_temperature(best) is None  # nothing was written


def test_an_ir_exported_before_calibration_existed_reads_as_uncalibrated():
    image = opset13.parameter([1, 2, 2, 3], Type.u8, name='input')
    model = Model([opset13.convert(image, Type.f32)], [image], 'tiny')
    metadata = IRMetadata(labels=['a', 'b'], input_size=(2, 2), mean=[0.0] * 3, std=[1.0] * 3, temperature=1.75)
    metadata.write_to(model)
    assert IRMetadata.read_from(model) == metadata
    old = Model([opset13.convert(image, Type.f32)], [image], 'old')
    for key, value in metadata.to_dict().items():
        if key != 'temperature':
            old.set_rt_info(json.dumps(value) if isinstance(value, list) else str(value), ['adaptcls', key])
    assert IRMetadata.read_from(old) == replace(metadata, temperature=None)
