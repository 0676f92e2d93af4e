"""Reads the deployed input size from a config's test pipeline and checks that the IR can honour it."""
from typing import Optional, Sequence, Tuple

from mmengine.config import Config

from adaptcls.errors import UserInputError
from adaptcls.config import iter_datasets

DEPLOYABLE_TRANSFORMS = ('LoadImage', 'Resize', 'PackClsInputs')
"""Test-time transforms that the exported model and its resize rule reproduce."""


def _type_name(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


def _test_pipeline(cfg: Config) -> Sequence[dict]:
    for key in ('test_dataloader', 'val_dataloader'):
        dataset_cfg = next(iter_datasets(cfg, (key, )), None)
        if dataset_cfg is not None and dataset_cfg.get('pipeline'):
            return dataset_cfg['pipeline']
    raise UserInputError('The config has no test_dataloader/val_dataloader pipeline to read the input size '
                         'from; pass --input-size H W.')


def input_size_from_config(cfg: Config, override: Optional[Sequence[int]] = None) -> Tuple[int, int]:
    """The (height, width) the exported model takes.

    Args:
        cfg (Config): the training config; its test (else val) pipeline is read.
        override (Sequence[int], optional): (height, width) from ``--input-size``; it replaces the
            size of the pipeline's Resize. Defaults to None.

    Raises:
        ValueError: the test pipeline has a transform that deployment does not reproduce (the IR
            would see other pixels than evaluation did), an antialiased Resize, or no Resize and
            no override.
    """
    resize = None
    for transform in _test_pipeline(cfg):
        name = _type_name(transform)
        if name not in DEPLOYABLE_TRANSFORMS:
            raise UserInputError(f'The test pipeline has a "{name}" transform, which an application feeding '
                                 f'the IR would not reproduce; deployment supports {DEPLOYABLE_TRANSFORMS}.')
        if name == 'Resize':
            resize = transform
    if resize is not None and resize.get('antialias', False):
        raise UserInputError('The test pipeline\'s Resize has antialias=True; the deployed resize rule is '
                             'bilinear without antialias. Evaluate and export with antialias=False.')
    if override is not None:
        height, width = (int(value) for value in override)
        return height, width
    if resize is None:
        raise UserInputError('The test pipeline has no Resize, so the input size is unknown; pass '
                             '--input-size H W.')
    size = resize['size']
    return (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))
