"""The dataset's bad_images policy: 'error' (default) stops at the file, 'skip' leaves it out and reports it."""
import numpy as np
import pytest
from mmengine.logging import MessageHub, MMLogger
from PIL import Image

from adaptcls.datasets import ImageFolderDataset, ImageLoadError, LoadImage
from adaptcls.datasets.unreadable_images import SKIPPED_IMAGES_INFO, find_unreadable


def write_png(path, value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)).save(path)
    return path


def truncate(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:100])


@pytest.fixture
def bad_tree(tmp_path):
    """train/cat: a.png ok, b.png truncated, c.png zero bytes; train/dog: d.png ok, e.png a text file."""
    train = tmp_path / 'train'
    write_png(train / 'cat' / 'a.png', 10)
    truncate(train / 'cat' / 'b.png')
    (train / 'cat' / 'c.png').write_bytes(b'')
    write_png(train / 'dog' / 'd.png', 20)
    (train / 'dog' / 'e.png').write_text('not an image\n')
    return tmp_path


@pytest.fixture
def hub(request):
    """A fresh current message hub (the Runner's, in a real run)."""
    return MessageHub.get_instance(request.node.name)


def test_error_policy_is_the_default_and_names_the_file_and_the_skip_option(bad_tree):
    dataset = ImageFolderDataset(data_root=str(bad_tree), data_prefix='train', pipeline=[LoadImage()])

    assert len(dataset) == 5  # nothing is opened when the dataset is built
    with pytest.raises(ImageLoadError) as error:
        dataset[1]

    message = str(error.value)
    assert str(bad_tree / 'train' / 'cat' / 'b.png') in message
    assert "bad_images='skip'" in message and 'train_dataloader.dataset.bad_images=skip' in message


@pytest.mark.parametrize('test_mode', [False, True], ids=['train', 'val'])
def test_skip_policy_leaves_unreadable_images_out_and_reports_them(bad_tree, capsys, hub, test_mode):
    train = bad_tree / 'train'
    logger_name = f'skip_{test_mode}'  # a fresh logger, made here so that it prints to capsys's stdout
    MMLogger.get_instance(logger_name, logger_name=logger_name)
    dataset = ImageFolderDataset(data_root=str(bad_tree), data_prefix='train', bad_images='skip',
                                 test_mode=test_mode, pipeline=[LoadImage()])
    log = capsys.readouterr().out  # mmengine's logger prints to stdout

    assert [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))] == [
        str(train / 'cat' / 'a.png'), str(train / 'dog' / 'd.png')]
    assert [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))] == [0, 1]
    assert dataset.metainfo['classes'] == ('cat', 'dog')
    assert int(dataset[1]['img'][0, 0, 0]) == 20
    report = hub.get_info(SKIPPED_IMAGES_INFO)[str(train)]
    assert report['checked'] == 5
    assert [item['path'] for item in report['skipped']] == [
        str(train / 'cat' / 'b.png'), str(train / 'cat' / 'c.png'), str(train / 'dog' / 'e.png')]
    assert all(item['reason'] for item in report['skipped'])
    assert 'WARNING' in log and 'left out 3 of 5 images' in log
    assert f"{train / 'cat' / 'b.png'} (OSError: image file is truncated)" in log


def test_skip_policy_records_a_clean_folder_too(tmp_path, hub):
    write_png(tmp_path / 'val' / 'cat' / 'a.png')

    ImageFolderDataset(data_root=str(tmp_path), data_prefix='val', bad_images='skip')

    assert hub.get_info(SKIPPED_IMAGES_INFO) == {str(tmp_path / 'val'): dict(checked=1, skipped=[])}


def test_skip_policy_in_annotation_mode(bad_tree, hub):
    (bad_tree / 'train.txt').write_text('cat/a.png cat\ncat/c.png cat\ndog/d.png dog\n')

    dataset = ImageFolderDataset(data_root=str(bad_tree), data_prefix='train', ann_file='train.txt',
                                 bad_images='skip')

    assert len(dataset) == 2 and dataset.get_data_info(1)['gt_label'] == 1


def test_a_class_with_no_readable_image_is_refused(bad_tree, hub):
    (bad_tree / 'train' / 'dog' / 'd.png').unlink()

    with pytest.raises(ValueError, match=r"no image of class\(es\) \['dog'\] in .*train can be read"):
        ImageFolderDataset(data_root=str(bad_tree), data_prefix='train', bad_images='skip')


def test_unknown_policy_is_refused(bad_tree):
    with pytest.raises(ValueError, match="bad_images='ignore' is not a policy; use 'error'"):
        ImageFolderDataset(data_root=str(bad_tree), data_prefix='train', bad_images='ignore')


def test_find_unreadable_keeps_order_and_gives_the_cause(bad_tree):
    train = bad_tree / 'train'
    paths = [str(train / 'dog' / 'e.png'), str(train / 'cat' / 'a.png'), str(train / 'cat' / 'c.png')]

    def read(path):
        try:
            with Image.open(path) as image:
                image.load()
        except OSError as error:
            raise ImageLoadError(path) from error

    found = find_unreadable(paths, read)

    assert [item.path for item in found] == [paths[0], paths[2]]
    assert found[0].reason.startswith('UnidentifiedImageError: ')
