"""No output path may be an input: ``--out`` and ``--confusion-matrix`` never replace an image, a checkpoint, a
config, a link or a FIFO, and nothing is written into a data set's folders."""
import os

import pytest

from adaptcls.cli.cli_options import check_output_file
from tests.tools.conftest import tiny_config, tiny_data  # noqa: F401
from tests.tools.test_train_and_test import TEST, run_tool


def test_an_input_file_is_refused(tmp_path):
    image = tmp_path / 'photo.png'
    image.write_bytes(b'image')
    with pytest.raises(FileExistsError, match='is an input of this command'):
        check_output_file(str(image), inputs=[str(image)])
    with pytest.raises(FileExistsError, match='is an input of this command'):  # the same file by another name
        check_output_file(str(tmp_path / '.' / 'photo.png'), inputs=[str(image)])
    assert image.read_bytes() == b'image'


def test_a_file_in_an_input_folder_is_refused(tmp_path):
    (tmp_path / 'data' / 'val' / 'x').mkdir(parents=True)
    with pytest.raises(FileExistsError, match='inside the input folder'):
        check_output_file(str(tmp_path / 'data' / 'val' / 'x' / '0.png'), '--confusion-matrix',
                          input_folders=[str(tmp_path / 'data')])
    check_output_file(str(tmp_path / 'elsewhere.png'), input_folders=[str(tmp_path / 'data')])


def test_links_and_fifos_are_refused(tmp_path):
    target = tmp_path / 'precious.txt'
    target.write_text('keep')
    os.symlink(target, tmp_path / 'link.json')
    with pytest.raises(FileExistsError, match='symbolic link'):
        check_output_file(str(tmp_path / 'link.json'))
    os.mkfifo(tmp_path / 'fifo.json')
    with pytest.raises(FileExistsError, match='not a regular file'):
        check_output_file(str(tmp_path / 'fifo.json'))
    assert target.read_text() == 'keep'


def test_test_tool_refuses_to_write_over_its_checkpoint_or_a_data_image(tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'tiny.py'
    tiny_config().dump(str(config))
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'weights')
    with pytest.raises(FileExistsError, match='is an input of this command'):
        run_tool(TEST, str(config), str(checkpoint), '--data-root', tiny_data, '--out', str(checkpoint))
    assert checkpoint.read_bytes() == b'weights'


def test_test_tool_refuses_a_confusion_matrix_inside_the_data_set(tiny_data, tmp_path):  # noqa: F811
    config = tmp_path / 'tiny.py'
    tiny_config().dump(str(config))
    image = os.path.join(tiny_data, 'val', 'circle', '0.png')
    before = open(image, 'rb').read()
    (tmp_path / 'model.pth').write_bytes(b'refused before it is read')
    with pytest.raises(FileExistsError, match='inside the input folder'):
        run_tool(TEST, str(config), str(tmp_path / 'model.pth'), '--data-root', tiny_data,
                 '--work-dir', str(tmp_path / 'test'), '--confusion-matrix', image)
    assert open(image, 'rb').read() == before


def test_predict_refuses_to_write_over_an_input_image(tiny_data, tmp_path):  # noqa: F811
    from adaptcls.cli.deploy import main as deploy_main
    image = os.path.join(tiny_data, 'val', 'circle', '0.png')
    before = open(image, 'rb').read()
    with pytest.raises(FileExistsError, match='is an input of this command'):
        deploy_main(['predict', str(tmp_path / 'model.xml'), image, '--out', image, '--format', 'csv'])
    assert open(image, 'rb').read() == before


def test_an_export_of_another_checkpoint_is_not_replaced(tmp_path):
    import json

    from adaptcls.deployment.export.exporter import _check_out_dir
    out = tmp_path / 'export'
    out.mkdir()
    (out / 'export.json').write_text(json.dumps(dict(source=dict(checkpoint=str(tmp_path / 'a.pth')))))
    with pytest.raises(FileExistsError, match='holds the export of .*a.pth, not of .*b.pth.*--overwrite'):
        _check_out_dir(str(out), str(tmp_path / 'b.pth'), overwrite=False)
    _check_out_dir(str(out), str(tmp_path / 'a.pth'), overwrite=False)  # the same model again: replaced
    _check_out_dir(str(out), str(tmp_path / 'b.pth'), overwrite=True)
