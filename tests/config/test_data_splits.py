"""build_config and the splits a data folder has: valid/validation/test folders, or a seeded split of class
folders recorded in the work dir (by record_data_split: building writes nothing) and reused by resume, test and
export."""
import os
import shutil

import pytest

from adaptcls.config import build_config, record_data_split
from tests.datasets.test_data_split import make_class_folders
from tests.tools.conftest import REPO

ADAPTIVE = os.path.join(REPO, 'configs', 'effnet_lite0_adaptive.py')


def _dataset(cfg, loader):
    return cfg[loader].dataset


def test_a_folder_of_class_folders_is_split_into_the_work_dir(tmp_path, capsys):
    data = make_class_folders(tmp_path / 'data')
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'))
    split_dir = tmp_path / 'run' / 'data_split'
    train, val = _dataset(cfg, 'train_dataloader'), _dataset(cfg, 'val_dataloader')
    assert train.ann_file == str(split_dir / 'train.txt') and val.ann_file == str(split_dir / 'val.txt')
    assert train.data_prefix == val.data_prefix == '.' and train.classes == ['ant', 'bee', 'cat']
    assert cfg.model.head.num_classes == 3
    note = capsys.readouterr().out
    assert 'split its 35 images into 28 for training and 7 for validation (val_fraction 0.2, seed 0' in note
    assert 'reusing' not in note and not split_dir.exists()  # building writes nothing
    assert record_data_split(cfg) == str(split_dir) and len((split_dir / 'train.txt').read_text().splitlines()) == 29
    assert record_data_split(cfg) is None  # written once


def test_a_second_build_reuses_the_split_and_other_settings_are_refused(tmp_path, capsys):
    data = make_class_folders(tmp_path / 'data')
    work_dir = str(tmp_path / 'run')
    record_data_split(build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=work_dir))
    val_list = (tmp_path / 'run' / 'data_split' / 'val.txt').read_text()
    build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=work_dir, resume=None)
    assert 'reusing the data split recorded in' in capsys.readouterr().out
    assert (tmp_path / 'run' / 'data_split' / 'val.txt').read_text() == val_list
    with pytest.raises(ValueError, match='holds a split of .* with val_fraction 0.2 and seed 0.*another --work-dir'):
        build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=work_dir,
                     cfg_options={'data_split.seed': 1})


def test_only_train_without_val_splits_train(tmp_path):
    data = tmp_path / 'data'
    make_class_folders(data / 'train')
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'),
                       cfg_options={'data_split.val_fraction': 0.3})
    assert _dataset(cfg, 'train_dataloader').data_prefix == 'train'
    record_data_split(cfg)
    lines = (tmp_path / 'run' / 'data_split' / 'val.txt').read_text().splitlines()[1:]
    assert len(lines) == round(0.3 * 35)


def test_test_and_export_reuse_the_split_recorded_beside_the_checkpoint(tmp_path):
    data = make_class_folders(tmp_path / 'data')
    run = tmp_path / 'run'
    record_data_split(build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(run)))
    for mode in ('test', 'export'):
        cfg = build_config(ADAPTIVE, mode, data_root=str(data), run_dir=str(run))
        assert _dataset(cfg, 'test_dataloader').ann_file == str(run / 'data_split' / 'val.txt')
    with pytest.raises(FileNotFoundError, match='no validation folder .* no split is recorded in'):
        build_config(ADAPTIVE, 'test', data_root=str(data), run_dir=str(tmp_path / 'other_run'))
    other = make_class_folders(tmp_path / 'other_data')
    with pytest.raises(ValueError, match='is of .*data, not of .*other_data'):
        build_config(ADAPTIVE, 'test', data_root=str(other), run_dir=str(run))


@pytest.mark.parametrize('name', ['valid', 'validation'])
def test_other_names_of_the_validation_folder(tmp_path, name, capsys):
    data = tmp_path / 'data'
    make_class_folders(data / 'train')
    make_class_folders(data / name)
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'))
    assert _dataset(cfg, 'val_dataloader').data_prefix == name and not _dataset(cfg, 'val_dataloader').get('ann_file')
    assert f'the "{name}" folder' in capsys.readouterr().out and not (tmp_path / 'run' / 'data_split').exists()


def test_testing_prefers_a_test_folder(tmp_path):
    data = tmp_path / 'data'
    for split in ('train', 'val', 'test'):
        make_class_folders(data / split)
    assert _dataset(build_config(ADAPTIVE, 'test', data_root=str(data)), 'test_dataloader').data_prefix == 'test'
    cfg = build_config(ADAPTIVE, 'train', data_root=str(data), work_dir=str(tmp_path / 'run'))
    assert _dataset(cfg, 'val_dataloader').data_prefix == 'val'  # training validates on val, not on test
    shutil.rmtree(data / 'test')
    assert _dataset(build_config(ADAPTIVE, 'test', data_root=str(data)), 'test_dataloader').data_prefix == 'val'


def test_a_data_root_the_user_did_not_give_is_not_split(tmp_path):
    from adaptcls.config.config_utils import set_data_root
    from adaptcls.config.data_splits import resolve_data_splits
    cfg = build_config(ADAPTIVE, 'export')
    set_data_root(cfg, str(make_class_folders(tmp_path / 'data')))
    cfg.work_dir = str(tmp_path / 'run')
    assert resolve_data_splits(cfg, 'train', given_root=False) == []
    assert _dataset(cfg, 'train_dataloader').data_prefix == 'train' and not (tmp_path / 'run').exists()
