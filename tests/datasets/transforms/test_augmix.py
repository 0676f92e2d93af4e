"""Tests of AugMix (timm's implementation behind adaptcls options) and the AugMix base config."""
import os.path as osp
import random

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose, worker_init_fn
from mmengine.registry import DefaultScope
from PIL import Image
from skimage import data as skimage_data

from adaptcls.datasets.transforms import AugMix, Resize
from adaptcls.datasets.transforms.augmix import augmix_timm_config
from adaptcls.registry import TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BASE_DATASETS = osp.join(REPO, 'configs', '_base_', 'datasets')
# recipe.md: autocontrast, equalize, posterize, solarize, color, contrast, brightness, sharpness,
# shear x/y, translate x/y, rotate -- under timm's names.
RECIPE_OPS = {'AutoContrast', 'Equalize', 'PosterizeIncreasing', 'SolarizeIncreasing', 'ColorIncreasing',
              'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing', 'ShearX', 'ShearY',
              'TranslateXRel', 'TranslateYRel', 'Rotate'}


def astronaut(size=64):
    img = skimage_data.astronaut()
    return Resize(size)(dict(img=img, img_shape=img.shape[:2]))['img']


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)


def test_builds_from_the_registry_with_recipe_defaults():
    with DefaultScope.overwrite_default_scope('adaptcls'):
        augmix = TRANSFORMS.build(dict(type='AugMix'))

    timm_augmix = augmix.augment
    assert augmix.config_str == 'augmix-m5-w3-a1-b0' and augmix.prob == 1.0
    assert (timm_augmix.width, timm_augmix.depth, timm_augmix.alpha, timm_augmix.blended) == (3, -1, 1.0, False)
    assert {op.name for op in timm_augmix.ops} == RECIPE_OPS and len(timm_augmix.ops) == len(RECIPE_OPS)
    for op in timm_augmix.ops:
        assert (op.magnitude, op.magnitude_std, op.prob) == (5, float('inf'), 1.0)
        assert op.hparams['translate_pct'] == 0.3
        assert op.kwargs == dict(fillcolor=(124, 116, 104), resample=Image.Resampling.BILINEAR)


@pytest.mark.parametrize('options, config_str', [
    (dict(), 'augmix-m5-w3-a1-b0'),
    (dict(severity=3, width=4, depth=2, alpha=0.5, blended=True), 'augmix-m3-w4-d2-a0.5-b1'),
    (dict(severity=10, alpha=0.00001), 'augmix-m10-w3-a0.00001-b0'),
])
def test_options_map_to_the_timm_config_string(options, config_str):
    augmix = AugMix(**options)
    assert augmix.config_str == config_str
    timm_augmix = augmix.augment
    assert timm_augmix.width == options.get('width', 3) and timm_augmix.depth == options.get('depth', -1)
    assert timm_augmix.alpha == options.get('alpha', 1.0)
    assert timm_augmix.blended == options.get('blended', False)
    assert {op.magnitude for op in timm_augmix.ops} == {options.get('severity', 5)}


def test_hparams_carry_fill_translation_and_interpolation():
    config_str, hparams = augmix_timm_config(5, 3, -1, 1.0, False, fill=(1, 2, 3), translate_pct=0.2,
                                             interpolation='random')
    assert config_str == 'augmix-m5-w3-a1-b0'
    assert hparams == dict(img_mean=(1, 2, 3), translate_pct=0.2, magnitude_std=float('inf'))
    op = AugMix(fill=(1, 2, 3), interpolation='bicubic').augment.ops[0]
    assert op.kwargs == dict(fillcolor=(1, 2, 3), resample=Image.Resampling.BICUBIC)


@pytest.mark.parametrize('options', [
    dict(severity=11), dict(severity=2.5), dict(width=0), dict(depth=0), dict(depth=-2), dict(alpha=0),
    dict(prob=1.5), dict(fill=(0, 0)), dict(translate_pct=2), dict(interpolation='nearest'),
])
def test_rejects_bad_options(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        AugMix(**options)


def test_op_magnitudes_are_uniform_in_zero_to_severity():
    augmix = AugMix(severity=5)
    magnitudes = []
    for op in augmix.augment.ops:
        if op.level_fn is not None:  # AutoContrast and Equalize take no magnitude
            op.level_fn = _recording(op.level_fn, magnitudes)
    seed_all(0)
    img = astronaut(8)
    for _ in range(300):
        augmix(dict(img=img))

    magnitudes = np.array(magnitudes)
    assert len(magnitudes) > 1000
    assert magnitudes.min() >= 0 and magnitudes.max() <= 5
    assert magnitudes.min() < 0.1 and magnitudes.max() > 4.9
    assert magnitudes.mean() == pytest.approx(2.5, abs=0.15)
    assert np.histogram(magnitudes, bins=5, range=(0, 5))[0].min() > 0.15 * len(magnitudes)


def _recording(level_fn, magnitudes):
    def record(magnitude, hparams):
        magnitudes.append(magnitude)
        return level_fn(magnitude, hparams)
    return record


def test_changes_a_natural_image_and_keeps_shape_and_dtype():
    img = astronaut()
    original = img.copy()
    seed_all(1)
    out = AugMix()(dict(img=img))['img']

    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - original).mean() > 2
    np.testing.assert_array_equal(img, original)  # the input array is not modified


def test_same_seed_gives_the_same_image():
    img = astronaut()
    augmix = AugMix()
    outputs = []
    for seed in (5, 5, 6):
        seed_all(seed)
        outputs.append(augmix(dict(img=img))['img'])

    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.array_equal(outputs[0], outputs[2])


def test_mmengine_worker_seeding_makes_workers_reproducible_and_distinct():
    img = astronaut(32)
    augmix = AugMix()

    def first_image(worker_id):
        worker_init_fn(worker_id, num_workers=2, rank=0, seed=7)
        return augmix(dict(img=img))['img']

    np.testing.assert_array_equal(first_image(0), first_image(0))
    assert not np.array_equal(first_image(0), first_image(1))


def test_prob_zero_is_identity():
    img = astronaut()
    results = AugMix(prob=0.0)(dict(img=img))
    assert results['img'] is img


def test_augmix_config_pipeline_runs_on_a_png(tmp_path):
    path = str(tmp_path / 'astronaut.png')
    Image.fromarray(astronaut(48)).save(path)
    cfg = Config.fromfile(osp.join(BASE_DATASETS, 'image_folder_augmix.py'))

    assert [step['type'] for step in cfg.train_pipeline] == [
        'LoadImage', 'RandomCrop', 'Resize', 'AugMix', 'RandomHorizontalFlip', 'RandomRotate', 'PackClsInputs']
    assert cfg.train_dataloader.dataset.pipeline == cfg.train_pipeline
    with DefaultScope.overwrite_default_scope('adaptcls'):
        pipeline = Compose(cfg.train_pipeline)
    seed_all(0)
    packed = pipeline(dict(img_path=path, gt_label=2))

    assert packed['inputs'].shape == (3, 224, 224) and str(packed['inputs'].dtype) == 'torch.uint8'
    assert packed['data_samples'].gt_label.item() == 2
    assert isinstance(pipeline.transforms[3], AugMix) and pipeline.transforms[3].config_str == 'augmix-m5-w3-a1-b0'


def test_augmix_config_matches_the_basic_config_except_the_train_pipeline():
    augmix = Config.fromfile(osp.join(BASE_DATASETS, 'image_folder_augmix.py')).to_dict()
    basic = Config.fromfile(osp.join(BASE_DATASETS, 'image_folder_basic_aug.py')).to_dict()
    for cfg in (augmix, basic):
        cfg.pop('train_pipeline')
        cfg['train_dataloader']['dataset'].pop('pipeline')
    assert augmix == basic
