"""benchmarks/common/bench_datasets.py: class-balanced subsets, and the class selection of small benchmark sets."""
import os

import numpy as np
import pytest
from PIL import Image

from benchmarks.common import bench_datasets


def _fake_cifar10(root, classes=('airplane', 'bird', 'cat'), per_class=4) -> str:
    """A class-folder tree shaped like shared/data/cifar10_6k, with ``per_class`` tiny JPEGs per class and split."""
    for split in bench_datasets.SPLITS:
        for name in classes:
            folder = os.path.join(root, split, name)
            os.makedirs(folder)
            for index in range(per_class):
                Image.fromarray(np.full((8, 8, 3), index, np.uint8)).save(os.path.join(folder, f'{index}.jpg'))
    return str(root)


def _tree(root) -> dict:
    return {split: {name: len(os.listdir(os.path.join(root, split, name)))
                    for name in sorted(os.listdir(os.path.join(root, split)))} for split in bench_datasets.SPLITS}


def test_cifar10_subset_keeps_only_the_chosen_classes_balanced(tmp_path):
    source = _fake_cifar10(tmp_path / 'source')
    out = bench_datasets.cifar10_subset(str(tmp_path / 'data'), 3, 2, source=source, classes=['cat', 'airplane'])
    assert os.path.basename(out) == 'cifar10_3x2_2x2_seed0_airplane-cat'
    assert _tree(out) == dict(train=dict(airplane=3, cat=3), val=dict(airplane=2, cat=2))


def test_cifar10_subset_of_all_classes_keeps_the_folder_name_of_earlier_results(tmp_path):
    source = _fake_cifar10(tmp_path / 'source')
    out = bench_datasets.cifar10_subset(str(tmp_path / 'data'), 2, 1, source=source)
    assert os.path.basename(out) == 'cifar10_2x3_1x3_seed0'
    assert _tree(out)['train'] == dict(airplane=2, bird=2, cat=2)


def test_an_unknown_class_is_an_error_that_lists_the_data_sets_classes(tmp_path):
    source = _fake_cifar10(tmp_path / 'source')
    with pytest.raises(SystemExit, match='cifar10 has no class dog: its classes are airplane, bird, cat'):
        bench_datasets.cifar10_subset(str(tmp_path / 'data'), 2, 1, source=source, classes=['dog', 'cat'])


def test_prepare_names_a_class_subset_by_its_class_count_and_refuses_digits(tmp_path, monkeypatch):
    source = _fake_cifar10(tmp_path / 'source')
    monkeypatch.setattr(bench_datasets, 'CIFAR10_DIR', source)
    roots = bench_datasets.prepare(['cifar10'], str(tmp_path / 'data'), 2, 1, classes=['bird', 'cat'])
    assert list(roots) == ['cifar10_2classes']
    with pytest.raises(SystemExit, match='leave digits out'):
        bench_datasets.prepare(['digits', 'cifar10'], str(tmp_path / 'data'), 2, 1, classes=['cat'])
