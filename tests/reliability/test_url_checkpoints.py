"""No checkpoint runs code, whatever route it takes into the process (issue: a URL checkpoint ran its payload).

A local HTTP server (127.0.0.1, an ephemeral port, this process only) serves a checkpoint whose unpickling would
run ``touch MARKER`` through ``os.system``. Each route a checkpoint or weights file can take must refuse it with
``UnsafeCheckpointError`` and leave no marker: ``tools/train.py --resume URL``, ``--cfg-options load_from=URL``, a
plain ``--resume`` in a work dir whose ``last_checkpoint`` names the URL, ``tools/test.py CONFIG URL``, and a
timm backbone whose pretrained weights come from the URL. mmengine's other schemes are refused outright. A safe
checkpoint served the same way still loads (the routes are not simply switched off).
"""
import functools
import http.server
import os
import os.path as osp
import runpy
import threading

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from adaptcls.models.backbones.timm_backbone import TimmBackbone
from adaptcls.utils import UnsafeCheckpointError, install_checkpoint_safety
from adaptcls.utils.checkpoint_safety import REFUSED_SCHEMES, URL_SCHEMES
from tests.tools.conftest import REPO, tiny_config, tiny_data  # noqa: F401 (fixture)
from tests.utils.test_checkpoint_safety import _RunsCode


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args) -> None:  # no request lines on stderr
        pass


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Serves tmp_path/www over HTTP on 127.0.0.1; torch's hub cache (URL downloads) goes to tmp_path/hub."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    www = tmp_path / 'www'
    www.mkdir()
    marker = tmp_path / 'pwned'
    torch.save(dict(meta=dict(epoch=1, iter=1), state_dict={}, message_hub=dict(runtime_info={}),
                    payload=_RunsCode(f'touch {marker}')), www / 'hostile.pth')
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_QuietHandler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield dict(url=f'http://127.0.0.1:{server.server_port}', www=www, marker=marker)
    finally:
        server.shutdown()
        server.server_close()


def _tool(name: str):
    return runpy.run_path(osp.join(REPO, 'tools', name), run_name='adaptcls_tool')['main']


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'tiny.py'
    tiny_config(max_epochs=1).dump(str(path))
    return str(path)


def test_every_mmengine_scheme_has_an_adaptcls_loader():
    """A new mmengine scheme (an upgrade) must not slip past: every registered prefix is ours."""
    install_checkpoint_safety()
    ours = {'load_from_local_weights_only', 'load_from_url_weights_only', 'refuse_checkpoint_scheme'}
    assert {loader.__name__ for loader in CheckpointLoader._schemes.values()} <= ours
    assert set(URL_SCHEMES) | set(REFUSED_SCHEMES) | {''} == set(CheckpointLoader._schemes)


def test_resume_from_a_url_refuses_the_payload(served, config, tiny_data, tmp_path):  # noqa: F811
    with pytest.raises(UnsafeCheckpointError):
        _tool('train.py')([config, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'work'),
                           '--resume', served['url'] + '/hostile.pth'])
    assert not served['marker'].exists()


def test_load_from_a_url_refuses_the_payload(served, config, tiny_data, tmp_path):  # noqa: F811
    with pytest.raises(UnsafeCheckpointError):
        _tool('train.py')([config, '--data-root', tiny_data, '--work-dir', str(tmp_path / 'work'),
                           '--cfg-options', f'load_from={served["url"]}/hostile.pth'])
    assert not served['marker'].exists()


def test_a_last_checkpoint_file_naming_a_url_refuses_the_payload(served, config, tiny_data, tmp_path):  # noqa: F811
    work = tmp_path / 'received_work_dir'
    work.mkdir()
    (work / 'last_checkpoint').write_text(served['url'] + '/hostile.pth')
    with pytest.raises(UnsafeCheckpointError):
        _tool('train.py')([config, '--data-root', tiny_data, '--work-dir', str(work), '--resume'])
    assert not served['marker'].exists()


def test_test_tool_refuses_a_url_payload(served, config, tiny_data, tmp_path):  # noqa: F811
    with pytest.raises(UnsafeCheckpointError):
        _tool('test.py')([config, served['url'] + '/hostile.pth', '--data-root', tiny_data,
                          '--work-dir', str(tmp_path / 'test')])
    assert not served['marker'].exists()


def test_backbone_weights_from_a_url_refuse_the_payload(served):
    """timm downloads ``pretrained_cfg['url']`` and loads it weights-only (timm >= 1.0)."""
    with pytest.raises(Exception) as error:
        TimmBackbone('mobilenetv3_small_050', pretrained=True,
                     pretrained_cfg_overlay=dict(url=served['url'] + '/hostile.pth', hf_hub_id=None))
    assert "Weights only load failed" in str(error.value) and "system" in str(error.value)
    assert not served['marker'].exists()


def test_a_safe_checkpoint_from_a_url_loads(served):
    torch.save(dict(meta=dict(epoch=3), state_dict=dict(weight=torch.ones(2))), served['www'] / 'safe.pth')
    install_checkpoint_safety()
    loaded = CheckpointLoader.load_checkpoint(served['url'] + '/safe.pth', map_location='cpu')
    assert loaded['meta']['epoch'] == 3 and torch.equal(loaded['state_dict']['weight'], torch.ones(2))


def test_an_unreachable_url_is_a_clear_error(served):
    install_checkpoint_safety()
    with pytest.raises(FileNotFoundError, match='missing.pth.*download the file'):
        CheckpointLoader.load_checkpoint(served['url'] + '/missing.pth', map_location='cpu')


@pytest.mark.parametrize('path', ['open-mmlab://resnet50', 'modelzoo://resnet50', 'mmcls://x', 's3://bucket/x.pth',
                                  'pavi://x', 'torchvision://resnet50'])
def test_other_schemes_are_refused(path):
    install_checkpoint_safety()
    with pytest.raises(ValueError, match='local files and http'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert not os.path.exists('pwned')


def test_two_urls_ending_in_the_same_name_are_two_checkpoints(served):
    from adaptcls.utils.checkpoint_safety import load_from_url_weights_only
    for folder, epoch in (('a', 1), ('b', 2)):
        (served['www'] / folder).mkdir()
        torch.save(dict(meta=dict(epoch=epoch), state_dict={}), served['www'] / folder / 'best.pth')
    first = load_from_url_weights_only(served['url'] + '/a/best.pth')
    second = load_from_url_weights_only(served['url'] + '/b/best.pth')
    assert (first['meta']['epoch'], second['meta']['epoch']) == (1, 2)


def test_a_refused_url_is_downloaded_again_once_the_server_is_fixed(served):
    from adaptcls.utils.checkpoint_safety import UnsafeCheckpointError, load_from_url_weights_only
    with pytest.raises(UnsafeCheckpointError):
        load_from_url_weights_only(served['url'] + '/hostile.pth')
    torch.save(dict(meta=dict(epoch=3), state_dict={}), served['www'] / 'hostile.pth')  # the server is fixed
    assert load_from_url_weights_only(served['url'] + '/hostile.pth')['meta']['epoch'] == 3
    assert not served['marker'].exists()
