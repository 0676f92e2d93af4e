"""tools/deploy.py export's output folder: files, export.json figures, atomic publishing."""
import json
import os

import pytest

from adaptcls.deployment.export.exporter import ExportOptions, _publish

FILES = ['export.json', 'model.bin', 'model.onnx', 'model.xml', 'model_int8.bin', 'model_int8.xml']


def test_export_json_describes_the_export(exported):
    out = exported['out']
    assert sorted(os.listdir(out)) == FILES  # and no staging folder left behind
    summary = json.loads(open(os.path.join(out, 'export.json')).read())
    assert summary['classes'] == [str(digit) for digit in range(10)]  # from the checkpoint's dataset_meta
    assert summary['input'] == dict(size=[32, 32], layout='NHWC', color_order='RGB', element_type='u8',
                                    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                                    resize=summary['input']['resize'])
    assert summary['source'] == dict(config=exported['config'], checkpoint=exported['checkpoint'])
    checks = summary['verification']
    assert checks['onnx']['images'] == 360 and checks['onnx']['max_abs_diff'] < 1e-4
    assert checks['onnx']['top1_agreement'] == 1.0
    assert checks['openvino']['max_abs_diff'] < 1e-4 and checks['openvino']['top1_agreement'] >= 0.99
    int8 = summary['int8']
    assert int8['calibration_images'] == 300 and int8['calibration_split'] == 'train'
    assert int8['val_images'] == 360 and abs(int8['fp32_top1'] - int8['int8_top1']) <= 0.01
    # mobilenetv3_small_050 at 32 px: about 0.6 M parameters, under a MMAC per image
    assert 500_000 < summary['complexity']['params'] < 700_000
    assert 0 < summary['complexity']['gmacs'] < 1e-3


def test_publish_replaces_files_and_removes_stale_ones(tmp_path):
    out, staging = tmp_path / 'out', tmp_path / 'out' / '.tmp-export-x'
    staging.mkdir(parents=True)
    for name in ('model.xml', 'model.bin', 'export.json'):
        (staging / name).write_text(f'new {name}')
    for name in ('model.xml', 'model_int8.xml', 'model_int8.bin', 'notes.txt'):
        (out / name).write_text('old')
    _publish(str(staging), str(out))
    assert sorted(os.listdir(out)) == ['.tmp-export-x', 'export.json', 'model.bin', 'model.xml', 'notes.txt']
    assert (out / 'model.xml').read_text() == 'new model.xml'
    assert (out / 'notes.txt').read_text() == 'old'  # not an export file: kept


@pytest.mark.parametrize('options, message', [
    (ExportOptions(formats=['tflite']), '--format'),
    (ExportOptions(formats=['onnx'], int8=True), 'add "openvino"'),
    (ExportOptions(calibration_images=0), '--calib'),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        options.check()
