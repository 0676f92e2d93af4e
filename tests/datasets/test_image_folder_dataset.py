import os

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from PIL import Image

from adaptcls.datasets import ImageFolderDataset, check_same_classes
from adaptcls.registry import DATASETS
from adaptcls.structures import ClsDataSample


def write_png(path, value=0, size=(4, 6)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size + (3,), value, dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def folder_tree(tmp_path):
    """train/cat: 2 images (one nested), train/dog: 1 image, plus files the scan must ignore."""
    train = tmp_path / 'train'
    write_png(train / 'cat' / 'b.png', 10)
    write_png(train / 'cat' / 'sub' / 'a.PNG', 20)
    write_png(train / 'dog' / 'c.jpg', 30)
    (train / 'cat' / 'notes.txt').write_text('not an image')
    write_png(train / 'cat' / '._b.png')  # macOS resource fork: hidden, ignored
    write_png(train / '.ipynb_checkpoints' / 'x.png')  # hidden folder: not a class
    write_png(train / 'stray.png')  # a file at the top level is not a class
    return tmp_path


def test_folder_mode_lists_classes_and_images_sorted(folder_tree):
    dataset = ImageFolderDataset(data_root=str(folder_tree), data_prefix='train')

    train = folder_tree / 'train'
    assert dataset.metainfo['classes'] == ('cat', 'dog')
    assert [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))] == [
        str(train / 'cat' / 'b.png'), str(train / 'cat' / 'sub' / 'a.PNG'), str(train / 'dog' / 'c.jpg')]
    assert [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))] == [0, 0, 1]


def test_config_built_dataset_runs_the_pipeline(folder_tree):
    pipeline = [dict(type='LoadImage'), dict(type='Resize', size=3), dict(type='PackClsInputs')]
    with DefaultScope.overwrite_default_scope('adaptcls'):
        dataset = DATASETS.build(dict(type='ImageFolderDataset', data_root=str(folder_tree),
                                      data_prefix='train', pipeline=pipeline))
        sample = dataset[2]

    assert sample['inputs'].dtype == torch.uint8 and sample['inputs'].shape == (3, 3, 3)
    assert int(sample['inputs'][0, 0, 0]) == 30
    assert isinstance(sample['data_samples'], ClsDataSample)
    assert int(sample['data_samples'].gt_label) == 1
    assert sample['data_samples'].ori_shape == (4, 6)


def test_explicit_classes_set_the_label_order(folder_tree):
    dataset = ImageFolderDataset(data_root=str(folder_tree), data_prefix='train', classes=['dog', 'cat'])

    assert dataset.metainfo['classes'] == ('dog', 'cat')
    assert [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))] == [0, 1, 1]


def test_classes_file_is_read_relative_to_data_root(folder_tree):
    (folder_tree / 'classes.txt').write_text('dog\n\ncat\n')

    dataset = ImageFolderDataset(data_root=str(folder_tree), data_prefix='train', classes='classes.txt')

    assert dataset.metainfo['classes'] == ('dog', 'cat')


def test_missing_classes_file_is_named(folder_tree):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        ImageFolderDataset(data_root=str(folder_tree), classes='nope.txt')


def test_repeated_class_names_are_refused(folder_tree):
    with pytest.raises(ValueError, match="repeated: \\['cat'\\]"):
        ImageFolderDataset(data_root=str(folder_tree), classes=['cat', 'dog', 'cat'])


def test_classes_that_disagree_with_folders_are_refused(folder_tree):
    with pytest.raises(ValueError) as error:
        ImageFolderDataset(data_root=str(folder_tree), data_prefix='train', classes=['cat', 'bird'])

    message = str(error.value)
    assert str(folder_tree / 'train') in message
    assert "listed without a folder: ['bird']" in message and "folders not listed: ['dog']" in message


def test_missing_data_root_names_it_and_the_demo_tool(tmp_path):
    missing = tmp_path / 'nowhere'

    with pytest.raises(FileNotFoundError) as error:
        ImageFolderDataset(data_root=str(missing), data_prefix='train')

    assert str(missing) in str(error.value)
    assert '--data-root' in str(error.value) and 'tools/make_demo_data.py' in str(error.value)


def test_missing_split_folder_is_named(folder_tree):
    with pytest.raises(FileNotFoundError, match=str(folder_tree / 'val')):
        ImageFolderDataset(data_root=str(folder_tree), data_prefix='val')


def test_lazy_init_touches_no_disk_until_full_init(tmp_path):
    dataset = ImageFolderDataset(data_root=str(tmp_path / 'nowhere'), lazy_init=True)

    with pytest.raises(FileNotFoundError):
        dataset.full_init()


def test_folder_without_class_folders_is_refused(tmp_path):
    write_png(tmp_path / 'train' / 'loose.png')

    with pytest.raises(ValueError, match=f'{tmp_path / "train"} has no class folders'):
        ImageFolderDataset(data_root=str(tmp_path), data_prefix='train')


@pytest.mark.parametrize('content', [None, 'readme.txt'])
def test_class_folder_without_images_is_named(folder_tree, content):
    empty = folder_tree / 'train' / 'empty_class'
    empty.mkdir()
    if content:
        (empty / content).write_text('x')

    with pytest.raises(ValueError, match=f'class folder {empty} holds no images'):
        ImageFolderDataset(data_root=str(folder_tree), data_prefix='train')


def write_ann(root, text, name='train.txt'):
    (root / name).write_text(text)
    return name


def test_annotation_file_with_indices_and_names(folder_tree):
    ann = write_ann(folder_tree, '# path label\ndog/c.jpg 0\n\ncat/sub/a.PNG cat\n  cat/b.png  1 \n')

    dataset = ImageFolderDataset(data_root=str(folder_tree), data_prefix='train', ann_file=ann,
                                 classes=['dog', 'cat'])

    train = folder_tree / 'train'
    assert [dataset.get_data_info(i)['img_path'] for i in range(3)] == [
        str(train / 'dog' / 'c.jpg'), str(train / 'cat' / 'sub' / 'a.PNG'), str(train / 'cat' / 'b.png')]
    assert [dataset.get_data_info(i)['gt_label'] for i in range(3)] == [0, 1, 1]


def test_annotation_names_without_classes_give_sorted_classes(tmp_path):
    ann = write_ann(tmp_path, 'my photos/x.png zebra\ny.png ant\n')

    dataset = ImageFolderDataset(data_root=str(tmp_path), ann_file=ann)

    assert dataset.metainfo['classes'] == ('ant', 'zebra')
    assert dataset.get_data_info(0) == dict(
        img_path=str(tmp_path / 'my photos' / 'x.png'), gt_label=1, sample_idx=0)


def test_annotation_absolute_path_inside_the_image_folder_is_accepted(tmp_path):
    ann = write_ann(tmp_path, f'{tmp_path / "a.png"} 0\n')

    dataset = ImageFolderDataset(data_root=str(tmp_path), ann_file=ann, classes=['x'])

    assert dataset.get_data_info(0)['img_path'] == str(tmp_path / 'a.png')


@pytest.mark.parametrize('line, pattern', [
    ('only_a_path.png', r'train\.txt:3: expected "<relative/image/path> <label>"'),
    ('../outside.png cat', r"train\.txt:3: image path '\.\./outside\.png' points outside"),
    ('/etc/passwd cat', r"train\.txt:3: image path '/etc/passwd' points outside"),
    ('cat/b.png 2', r'train\.txt:3: label index 2 is out of range for 2 classes'),
    ('cat/b.png -1', r'train\.txt:3: label index -1 is out of range'),
    ('cat/b.png bird', r"train\.txt:3: unknown class name 'bird'"),
])
def test_bad_annotation_lines_are_refused_with_file_and_line(folder_tree, line, pattern):
    ann = write_ann(folder_tree, f'cat/b.png 0\n\n{line}\n')

    with pytest.raises(ValueError, match=pattern) as error:
        ImageFolderDataset(data_root=str(folder_tree), data_prefix='train', ann_file=ann,
                           classes=['cat', 'dog'])

    assert str(folder_tree / 'train.txt') in str(error.value)


def test_integer_labels_without_classes_are_refused(tmp_path):
    ann = write_ann(tmp_path, 'a.png ant\nb.png 1\n')

    with pytest.raises(ValueError, match=r'train\.txt:2: label .1. is a class index, but no class list'):
        ImageFolderDataset(data_root=str(tmp_path), ann_file=ann)


def test_missing_annotation_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'missing.txt')):
        ImageFolderDataset(data_root=str(tmp_path), ann_file='missing.txt')


def test_annotation_file_without_entries_is_refused(tmp_path):
    ann = write_ann(tmp_path, '# nothing\n\n')

    with pytest.raises(ValueError, match='lists no images'):
        ImageFolderDataset(data_root=str(tmp_path), ann_file=ann, classes=['a'])


def test_check_same_classes_accepts_equal_lists():
    assert check_same_classes(('a', 'b'), ['a', 'b'], 'train', 'val') is None


def test_check_same_classes_lists_classes_only_in_one_split():
    with pytest.raises(ValueError) as error:
        check_same_classes(['a', 'b', 'c'], ['a', 'c', 'd'], 'data/train', 'data/val')

    message = str(error.value)
    assert "classes only in data/train: ['b']" in message
    assert "classes only in data/val: ['d']" in message
    assert 'same `classes`' in message


def test_check_same_classes_reports_order_differences():
    with pytest.raises(ValueError, match=r"different order .*0: 'a' vs 'b', 1: 'b' vs 'a'"):
        check_same_classes(['a', 'b', 'c'], ['b', 'a', 'c'], 'train', 'val')


def test_image_paths_are_absolute_for_a_relative_data_root(folder_tree, monkeypatch):
    monkeypatch.chdir(folder_tree)

    dataset = ImageFolderDataset(data_root='.', data_prefix='train')

    assert os.path.isabs(dataset.get_data_info(0)['img_path'])
    assert dataset.get_data_info(0)['img_path'] == str(folder_tree / 'train' / 'cat' / 'b.png')


def test_a_fifo_named_like_an_image_is_refused_not_read(folder_tree):
    """Reading a FIFO blocks until something writes to it: the scan must refuse it before any read."""
    fifo = folder_tree / 'train' / 'dog' / 'x.png'
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r'not regular files .*dog/x\.png'):
        ImageFolderDataset(data_root=str(folder_tree), data_prefix='train')


def test_a_symlink_to_an_image_is_an_image(folder_tree, tmp_path):
    target = write_png(tmp_path / 'elsewhere' / 'real.png', 40)
    (folder_tree / 'train' / 'dog' / 'linked.png').symlink_to(target)
    dataset = ImageFolderDataset(data_root=str(folder_tree), data_prefix='train')
    assert len(dataset) == 4


def test_a_gif_is_an_image_and_loads_its_first_frame(folder_tree):
    from adaptcls.datasets import LoadImage
    frames = [Image.fromarray(np.full((6, 4, 3), value, dtype=np.uint8)).convert('P') for value in (90, 200)]
    gif = folder_tree / 'train' / 'dog' / 'd.gif'
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    dataset = ImageFolderDataset(data_root=str(folder_tree), data_prefix='train')
    assert str(gif) in [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    img = LoadImage().read_rgb(str(gif))
    assert img.shape == (6, 4, 3) and abs(int(img.mean()) - 90) <= 2
