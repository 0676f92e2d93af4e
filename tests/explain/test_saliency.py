"""Saliency maps that can fail: a model trained on images whose class is decided by a bright patch in the top-left
corner (the other class has none) must look at that corner; ``adaptcls explain`` writes the overlay and the raw map."""
import os
import runpy

import numpy as np
import pytest
from PIL import Image

from tests.tools.conftest import REPO, tiny_config

SIZE = 128
PATCH = 32
TRAIN, VAL = 40, 10


def _image(rng, with_patch: bool) -> np.ndarray:
    image = rng.integers(0, 120, (SIZE, SIZE, 3), dtype=np.uint8)
    if with_patch:
        image[:PATCH, :PATCH] = 255
    return image


@pytest.fixture(scope='module')
def corner_model(tmp_path_factory):
    """A tiny model trained to tell 'corner' (a white patch top left) from 'plain' images at 128 px (a 4 x 4 last map)."""
    root = tmp_path_factory.mktemp('corner')
    rng = np.random.default_rng(0)
    for split, count in (('train', TRAIN), ('val', VAL)):
        for name, with_patch in (('corner', True), ('plain', False)):
            (root / 'data' / split / name).mkdir(parents=True)
            for index in range(count):
                Image.fromarray(_image(rng, with_patch)).save(root / 'data' / split / name / f'{index}.png')
    cfg = tiny_config(max_epochs=6)
    pipeline = [dict(type='LoadImage'), dict(type='Resize', size=SIZE), dict(type='PackClsInputs')]  # no flip
    cfg.train_pipeline = cfg.test_pipeline = pipeline
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.pipeline = pipeline
        cfg[key].batch_size = 8
    config = str(root / 'corner.py')
    cfg.dump(config)
    work_dir = root / 'work'
    runpy.run_path(os.path.join(REPO, 'tools', 'train.py'), run_name='adaptcls_tool')['main'](
        [config, '--data-root', str(root / 'data'), '--work-dir', str(work_dir), '--no-auto-lr', '--seed', '0'])
    return dict(checkpoint=str(work_dir / 'best.pth'), val=root / 'data' / 'val')


def test_the_map_of_a_corner_decided_class_peaks_in_that_corner(corner_model):
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.inference import CheckpointClassifier
    from adaptcls.apis.saliency import SaliencyExplainer
    classifier = CheckpointClassifier(run_config(corner_model['checkpoint']), corner_model['checkpoint'])
    explainer = SaliencyExplainer(classifier)
    half = SIZE // 2
    quarters = []
    for path in sorted((corner_model['val'] / 'corner').glob('*.png')):
        explanation = explainer.explain(str(path), 'corner')
        assert explanation.saliency.shape == (SIZE, SIZE)
        saliency = explanation.saliency
        quarters.append([saliency[:half, :half].mean(), saliency[:half, half:].mean(), saliency[half:, :half].mean(),
                         saliency[half:, half:].mean()])
    explainer.close()
    quarters = np.array(quarters)
    # in most images, and on average, the top-left quarter is the brightest
    assert (quarters.argmax(1) == 0).mean() >= 0.7, quarters  # chance: 0.25
    assert quarters.mean(0).argmax() == 0, quarters.mean(0)


def test_explain_writes_overlays_and_raw_maps(corner_model, tmp_path, capsys):
    from adaptcls.cli.explain import main
    image = str(sorted((corner_model['val'] / 'corner').glob('*.png'))[0])
    main([corner_model['checkpoint'], image, '--out', str(tmp_path / 'maps')])
    stem = os.path.splitext(os.path.basename(image))[0]
    overlay = Image.open(tmp_path / 'maps' / f'{stem}_saliency.png')
    raw = np.load(tmp_path / 'maps' / f'{stem}_saliency.npy')
    assert overlay.size == (SIZE, SIZE) and raw.shape == (SIZE, SIZE) and 0 <= raw.min() <= raw.max() <= 1
    assert f'{image}: corner ' in capsys.readouterr().out


def test_explain_refuses_an_unknown_class_and_an_ir(corner_model, tmp_path):
    from adaptcls.cli.explain import main
    from adaptcls.errors import UserInputError
    image = str(sorted((corner_model['val'] / 'corner').glob('*.png'))[0])
    with pytest.raises(UserInputError, match=r"--class circle: the model has no such class; its classes are "
                                             r"\['corner', 'plain'\]"):
        main([corner_model['checkpoint'], image, '--class', 'circle', '--out', str(tmp_path / 'maps')])
    with pytest.raises(UserInputError, match='give the .pth the IR was exported from'):
        main([str(tmp_path / 'model.xml'), image])
