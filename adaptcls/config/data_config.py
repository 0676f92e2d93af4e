"""The resolved config of a training run, stored as data (JSON) beside its checkpoints.

A Python config is code: mmengine executes it to read it (and its ``_base_`` files). That is fine for a config you
wrote or chose; it is not for a work dir someone sent you. Every training run therefore writes the config it trained,
fully resolved (``--img-size``, ``--epochs``, ``--cfg-options``, the data root and split applied), as
``WORK_DIR/run_config.json``; predict, test and export of a checkpoint without ``--config`` read that file as plain
JSON (:func:`load_data_config`), which cannot run code. A Python config is executed only when a user passes it.
"""
import json
import os
from typing import Mapping

from mmengine.config import Config

from adaptcls.errors import UserInputError
from .config_utils import iter_datasets

RUN_CONFIG_FILE = 'run_config.json'
"""The resolved training config, as JSON, in the work dir (beside the checkpoints)."""
CODE_KEYS = ('_base_', 'custom_imports')
"""Keys that make mmengine read other files or import modules: refused in a data config."""


def config_as_data(cfg: Config) -> dict:
    """``cfg`` as plain JSON-able data (tuples become lists), every dataset's ``data_root`` made absolute: the file
    is read later from any working directory."""
    data = json.loads(json.dumps(cfg.to_dict(), default=str))
    for dataset in iter_datasets(data):
        if dataset.get('data_root'):
            dataset['data_root'] = os.path.abspath(dataset['data_root'])
    return data


def load_data_config(path: str) -> Config:
    """Reads a JSON config without executing anything.

    Raises:
        ValueError: the file is not a JSON object, or it holds a key that would read other files or import modules
            (:data:`CODE_KEYS`); the message names the file.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            data = json.load(stream)
    except json.JSONDecodeError as error:
        raise UserInputError(f'config {path} is not valid JSON ({error}); restore it, or pass the Python config the '
                             'model was trained with (--config FILE; a Python config runs code: only one you '
                             'trust).') from None
    if not isinstance(data, Mapping):
        raise UserInputError(f'config {path} holds a JSON {type(data).__name__}, not an object of config keys.')
    found = [key for key in CODE_KEYS if key in data]
    if found:
        raise UserInputError(f'config {path} holds {found}, which would read other files or import modules; a data '
                             'config must be complete in itself (adaptcls writes run_config.json so).')
    return Config(dict(data), filename=os.path.abspath(path))
