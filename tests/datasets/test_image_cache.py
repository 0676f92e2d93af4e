"""The dataset's RAM cache of decoded images (adaptcls/datasets/image_cache.py): the cached head of the pipeline
gives the pixels decoding gives, the random steps still run on every access, the budget holds, forked DataLoader
workers share the cached pages, and the memory it reports is the memory it holds."""
import copy
import os
import random

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from adaptcls.datasets import ImageFolderDataset, LoadImage, Resize
from adaptcls.datasets import image_cache as image_cache_module
from adaptcls.datasets.image_cache import BYTES_PER_MB, CACHE_INFO, CacheSettings, mapping_residency
from adaptcls.datasets.transforms import (AugMix, PackClsInputs, RandomCrop, RandomHorizontalFlip,
                                          RandomRotate)

# (class, file name, (height, width), Pillow mode): sizes and modes differ so the packing offsets are exercised.
IMAGES = [('cat', 'a.png', (12, 20), 'RGB'), ('cat', 'b.jpg', (17, 9), 'RGB'), ('cat', 'c.png', (10, 10), 'L'),
          ('dog', 'd.png', (16, 16), 'RGBA'), ('dog', 'e.jpg', (30, 24), 'RGB'), ('dog', 'f.png', (8, 14), 'RGB')]
INDEX_BYTES_PER_IMAGE = 8 + 5 * 4
"""int64 start + int32 (H, W, 3) shape + int32 (H, W) decoded shape, per image."""
CACHE = dict(max_mb=1)


@pytest.fixture
def image_tree(tmp_path):
    """train/<class>/ with the IMAGES, random pixels (so that flips and crops change them)."""
    rng = np.random.default_rng(0)
    for label, name, (height, width), mode in IMAGES:
        path = tmp_path / 'train' / label / name
        path.parent.mkdir(parents=True, exist_ok=True)
        channels = {'RGB': 3, 'L': 1, 'RGBA': 4}[mode]
        pixels = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode).save(path)
    return tmp_path


@pytest.fixture
def hub(request):
    """A fresh current message hub (the Runner's, in a real run)."""
    return MessageHub.get_instance(request.node.name)


def fresh_logger(name):
    """Makes a fresh current mmengine logger, in the test itself, so that it prints to capsys's stdout."""
    MMLogger.get_instance(name, logger_name=name)


def train_pipeline(size=8):
    """The adaptive training pipeline's steps, small."""
    return [LoadImage(), RandomCrop(prob=1.0, scale=(0.5, 0.9)), Resize(size), AugMix(),
            RandomHorizontalFlip(), RandomRotate(prob=1.0), PackClsInputs()]


def build(root, pipeline, **kwargs):
    return ImageFolderDataset(data_root=str(root), data_prefix='train', pipeline=pipeline, **kwargs)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def test_cached_step_is_bit_identical_to_decoding(image_tree):
    dataset = build(image_tree, train_pipeline(), cache=CACHE)
    load = LoadImage()

    cache = dataset.image_cache
    assert cache.steps == (repr(load),)  # RandomCrop is random: the cache stops before it
    assert len(cache) == len(dataset) == len(IMAGES)
    for index in range(len(dataset)):
        decoded = load(dataset.get_data_info(index))
        cached = cache.get(index)
        assert cached['img'].dtype == np.uint8 and np.array_equal(cached['img'], decoded['img'])
        assert cached['img_shape'] == decoded['img_shape'] and cached['ori_shape'] == decoded['ori_shape']
        assert all(type(side) is int for side in cached['img_shape'] + cached['ori_shape'])


def test_a_test_pipeline_caches_load_and_resize(image_tree):
    dataset = build(image_tree, [LoadImage(), Resize(6), PackClsInputs()], cache=CACHE)
    load, resize = LoadImage(), Resize(6)

    assert dataset.image_cache.steps == (repr(load), repr(resize))
    for index in range(len(dataset)):
        expected = resize(load(dataset.get_data_info(index)))
        cached = dataset.image_cache.get(index)
        assert np.array_equal(cached['img'], expected['img'])
        assert (cached['img_shape'], cached['ori_shape']) == (expected['img_shape'], expected['ori_shape'])
        assert dataset[index]['data_samples'].ori_shape == IMAGES[index][2]  # the decoded size, not the cached


def test_cached_samples_equal_uncached_ones_drawn_with_the_same_seed(image_tree):
    cached, plain = build(image_tree, train_pipeline(), cache=CACHE), build(image_tree, train_pipeline())

    for index in range(len(plain)):
        seed_everything(index)
        expected = plain[index]
        seed_everything(index)
        got = cached[index]
        assert torch.equal(got['inputs'], expected['inputs'])
        assert got['data_samples'].metainfo == expected['data_samples'].metainfo
    assert cached.image_cache is not None


def test_augmentation_is_drawn_on_every_access(image_tree):
    dataset = build(image_tree, train_pipeline(), cache=CACHE)
    seed_everything(0)

    first, second = dataset[4]['inputs'], dataset[4]['inputs']

    assert not torch.equal(first, second)
    assert np.array_equal(dataset.image_cache.get(4)['img'], LoadImage()(dataset.get_data_info(4))['img'])


def test_the_cache_hands_out_copies_and_is_read_only(image_tree):
    dataset = build(image_tree, train_pipeline(), cache=CACHE)
    cache = dataset.image_cache
    before = cache.get(0)['img'].copy()

    cache.get(0)['img'][:] = 0  # a transform that writes in place changes its copy only

    assert np.array_equal(cache.get(0)['img'], before)
    with pytest.raises(ValueError, match='read-only'):
        cache.pixels[0] = 1
    assert copy.deepcopy(cache) is cache


class WorkerProbe(Dataset):
    """A cached dataset's samples, each with the id of the process that made it and how that process holds the
    cache's memory map right after reading it."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        sample, cache = self.dataset[index], self.dataset.image_cache
        return dict(index=index, inputs=sample['inputs'], pid=os.getpid(),
                    sharing=None if cache is None else cache.page_sharing())


def iterate_epochs(dataset, epochs, seed=0):
    """Per epoch, the probe's items in index order, read by 2 persistent, forked workers."""
    torch.manual_seed(seed)  # seeds the workers' torch generators (the transforms above draw from torch)
    loader = DataLoader(WorkerProbe(dataset), batch_size=2, num_workers=2, persistent_workers=True,
                        shuffle=False, collate_fn=list, multiprocessing_context='fork')
    return [[item for batch in loader for item in batch] for _ in range(epochs)]


@pytest.mark.skipif(not os.path.isdir('/proc/self'), reason='reads /proc/<pid>/smaps (Linux)')
def test_persistent_workers_share_the_cache_and_draw_new_augmentation_each_epoch(image_tree):
    torch_only = [LoadImage(), RandomCrop(prob=1.0, scale=(0.5, 0.9)), Resize(8), RandomHorizontalFlip(),
                  RandomRotate(prob=1.0), PackClsInputs()]  # AugMix draws from numpy, which forked workers share
    dataset = build(image_tree, torch_only, cache=CACHE)
    uncached = build(image_tree, torch_only)

    epochs = iterate_epochs(dataset, epochs=2)
    uncached_first = iterate_epochs(uncached, epochs=1)[0]

    first, second = epochs
    assert [item['index'] for item in first] == [item['index'] for item in second] == list(range(len(IMAGES)))
    assert not all(torch.equal(a['inputs'], b['inputs']) for a, b in zip(first, second))  # drawn per epoch
    assert all(torch.equal(a['inputs'], b['inputs']) for a, b in zip(first, uncached_first))  # same seeds
    workers = {item['pid'] for item in first + second}
    assert len(workers) == 2 and os.getpid() not in workers
    for pid in workers:  # each worker's last report: it reads the parent's pages, holding no copy of its own
        sharing = [item['sharing'] for item in second if item['pid'] == pid][-1]
        assert sharing is not None and sharing['private'] == 0 and sharing['shared'] > 0


def test_memory_accounting_matches_the_images_and_the_resident_pages(image_tree, hub):
    dataset = build(image_tree, train_pipeline(), cache=CACHE)
    cache = dataset.image_cache
    decoded = [LoadImage()(dataset.get_data_info(index))['img'] for index in range(len(dataset))]

    pixel_bytes = sum(img.nbytes for img in decoded)
    assert cache.pixels.nbytes == pixel_bytes
    assert cache.nbytes == pixel_bytes + len(IMAGES) * INDEX_BYTES_PER_IMAGE
    record = hub.get_info(CACHE_INFO)[dataset.image_root]
    assert record['images'] == len(IMAGES) and record['mb'] == pytest.approx(cache.nbytes / BYTES_PER_MB)
    assert record['budget_mb'] == CACHE['max_mb'] and record['fill_s'] >= 0
    sharing = cache.page_sharing()
    if sharing is not None:  # Linux: what is resident is the written bytes, rounded up to whole pages
        page = os.sysconf('SC_PAGE_SIZE')
        assert sharing['rss'] == -(-pixel_bytes // page) * page


def test_a_data_set_over_the_budget_is_not_cached_and_the_log_says_why(image_tree, hub, capsys):
    fresh_logger('over_budget')
    decoded_bytes = sum(h * w * 3 for _, _, (h, w), _ in IMAGES)
    budget_mb = decoded_bytes / 2 / BYTES_PER_MB

    dataset = build(image_tree, train_pipeline(), cache=dict(max_mb=budget_mb))
    printed = capsys.readouterr().out

    assert dataset.image_cache is None
    assert 'WARNING' in printed and f'image cache off for {dataset.image_root}' in printed
    assert 'more than the budget' in printed and 'cache.max_mb' in printed
    assert hub.get_info(CACHE_INFO)[dataset.image_root]['images'] == 0
    seed_everything(0)
    assert dataset[0]['inputs'].shape == (3, 8, 8)  # still works, decoding each time


def test_a_budget_that_just_fits_caches_everything(image_tree, capsys):
    fresh_logger('just_fits')
    needed = sum(h * w * 3 for _, _, (h, w), _ in IMAGES) + len(IMAGES) * INDEX_BYTES_PER_IMAGE

    fits = build(image_tree, train_pipeline(), cache=dict(max_mb=needed / BYTES_PER_MB))
    short = build(image_tree, train_pipeline(), cache=dict(max_mb=(needed - 1) / BYTES_PER_MB))

    assert fits.image_cache is not None and fits.image_cache.nbytes == needed
    assert short.image_cache is None
    assert 'image cache: 6 images' in capsys.readouterr().out


def test_the_available_memory_caps_the_budget(image_tree, capsys, monkeypatch):
    fresh_logger('capped')
    monkeypatch.setattr(image_cache_module, 'available_memory_bytes', lambda: 1000)

    dataset = build(image_tree, train_pipeline(), cache=dict(max_mb=1024))

    assert dataset.image_cache is None
    assert 'capped at 50% of the' in capsys.readouterr().out


def test_size_pipeline_caches_at_the_resize_size_and_uncropped_samples_stay_identical(image_tree):
    no_crop = [LoadImage(), RandomCrop(prob=0.0), Resize(8), AugMix(), RandomHorizontalFlip(), RandomRotate(prob=1.0),
               PackClsInputs()]
    cached = build(image_tree, no_crop, cache=dict(max_mb=1, size='pipeline'))
    plain = build(image_tree, no_crop)

    cache = cached.image_cache
    assert cache.num_steps == 1 and cache.steps[1].startswith('Resize(size=(8, 8)')
    assert cache.nbytes == len(IMAGES) * (8 * 8 * 3 + INDEX_BYTES_PER_IMAGE)
    for index in range(len(plain)):
        assert cache.get(index)['img_shape'] == (8, 8) and cache.get(index)['ori_shape'] == IMAGES[index][2]
        seed_everything(index)
        expected = plain[index]
        seed_everything(index)
        assert torch.equal(cached[index]['inputs'], expected['inputs'])  # Resize(8) of an 8x8 image: nothing to do


def test_size_pipeline_crops_from_the_resized_image(image_tree):
    dataset = build(image_tree, train_pipeline(size=8), cache=dict(max_mb=1, size='pipeline'))
    plain = build(image_tree, train_pipeline(size=8))

    seed_everything(0)
    cropped = dataset[4]['inputs']
    seed_everything(0)
    expected = plain[4]['inputs']

    assert cropped.shape == expected.shape == (3, 8, 8)
    assert not torch.equal(cropped, expected)  # the crop (prob 1) cuts the 8x8 image, not the 30x24 one


def test_an_explicit_size_resizes_every_image(image_tree):
    dataset = build(image_tree, train_pipeline(), cache=dict(max_mb=1, size=[5, 7]))

    assert {dataset.image_cache.get(index)['img_shape'] for index in range(len(dataset))} == {(5, 7)}


def test_size_pipeline_needs_a_resize_in_the_pipeline(image_tree):
    with pytest.raises(ValueError, match="cache.size='pipeline'"):
        build(image_tree, [LoadImage(), PackClsInputs()], cache=dict(max_mb=1, size='pipeline'))


def test_subsets_keep_their_cached_images(image_tree):
    dataset = build(image_tree, train_pipeline(), cache=CACHE)
    indexed = build(image_tree, train_pipeline(), cache=CACHE, indices=[5, 1, 3])

    copied = dataset.get_subset([4, 0])
    dataset.get_subset_(-2)

    for subset in (indexed, copied, dataset):
        assert len(subset.image_cache) == len(subset)
        for index in range(len(subset)):
            decoded = LoadImage()(subset.get_data_info(index))['img']
            assert np.array_equal(subset.image_cache.get(index)['img'], decoded)
    assert copied.image_cache.pixels is dataset.image_cache.pixels  # shared, not copied


def test_a_pipeline_without_load_image_first_is_not_cached(image_tree, capsys):
    fresh_logger('no_load')
    no_load = build(image_tree, [Resize(4)], cache=CACHE, lazy_init=True)
    no_load.full_init()
    empty = build(image_tree, [], cache=CACHE)

    assert no_load.image_cache is None and empty.image_cache is None
    printed = capsys.readouterr().out
    assert 'does not start with LoadImage' in printed and printed.count('image cache off') == 1


def test_no_cache_is_the_default(image_tree, hub):
    dataset = build(image_tree, train_pipeline())

    assert dataset.cache_settings is None and dataset.image_cache is None
    assert hub.get_info(CACHE_INFO) is None


@pytest.mark.parametrize('cache, key', [
    (dict(max_gb=1), 'max_gb'), (dict(max_mb=0), 'max_mb'), (dict(max_mb='big'), 'max_mb'),
    (dict(size=0), 'cache.size'), (dict(size=(4, 4, 3)), 'cache.size'), (dict(size='auto'), 'cache.size'),
    (dict(size=True), 'cache.size'), (dict(size=[4.0, 4]), 'cache.size'), (512, 'cache'),
])
def test_bad_cache_settings_name_the_key(cache, key):
    with pytest.raises(ValueError, match=key):
        CacheSettings.from_config(cache)


def test_cache_settings_defaults():
    assert CacheSettings.from_config(None) is None
    assert CacheSettings.from_config({}) == CacheSettings(max_mb=2048.0, size=None)
    assert CacheSettings.from_config(dict(size=(4, 6))).size == (4, 6)


def test_mapping_residency_is_none_outside_a_shared_map():
    assert mapping_residency(id(object())) is None
