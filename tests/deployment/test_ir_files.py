"""An IR's .xml + .bin are checked before OpenVINO reads them: sealed at export, refused when they do not belong."""
import re
import shutil

import pytest

from adaptcls.deployment.runtime.ir_classifier import IRClassifier, read_rgb_image
from adaptcls.deployment.runtime.ir_files import (CHECKSUM_KEY, METADATA_CHECKSUM_KEY, IRFileError, file_sha256,
                                                  read_ir)
from adaptcls.deployment.runtime.ir_metadata import RT_INFO_SECTION


def _copy_ir(exported, tmp_path, name='model'):
    for suffix in ('.xml', '.bin'):
        shutil.copy(f'{exported["out"]}/{name}{suffix}', tmp_path / f'model{suffix}')
    return str(tmp_path / 'model.xml')


def test_the_export_seals_each_ir_with_its_weights_checksum(exported):
    for name in ('model', 'model_int8'):
        model = read_ir(f'{exported["out"]}/{name}.xml')
        sealed = model.get_rt_info([RT_INFO_SECTION, CHECKSUM_KEY]).astype(str)
        assert sealed == file_sha256(f'{exported["out"]}/{name}.bin')


def test_a_bin_with_flipped_bytes_is_refused(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    data = bytearray((tmp_path / 'model.bin').read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / 'model.bin').write_bytes(bytes(data))
    with pytest.raises(IRFileError, match='is not the weights file exported with'):
        IRClassifier(xml)


def test_a_truncated_bin_is_refused(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    data = (tmp_path / 'model.bin').read_bytes()
    (tmp_path / 'model.bin').write_bytes(data[:len(data) // 2])
    with pytest.raises(IRFileError, match='changed, truncated or comes from another export'):
        IRClassifier(xml)


def test_the_bin_of_another_export_is_refused(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    shutil.copy(f'{exported["out"]}/model_int8.bin', tmp_path / 'model.bin')
    with pytest.raises(IRFileError, match='is not the weights file'):
        IRClassifier(xml)


def test_a_missing_bin_is_named(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    (tmp_path / 'model.bin').unlink()
    with pytest.raises(FileNotFoundError, match='has no weights file'):
        IRClassifier(xml)


def test_a_file_that_is_no_ir_is_refused(tmp_path):
    (tmp_path / 'notes.xml').write_text('<?xml version="1.0"?><notes>hello</notes>')
    (tmp_path / 'notes.bin').write_bytes(b'\0' * 16)
    with pytest.raises(IRFileError, match='is not an OpenVINO IR'):
        IRClassifier(str(tmp_path / 'notes.xml'))


def test_an_unsealed_ir_is_read_with_a_warning(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    text = (tmp_path / 'model.xml').read_text()
    for key in (CHECKSUM_KEY, METADATA_CHECKSUM_KEY):  # as exported before the IRs were sealed
        text = re.sub(rf'\s*<{key} value="[0-9a-f]*" />', '', text)
    (tmp_path / 'model.xml').write_text(text)
    with pytest.warns(UserWarning, match='carries no weights checksum'):
        assert IRClassifier(xml).labels


def _labels_line(text: str) -> str:
    return re.search(r'<labels value="[^"]*" />', text).group(0)


def test_hand_edited_labels_are_refused(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    text = (tmp_path / 'model.xml').read_text()
    line = _labels_line(text)
    (tmp_path / 'model.xml').write_text(text.replace(line, line.replace('&quot;0&quot;', '&quot;cat&quot;')))
    with pytest.raises(IRFileError, match='labels or preprocessing .* were changed after export'):
        IRClassifier(xml)


def test_fewer_labels_than_outputs_is_a_clear_error(exported, tmp_path):
    xml = _copy_ir(exported, tmp_path)
    text = re.sub(rf'\s*<{METADATA_CHECKSUM_KEY} value="[0-9a-f]*" />', '', (tmp_path / 'model.xml').read_text())
    line = _labels_line(text)
    (tmp_path / 'model.xml').write_text(text.replace(line, line.replace(', &quot;9&quot;', '')))
    with pytest.raises(IRFileError, match='predicts 10 classes but its rt_info lists 9 labels'):
        IRClassifier(xml)


def test_a_file_that_is_no_image_is_a_clear_error(tmp_path):
    (tmp_path / 'x.png').write_text('not an image')
    with pytest.raises(ValueError, match='Cannot read image .* not an image'):
        read_rgb_image(str(tmp_path / 'x.png'))
