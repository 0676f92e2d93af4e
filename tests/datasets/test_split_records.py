"""A recorded data split stays true to its folder: a class folder named '#tag' is listed (not read as a comment),
a file name with a line break is refused by name, and a split made before the data changed is not reused silently."""
import os
import shutil

import pytest

from adaptcls.datasets.data_split import (StaleSplitError, check_split_current, read_split, split_class_folders,
                                          write_split)
from adaptcls.datasets.image_folder_dataset import read_annotation_lines
from tests.tools.conftest import CLASSES, tiny_data  # noqa: F401


@pytest.fixture
def class_folders(tiny_data, tmp_path):  # noqa: F811
    root = tmp_path / 'photos'
    for name in CLASSES:
        shutil.copytree(os.path.join(tiny_data, 'train', name), root / name)
    return root


def test_a_class_folder_named_like_a_comment_is_listed(class_folders, tmp_path):
    os.rename(class_folders / 'circle', class_folders / '#tag')
    write_split(split_class_folders(str(class_folders), 0.25, 0), str(tmp_path / 'work'))
    record = read_split(str(tmp_path / 'work' / 'data_split'))
    listed = [path for path, _, _ in read_annotation_lines(record['lists']['train'])]
    assert sum(path.startswith('./#tag/') for path in listed) == 6 and len(listed) == 18


def test_a_file_name_with_a_line_break_is_refused_by_name(class_folders):
    os.rename(class_folders / 'square' / '0.png', class_folders / 'square' / 'a\nb.png')
    with pytest.raises(ValueError, match=r"'.*a\\nb.png' has a line break in its name.*rename it"):
        split_class_folders(str(class_folders), 0.25, 0)


def test_a_split_made_before_the_data_changed_is_refused(class_folders, tmp_path):
    write_split(split_class_folders(str(class_folders), 0.25, 0), str(tmp_path / 'work'))
    split_dir = str(tmp_path / 'work' / 'data_split')
    check_split_current(read_split(split_dir), split_dir)
    shutil.copytree(class_folders / 'circle', class_folders / 'triangle')
    with pytest.raises(StaleSplitError, match=r"class folders added \['triangle'\].*--overwrite"):
        check_split_current(read_split(split_dir), split_dir)
    shutil.rmtree(class_folders / 'triangle')
    shutil.copy(class_folders / 'circle' / '0.png', class_folders / 'circle' / 'new.png')
    with pytest.raises(StaleSplitError, match='class "circle" holds 9 images, the split 8'):
        check_split_current(read_split(split_dir), split_dir)
