"""An exported IR's ``.xml`` + ``.bin`` pair, checked before OpenVINO reads it.

OpenVINO reads a ``.bin`` whose bytes were flipped without a word (the model then computes other numbers), and it
reports a missing, truncated or foreign file with a low-level message. :func:`seal_ir` writes the SHA-256 of the
``.bin`` into the ``.xml`` (rt_info ``adaptcls/weights_sha256``) after export, and :func:`read_ir` checks the
pair before handing it to OpenVINO: the files exist, the ``.xml`` is an IR, and the ``.bin`` is the one exported
with it. Like the other rt_info keys, the checksum is a plain string any OpenVINO program can read.
"""
import hashlib
import json
import os
import re
import warnings

from adaptcls.errors import UserInputError
from .ir_metadata import RT_INFO_SECTION
from .ov_core import shared_core

CHECKSUM_KEY = 'weights_sha256'
"""rt_info key (in the ``adaptcls`` section) of the ``.bin``'s SHA-256, hex."""
METADATA_CHECKSUM_KEY = 'metadata_sha256'
"""rt_info key (in the ``adaptcls`` section) of the SHA-256 of the section's other entries (labels, input size,
mean, std, ...) as written: an edited label or size in the ``.xml`` is refused like a changed ``.bin``."""
SEAL_KEYS = (CHECKSUM_KEY, METADATA_CHECKSUM_KEY)
HASH_CHUNK_BYTES = 1 << 20
"""Bytes hashed per read."""
HEAD_BYTES = 4096
"""Bytes of an ``.xml`` read to tell an IR from another file."""
IR_ROOT_TAG = b'<net '
"""The root element of an OpenVINO IR's ``.xml``."""


class IRFileError(UserInputError):
    """An IR's files are missing, are not an IR, or do not belong together; the message names the file."""


def bin_path(xml_path: str) -> str:
    """The ``.bin`` beside ``xml_path``."""
    return os.path.splitext(xml_path)[0] + '.bin'


def file_sha256(path: str) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as stream:
        for chunk in iter(lambda: stream.read(HASH_CHUNK_BYTES), b''):
            digest.update(chunk)
    return digest.hexdigest()


def metadata_sha256(xml_text: str) -> str:
    """SHA-256 (hex) of the ``adaptcls`` rt_info entries of an ``.xml`` text, the seals excluded, as written."""
    start = xml_text.find(f'<{RT_INFO_SECTION}>', max(xml_text.rfind('<rt_info>'), 0))
    end = xml_text.find(f'</{RT_INFO_SECTION}>', start)
    section = xml_text[start:end] if start >= 0 and end >= 0 else ''
    entries = sorted((key, value) for key, value in re.findall(r'<(\w+) value="([^"]*)"', section)
                     if key not in SEAL_KEYS)
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def seal_ir(xml_path: str) -> str:
    """Writes the ``.bin``'s SHA-256, and that of the ``adaptcls`` rt_info entries (:func:`metadata_sha256`), into
    the saved ``.xml``'s rt_info; returns the ``.bin``'s.

    Raises:
        IRFileError: the ``.xml`` has no ``adaptcls`` rt_info section (it was not exported by adaptcls).
    """
    checksum = file_sha256(bin_path(xml_path))
    with open(xml_path, encoding='utf-8') as stream:
        text = stream.read()
    opening = f'<{RT_INFO_SECTION}>'
    at = text.find(opening, max(text.rfind('<rt_info>'), 0))
    if '<rt_info>' not in text or at < 0:
        raise IRFileError(f'OpenVINO IR "{xml_path}" has no "{RT_INFO_SECTION}" rt_info section to seal.')
    at += len(opening)
    text = (f'{text[:at]}\n\t\t\t<{CHECKSUM_KEY} value="{checksum}" />'
            f'\n\t\t\t<{METADATA_CHECKSUM_KEY} value="{metadata_sha256(text)}" />{text[at:]}')
    temporary = f'{xml_path}.sealing'
    with open(temporary, 'w', encoding='utf-8') as stream:
        stream.write(text)
    os.replace(temporary, xml_path)
    return checksum


def read_ir(xml_path: str, core=None):
    """Reads an exported IR with OpenVINO after checking its files.

    Args:
        xml_path (str): the IR's ``.xml`` (its ``.bin`` beside it).
        core (openvino.Core, optional): the OpenVINO core to read with. Defaults to the process's shared one.

    Returns:
        openvino.Model: the model.

    Raises:
        FileNotFoundError: the ``.xml`` or its ``.bin`` does not exist.
        IRFileError: the ``.xml`` is not an OpenVINO IR, or the ``.bin`` is not the one exported with it (other
            bytes, truncated, or another export's).
    """
    if not os.path.isfile(xml_path):
        raise FileNotFoundError(f'OpenVINO IR "{xml_path}" does not exist; export one with '
                                '`python tools/deploy.py export CONFIG CHECKPOINT --out DIR`.')
    weights = bin_path(xml_path)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f'OpenVINO IR "{xml_path}" has no weights file "{weights}" beside it; copy the .bin '
                                'that was exported with it, or export again.')
    with open(xml_path, 'rb') as stream:
        head = stream.read(HEAD_BYTES)
    if IR_ROOT_TAG not in head:
        raise IRFileError(f'"{xml_path}" is not an OpenVINO IR (no <net> element); give the .xml written by '
                          '`tools/deploy.py export`.')
    with open(xml_path, encoding='utf-8', errors='replace') as stream:
        text = stream.read()
    sealed = re.search(rf'<{CHECKSUM_KEY} value="([0-9a-f]{{64}})"', text)
    metadata_seal = re.search(rf'<{METADATA_CHECKSUM_KEY} value="([0-9a-f]{{64}})"', text)
    if metadata_seal is not None and metadata_seal.group(1) != metadata_sha256(text):
        raise IRFileError(f'the labels or preprocessing in "{xml_path}" (its adaptcls rt_info) were changed after '
                          'export; the model would be believed to predict other classes. Export again (class '
                          'names come from the training folders).')
    if sealed is None:
        warnings.warn(f'OpenVINO IR "{xml_path}" carries no weights checksum (exported before adaptcls checked '
                      f'them, or not by adaptcls): "{weights}" is used unchecked; export again to seal it.')
    elif (found := file_sha256(weights)) != sealed.group(1):
        raise IRFileError(f'"{weights}" is not the weights file exported with "{xml_path}": its SHA-256 is '
                          f'{found}, the IR was sealed with {sealed.group(1)} (the file was changed, '
                          'truncated or comes from another export). Copy the matching .bin, or export again.')
    try:
        return (core or shared_core()).read_model(xml_path)
    except RuntimeError as error:
        raise IRFileError(f'"{xml_path}" cannot be read as an OpenVINO IR ({str(error).splitlines()[0]}); give the '
                          '.xml written by `tools/deploy.py export`.') from None
