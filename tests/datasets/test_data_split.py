"""The seeded, stratified split of one folder of class folders, and its record in a work dir."""

import pytest
from PIL import Image

from adaptcls.datasets.data_split import (find_split_folder, read_split, split_class_folders, unsplit_image_root,
                                          write_split)

COUNTS = {'ant': 10, 'bee': 20, 'cat': 5}


def make_class_folders(root, counts=COUNTS):
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for index in range(count):
            Image.new('RGB', (4, 4), (index, 0, 0)).save(root / name / f'{index}.png')
    return root


def test_the_split_is_stratified_disjoint_complete_and_seeded(tmp_path):
    root = make_class_folders(tmp_path / 'data')
    split = split_class_folders(str(root), val_fraction=0.2, seed=0)
    assert split.classes == ['ant', 'bee', 'cat']
    assert split.counts()['val'] == {'ant': 2, 'bee': 4, 'cat': 1}  # 20% of each class
    train, val = set(split.train), set(split.val)
    assert not train & val and len(train | val) == sum(COUNTS.values())
    assert split_class_folders(str(root), 0.2, seed=0) == split
    assert split_class_folders(str(root), 0.2, seed=1).val != split.val


@pytest.mark.parametrize('fraction, message', [
    (0, 'between 0 and 1'), (1.5, 'between 0 and 1'), (0.05, 'use a fraction between 0.086 and 0.914')])
def test_bad_fractions_are_refused_with_the_range_that_works(tmp_path, fraction, message):
    root = make_class_folders(tmp_path / 'data')
    with pytest.raises(ValueError, match=message):
        split_class_folders(str(root), fraction, seed=0)


def test_a_class_with_one_image_cannot_be_split(tmp_path):
    root = make_class_folders(tmp_path / 'data', {'ant': 4, 'bee': 1})
    with pytest.raises(ValueError, match=r'bee holds 1 image\(s\).*at least 2'):
        split_class_folders(str(root), 0.5, seed=0)


def test_the_written_split_reads_back(tmp_path):
    root = make_class_folders(tmp_path / 'data')
    split = split_class_folders(str(root), 0.2, seed=3)
    write_split(split, str(tmp_path / 'run'))
    record = read_split(str(tmp_path / 'run' / 'data_split'))
    assert (record['image_root'], record['seed'], record['classes']) == (str(root), 3, split.classes)
    val_lines = open(record['lists']['val']).read().splitlines()[1:]  # after the comment line
    assert val_lines == [f'{path} {label}' for path, label in split.val]
    assert read_split(str(tmp_path / 'nowhere')) is None


def test_a_damaged_record_names_the_file_and_the_fix(tmp_path):
    split = split_class_folders(str(make_class_folders(tmp_path / 'data')), 0.2, seed=0)
    write_split(split, str(tmp_path / 'run'))
    (tmp_path / 'run' / 'data_split' / 'val.txt').unlink()
    with pytest.raises(ValueError, match='split.json is damaged.*delete'):
        read_split(str(tmp_path / 'run' / 'data_split'))


def test_which_folder_is_split(tmp_path):
    flat = make_class_folders(tmp_path / 'flat')
    assert unsplit_image_root(str(flat)) == str(flat)
    make_class_folders(tmp_path / 'only_train' / 'train')
    assert unsplit_image_root(str(tmp_path / 'only_train')) == str(tmp_path / 'only_train' / 'train')
    make_class_folders(tmp_path / 'both' / 'train')
    make_class_folders(tmp_path / 'both' / 'validation')
    assert unsplit_image_root(str(tmp_path / 'both')) is None
    assert find_split_folder(str(tmp_path / 'both'), ('val', 'valid', 'validation')) == 'validation'


def test_a_folder_with_one_class_folder_is_not_split(tmp_path):
    make_class_folders(tmp_path / 'data', {'digits': 4})
    with pytest.raises(ValueError, match='has 1 class folder .*at least 2'):
        split_class_folders(str(tmp_path / 'data'), 0.5, seed=0)
