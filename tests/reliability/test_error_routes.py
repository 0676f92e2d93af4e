"""The matrix of known failure routes of the tools: each is exit 2 with one ``error:`` line (argparse's
``<tool>.py: error:`` for option syntax) naming the file, key or value, no traceback, and leaves every file the user had byte for byte as it was (a trained work dir with its
checkpoint and an export with both IRs).

Other classes have their own matrices: URL checkpoints (test_url_checkpoints.py), the work-dir lock and overwrite
policy (test_work_dir_guard.py), checkpoint fit (test_checkpoint_fit.py), bad images and configs
(test_bad_input.py), storage URLs (tests/lr_search/test_optuna_storage.py), IR files
(tests/deployment/test_ir_files.py), pretrained weights without a hub (test_pretrained_weights.py).
"""
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import pytest

from tests.deployment import shared_model

REPO = shared_model.REPO
OFFLINE_HUB = {'HF_HUB_OFFLINE': '1', 'HF_HOME': '{tmp}/empty_hf_home'}
"""No Hugging Face hub and an empty cache, whatever the machine's network (without HF_HUB_OFFLINE an unreachable
hub costs a minute of retries)."""
OTHER_BACKBONE = 'mobilenetv3_small_100'
"""Another backbone than the user's mobilenetv3_small_050, with the same feature size (1024)."""
FIRST_OTHER_SHAPE = 'backbone.model.blocks.0.0.conv_pw.weight: checkpoint (16, 16, 1, 1), model (8, 16, 1, 1)'
"""The first weight of an OTHER_BACKBONE checkpoint that does not fit the user's model, with both shapes."""


@dataclass(frozen=True)
class Route:
    """A tool call that must fail cleanly.

    Attributes:
        prepare (Callable): ``(user, tmp) -> argv`` of ``tools/<tool>.py``, given the user's files and a scratch
            folder (broken copies go there, never into the user's files).
        message (str): text the error line holds.
        also (tuple[str, ...]): more texts the error line holds. Defaults to ().
        env (dict[str, str]): environment variables of the tool's process (``{tmp}`` is the scratch folder).
            Defaults to {}.
    """

    prepare: Callable[[Dict[str, str], str], List[str]]
    message: str
    also: Tuple[str, ...] = ()
    env: Dict[str, str] = field(default_factory=dict)


def _write(path: str, text: str = '', data: bytes = None) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as stream:
        stream.write(data if data is not None else text.encode())
    return path


def _ir_copy(user: Dict[str, str], tmp: str, edit_bin: Callable[[bytes], bytes] = None) -> str:
    for suffix in ('.xml', '.bin'):
        shutil.copy(os.path.join(user['export'], 'model' + suffix), os.path.join(tmp, 'model' + suffix))
    if edit_bin is not None:
        path = os.path.join(tmp, 'model.bin')
        with open(path, 'rb') as stream:
            data = stream.read()
        _write(path, data=edit_bin(data))
    return os.path.join(tmp, 'model.xml')


def _flip(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    return bytes(flipped)


def _checkpoint_copy(user: Dict[str, str], tmp: str, edit: Callable[[bytes], bytes]) -> str:
    with open(user['checkpoint'], 'rb') as stream:
        return _write(os.path.join(tmp, 'run', 'epoch_1.pth'), data=edit(stream.read()))


def _model_checkpoint(user: Dict[str, str], tmp: str, model_name: Optional[str] = None, num_classes: int = None,
                      with_meta: bool = True) -> str:
    """A checkpoint of the user's model config changed to ``model_name`` / ``num_classes``: with the classes and the
    model fingerprint tools/train.py records, or (``with_meta=False``) bare weights, as from elsewhere."""
    import torch
    from mmengine.config import Config

    from adaptcls.models.config_nodes import FINGERPRINT_KEY, model_fingerprint
    from adaptcls.registry import MODELS, adaptcls_scope
    from adaptcls.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    classes = sorted(os.listdir(os.path.join(user['data'], 'train')))
    cfg = Config.fromfile(user['config'])
    cfg.model.head.num_classes = num_classes or len(classes)
    if model_name:
        cfg.model.backbone.model_name = model_name
    with adaptcls_scope():
        checkpoint = dict(state_dict=MODELS.build(cfg.model).state_dict())
    if with_meta:
        checkpoint['meta'] = {'dataset_meta': dict(classes=classes), FINGERPRINT_KEY: model_fingerprint(cfg.model)}
    path = os.path.join(tmp, 'other', 'model.pth')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(checkpoint, path)
    return path


def _image(user: Dict[str, str]) -> str:
    folder = os.path.join(user['data'], 'val', sorted(os.listdir(os.path.join(user['data'], 'val')))[0])
    return os.path.join(folder, sorted(os.listdir(folder))[0])


ROUTES: Dict[str, Tuple[str, Route]] = {
    'train: work dir is a file': ('train', Route(
        lambda user, tmp: [user['config'], '--data-root', user['data'], '--work-dir', _write(f'{tmp}/file')],
        'is a file, not a folder')),
    'train: config syntax error': ('train', Route(
        lambda user, tmp: [_write(f'{tmp}/bad.py', 'model = dict(\n'), '--work-dir', f'{tmp}/w'],
        'is not valid Python')),
    'train: missing config': ('train', Route(lambda user, tmp: [f'{tmp}/none.py'], 'does not exist')),
    'train: missing _base_': ('train', Route(
        lambda user, tmp: [_write(f'{tmp}/child.py', "_base_ = ['gone.py']\n")], 'gone.py')),
    'train: lr=abc': ('train', Route(
        lambda user, tmp: [user['config'], '--data-root', user['data'], '--work-dir', f'{tmp}/w', '--cfg-options',
                           'optim_wrapper.optimizer.lr=abc'], 'optim_wrapper.optimizer.lr must be a positive number')),
    'train: option without =': ('train', Route(
        lambda user, tmp: [user['config'], '--cfg-options', 'train_cfg.max_epochs'], 'takes KEY=VALUE items')),
    'train: missing data root': ('train', Route(
        lambda user, tmp: [user['config'], '--data-root', f'{tmp}/no_data', '--work-dir', f'{tmp}/w'],
        'is not a folder')),
    'train: resume from a truncated checkpoint': ('train', Route(
        lambda user, tmp: [user['config'], '--data-root', user['data'], '--work-dir', f'{tmp}/run', '--resume',
                           _checkpoint_copy(user, tmp, lambda data: data[:len(data) // 2])],
        'cannot be read: it is truncated, empty or not a checkpoint')),
    'train: bare resume with nothing to resume': ('train', Route(
        lambda user, tmp: [user['config'], '--work-dir', f'{tmp}/empty', '--resume'], 'holds no run to resume')),
    'train: pretrained weights, no hub, not in the cache': ('train', Route(
        lambda user, tmp: [os.path.join(REPO, 'configs', 'mnv3_small_baseline.py'), '--data-root', user['data'],
                           '--work-dir', f'{tmp}/w'],
        'the pretrained weights of model.backbone (timm "mobilenetv3_small_100.lamb_in1k", pretrained=True) are not '
        'in the Hugging Face cache',
        also=('empty_hf_home/hub (folder models--timm--mobilenetv3_small_100.lamb_in1k)', 'HF_HOME',
              '--cfg-options model.backbone.pretrained=/path/to/weights.pth',
              '--cfg-options model.backbone.pretrained=False'),
        env=OFFLINE_HUB)),
    'train: pretrained weights of both mutual-learning students, no hub': ('train', Route(
        lambda user, tmp: [os.path.join(REPO, 'configs', 'mnv3_small_adaptive.py'), '--data-root', user['data'],
                           '--work-dir', f'{tmp}/w'],
        'the pretrained weights of model.fast.backbone and model.slow.backbone',
        also=('--cfg-options model.fast.backbone.pretrained=/path/to/weights.pth '
              'model.slow.backbone.pretrained=/path/to/weights.pth',
              '--cfg-options model.fast.backbone.pretrained=False model.slow.backbone.pretrained=False'),
        env=OFFLINE_HUB)),
    'test: bare checkpoint of another class count': ('test', Route(
        lambda user, tmp: [user['config'], _model_checkpoint(user, tmp, num_classes=4, with_meta=False),
                           '--data-root', user['data'], '--work-dir', f'{tmp}/t'],
        'model.pth" does not fit the model of',
        also=('head.fc.weight: checkpoint (4, 1024), model (10, 1024)', 'another class count',
              'use it with the data it was trained on'))),
    'test: checkpoint of another backbone': ('test', Route(
        lambda user, tmp: [user['config'], _model_checkpoint(user, tmp, OTHER_BACKBONE), '--data-root', user['data'],
                           '--work-dir', f'{tmp}/t'],
        'model.pth" does not fit the model of', also=(FIRST_OTHER_SHAPE, 'use the config it was trained with'))),
    'test: zero-byte checkpoint': ('test', Route(
        lambda user, tmp: [user['config'], _checkpoint_copy(user, tmp, lambda data: b''), '--data-root',
                           user['data'], '--work-dir', f'{tmp}/t'], 'cannot be read')),
    'test: missing checkpoint': ('test', Route(
        lambda user, tmp: [user['config'], f'{tmp}/none.pth', '--data-root', user['data']], 'does not exist')),
    'test: --out is a folder': ('test', Route(
        lambda user, tmp: [user['config'], user['checkpoint'], '--data-root', user['data'], '--work-dir',
                           f'{tmp}/t', '--out', tmp], 'is a folder; give a file path')),
    'lr_search: storage that is no URL': ('lr_search', Route(
        lambda user, tmp: [user['config'], '--data-root', user['data'], '--work-dir', f'{tmp}/s', '--mode', 'tpe',
                           '--storage', 'notaurl'], 'is not a storage URL')),
    'lr_search: in-memory sqlite storage': ('lr_search', Route(
        lambda user, tmp: [user['config'], '--data-root', user['data'], '--work-dir', f'{tmp}/s', '--mode', 'tpe',
                           '--storage', 'sqlite://'], 'in-memory SQLite database')),
    'deploy predict: IR without its .bin': ('deploy', Route(
        lambda user, tmp: ['predict', _missing_bin(user, tmp), _image(user)], 'has no weights file')),
    'deploy predict: truncated .bin': ('deploy', Route(
        lambda user, tmp: ['predict', _ir_copy(user, tmp, lambda data: data[:len(data) // 2]), _image(user)],
        'is not the weights file exported with')),
    'deploy predict: .xml that is no IR': ('deploy', Route(
        lambda user, tmp: ['predict', _not_an_ir(tmp), _image(user)], 'is not an OpenVINO IR')),
    'deploy predict: file that is no image': ('deploy', Route(
        lambda user, tmp: ['predict', os.path.join(user['export'], 'model.xml'), _write(f'{tmp}/x.png', 'text')],
        'Cannot read image')),
    'deploy evaluate: .bin with a flipped byte': ('deploy', Route(
        lambda user, tmp: ['evaluate', _ir_copy(user, tmp, _flip), '--data-root', user['data']],
        'is not the weights file exported with')),
    'deploy evaluate: --out is a folder': ('deploy', Route(
        lambda user, tmp: ['evaluate', os.path.join(user['export'], 'model.xml'), '--data-root', user['data'],
                           '--out', tmp], 'is a folder; give a file path')),
    'deploy export: checkpoint of another backbone': ('deploy', Route(
        lambda user, tmp: ['export', user['config'], _model_checkpoint(user, tmp, OTHER_BACKBONE), '--out', f'{tmp}/e'],
        'model.pth" was trained with another model config', also=(FIRST_OTHER_SHAPE, 'Use the config'))),
    'deploy export: bare checkpoint of another backbone': ('deploy', Route(
        lambda user, tmp: ['export', user['config'], _model_checkpoint(user, tmp, OTHER_BACKBONE, with_meta=False),
                           '--out', f'{tmp}/e', '--data-root', user['data']],
        'model.pth" does not fit the model of', also=(FIRST_OTHER_SHAPE, 'use the config it was trained with'))),
    'deploy export: missing checkpoint': ('deploy', Route(
        lambda user, tmp: ['export', user['config'], f'{tmp}/none.pth', '--out', f'{tmp}/e'], 'does not exist')),
}


def _not_an_ir(tmp: str) -> str:
    _write(f'{tmp}/m.bin', data=b'0')
    return _write(f'{tmp}/m.xml', '<?xml version="1.0"?><notes/>')


def _missing_bin(user: Dict[str, str], tmp: str) -> str:
    xml = _ir_copy(user, tmp)
    os.remove(os.path.join(tmp, 'model.bin'))
    return xml


def _digests(paths: List[str]) -> Dict[str, str]:
    found = {}
    for root in paths:
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, 'rb') as stream:
                    found[path] = hashlib.sha256(stream.read()).hexdigest()
    return found


@pytest.fixture(scope='module')
def user(tmp_path_factory) -> Dict[str, str]:
    """The user's files: the digits data, a trained tiny model's work dir and its export."""
    exported = shared_model.exported_model(tmp_path_factory)
    return dict(config=exported['config'], checkpoint=exported['checkpoint'], export=exported['out'],
                data=shared_model.digits_data(tmp_path_factory), work_dir=os.path.dirname(exported['checkpoint']))


@pytest.mark.parametrize('route', sorted(ROUTES))
def test_a_known_failure_is_one_error_line_and_changes_nothing(route, user, tmp_path):
    tool, case = ROUTES[route]
    argv = case.prepare(user, str(tmp_path))
    before = _digests([user['work_dir'], user['export'], user['data']])
    env = dict(os.environ, OMP_NUM_THREADS='1', **{key: value.format(tmp=tmp_path) for key, value in case.env.items()})
    result = subprocess.run([sys.executable, os.path.join(REPO, 'tools', f'{tool}.py'), *argv], cwd=REPO,
                            capture_output=True, text=True, env=env)
    lines = result.stderr.splitlines()
    errors = [index for index, line in enumerate(lines)
              if line.startswith('error: ') or f'{tool}.py: error: ' in line]  # run_cli's, or argparse's
    assert result.returncode == 2, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr and len(errors) == 1, result.stderr[-2000:]
    error, after = lines[errors[0]], lines[errors[0] + 1:]
    assert after in ([], ['(set ADAPTCLS_DEBUG=1 for the full traceback)']), f'not one line: {result.stderr[-2000:]}'
    for text in (case.message, *case.also):
        assert text in error, error
    assert _digests([user['work_dir'], user['export'], user['data']]) == before
