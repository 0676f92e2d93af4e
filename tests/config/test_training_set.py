"""build_config lists the training set once (scan_training_set): num_classes, the single-image batch, the class counts
and the class balance all read that one listing, and a split made in the build is read from memory as its written
list reads."""
import collections
import os

import pytest

from adaptcls.config import build_config, record_data_split, scan_training_set
from adaptcls.registry import adaptcls_scope
from tests.datasets.test_data_split import COUNTS, make_class_folders
from tests.tools.conftest import CLASSES, REPO, tiny_data  # noqa: F401

ADAPTIVE = os.path.join(REPO, 'configs', 'effnet_lite0_adaptive.py')  # num_classes=None, no drop_last


@pytest.fixture
def listings(monkeypatch):
    """How often each folder is listed: ``os.scandir`` calls by absolute path (``os.walk`` lists through it too)."""
    counts = collections.Counter()
    scandir = os.scandir

    def counting_scandir(path='.'):
        if not isinstance(path, int):  # a file descriptor (shutil.rmtree) names no folder
            counts[os.path.abspath(os.fspath(path))] += 1
        return scandir(path)
    monkeypatch.setattr(os, 'scandir', counting_scandir)
    return counts


def test_a_train_folder_is_listed_once(tiny_data, tmp_path, listings, capsys):  # noqa: F811
    cfg = build_config(ADAPTIVE, 'train', data_root=tiny_data, work_dir=str(tmp_path / 'run'),
                       cfg_options={'class_balance': 'loss', 'train_dataloader.batch_size': 23})
    train = os.path.join(tiny_data, 'train')
    assert listings[train] == 1 and [listings[os.path.join(train, name)] for name in CLASSES] == [1, 1, 1]
    assert cfg.model.head.num_classes == 3 and cfg.train_dataloader.drop_last  # 24 images at batch 23
    assert cfg.model.head.loss.class_weight == [1.0, 1.0, 1.0]
    assert 'training set: 24 images in 3 classes (circle 8, square 8, stripes 8)' in capsys.readouterr().out


def test_a_folder_without_validation_split_is_listed_once_when_split_and_when_reused(tmp_path, listings, capsys):
    data = make_class_folders(tmp_path / 'data')
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'))
    assert listings[str(data)] == 1 and cfg.model.head.num_classes == 3
    assert 'training set: 28 images in 3 classes' in capsys.readouterr().out
    record_data_split(cfg)
    listings.clear()
    build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'))  # a resumed run
    assert listings[str(data)] == 1  # the check that the recorded split still describes the folder
    assert 'reusing the data split' in capsys.readouterr().out


@pytest.mark.parametrize('indices, images', [(None, 28), (10, 10), (-4, 4), ([3, 0, 7], 3)])
def test_a_new_split_reads_from_memory_as_its_written_list_reads(tmp_path, indices, images):
    options = {} if indices is None else {'train_dataloader.dataset.indices': indices}
    cfg = build_config(ADAPTIVE, 'train', data_root=str(make_class_folders(tmp_path / 'data')),
                       work_dir=str(tmp_path / 'run'), cfg_options=options)
    with adaptcls_scope():
        from_memory = scan_training_set(cfg)
        record_data_split(cfg)
        from_list = scan_training_set(cfg)  # now the dataset reads the written train.txt
    assert from_memory == from_list and from_list.classes == tuple(COUNTS) and len(from_list) == images
