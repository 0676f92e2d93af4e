"""predict: files, folders and globs in; batches; a result or an error per image; text, JSON, CSV; IR or checkpoint."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from adaptcls.apis import CheckpointClassifier
from adaptcls.deployment.runtime.ir_classifier import IRClassifier
from adaptcls.deployment.runtime.prediction import (Prediction, expand_image_inputs, format_predictions,
                                                    predict_files)
from tests.deployment.real_images import pytorch_on_val
from tests.deployment.shared_model import REPO


def test_files_folders_and_globs_are_expanded(tmp_path):
    for name in ('a/1.png', 'a/b/2.jpg', 'a/.hidden/3.png', 'a/notes.txt', 'c.png'):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b'x')
    found = expand_image_inputs([str(tmp_path / 'c.png'), str(tmp_path / 'a'), str(tmp_path / 'a' / '*.png')])
    assert found == [str(tmp_path / 'c.png'), str(tmp_path / 'a' / '1.png'), str(tmp_path / 'a' / 'b' / '2.jpg'),
                     str(tmp_path / 'a' / '1.png')]
    with pytest.raises(FileNotFoundError, match='matches no file'):
        expand_image_inputs([str(tmp_path / '*.bmp')])
    with pytest.raises(FileNotFoundError, match='no file, no folder'):
        expand_image_inputs([str(tmp_path / 'missing.png')])


def test_batches_keep_the_order_and_an_unreadable_file_gets_its_error():
    calls = []

    def read(path):
        if path == 'bad':
            raise OSError('cannot read bad')
        return np.full((2,), float(path))

    def classify(images):
        calls.append(len(images))
        return np.stack([[value[0], 1 - value[0]] for value in images])

    results = list(predict_files(['0.9', 'bad', '0.2', '0.7', '0.4'], read, classify, ['x', 'y'], 1, 2))
    assert [item.path for item in results] == ['0.9', 'bad', '0.2', '0.7', '0.4']
    assert [item.top[0][0] if item.top else None for item in results] == ['x', None, 'y', 'x', 'y']
    assert results[1].error == 'cannot read bad' and calls == [1, 2, 1]  # batches of 2 paths, bad one left out


def test_the_output_formats():
    items = [Prediction('a.png', [('cat', 0.75), ('dog', 0.25)]), Prediction('b.png', error='Cannot read image')]
    assert format_predictions(items, 'text') == 'a.png: cat 0.7500, dog 0.2500\nb.png: error: Cannot read image'
    assert json.loads(format_predictions(items, 'json'))[0]['top'][0] == dict(label='cat', probability=0.75)
    assert format_predictions(items, 'csv').splitlines() == [
        'path,rank,label,probability,error', 'a.png,1,cat,0.750000,', 'a.png,2,dog,0.250000,',
        'b.png,,,,Cannot read image']


def test_a_checkpoint_classifies_like_the_ir(exported):
    reference = pytorch_on_val(exported)
    paths = reference['paths'][::25]
    from_checkpoint = CheckpointClassifier(exported['config'], exported['checkpoint']).classify(paths, topk=1)
    expected = [reference['classes'][index] for index in reference['logits'][::25].argmax(1)]
    assert [item.top[0][0] for item in from_checkpoint] == expected
    ir = IRClassifier(f'{exported["out"]}/model.xml', config={'INFERENCE_PRECISION_HINT': 'f32'})
    assert [top[0][0] for top in ir.classify_files(paths, topk=1)] == expected


def test_predict_on_a_folder_with_an_unreadable_file(exported, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for index, path in enumerate(pytorch_on_val(exported)['paths'][:3]):
        (folder / f'{index}.png').write_bytes(open(path, 'rb').read())
    (folder / 'broken.png').write_text('not an image')
    out = tmp_path / 'predictions.json'
    result = subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'deploy.py'), 'predict',
                             f'{exported["out"]}/model.xml', str(folder), '--format', 'json', '--out', str(out),
                             '--batch', '2'], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr  # the readable files are classified, the exit says not all were
    predictions = json.loads(out.read_text())
    assert [os.path.basename(item['path']) for item in predictions] == ['0.png', '1.png', '2.png', 'broken.png']
    assert all(item['top'] for item in predictions[:3]) and 'Cannot read image' in predictions[3]['error']
    assert result.stderr.startswith('error: 1 of 4 files could not be read') and 'Traceback' not in result.stderr


def test_classifier_api_on_a_checkpoint_and_an_ir_takes_paths_arrays_and_pillow_images(exported):
    from PIL import Image

    from adaptcls.apis import Classifier
    from adaptcls.image_decoding import read_rgb_image
    reference = pytorch_on_val(exported)
    paths = reference['paths'][:3]
    expected = [reference['classes'][index] for index in reference['logits'][:3].argmax(1)]
    from_checkpoint = Classifier.from_checkpoint(exported['checkpoint'], exported['config'])
    from_ir = Classifier.from_ir(f'{exported["out"]}/model.xml', config={'INFERENCE_PRECISION_HINT': 'f32'})
    array = read_rgb_image(paths[0])
    for classifier in (from_checkpoint, from_ir):
        predictions = classifier.predict([*paths, array, Image.open(paths[0])], topk=1, batch_size=2)
        assert [item.top[0][0] for item in predictions] == [*expected, expected[0], expected[0]]
        assert [item.path for item in predictions[3:]] == ['<image 0>', '<image 1>']
        assert predictions[3].top[0][1] == pytest.approx(predictions[0].top[0][1], abs=1e-5)  # array = its file
    with pytest.raises(ValueError, match=r'must be \(H, W, 3\) uint8 RGB'):
        from_ir.predict(array.astype(np.float32))


def test_a_checkpoints_config_is_its_runs_data_config_never_a_python_file(tmp_path):
    from adaptcls.apis.classifier import run_config
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'summary.json').write_text(json.dumps(dict(config='configs/somewhere/tiny.py')))
    (run / 'tiny.py').write_text('x = 1\n')  # a Python config beside the checkpoint is code: not read implicitly
    with pytest.raises(FileNotFoundError, match='run_config.json.*pass the config it was trained with'):
        run_config(str(run / 'best.pth'))
    (run / 'run_config.json').write_text('{"x": 1}')
    assert run_config(str(run / 'best.pth')) == str(run / 'run_config.json')


def test_the_console_gets_table_lines_batch_by_batch(exported, tmp_path):
    paths = pytorch_on_val(exported)['paths'][:3]
    result = subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'deploy.py'), 'predict',
                             f'{exported["out"]}/model.xml', *paths, '--batch', '2', '--topk', '2'],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(': ')[0] for line in lines] == paths and all(line.count(', ') == 1 for line in lines)
