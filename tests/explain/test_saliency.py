"""Saliency maps that can fail: a model trained on images whose class is decided by a bright patch in the top-left
corner (the other class has none) must look at that corner; ``adaptcls explain`` writes the overlay and the raw map."""
import os

import numpy as np
import pytest
from PIL import Image

from tests.explain.corner_data import SIZE, quarter_means


def test_the_map_of_a_corner_decided_class_peaks_in_that_corner(corner_model):
    from adaptcls.apis.classifier import run_config
    from adaptcls.apis.inference import CheckpointClassifier
    from adaptcls.apis.saliency import SaliencyExplainer
    classifier = CheckpointClassifier(run_config(corner_model['checkpoint']), corner_model['checkpoint'])
    explainer = SaliencyExplainer(classifier)
    quarters = []
    for path in sorted((corner_model['val'] / 'corner').glob('*.png')):
        explanation = explainer.explain(str(path), 'corner')
        assert explanation.saliency.shape == (SIZE, SIZE)
        quarters.append(quarter_means(explanation.saliency))
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


def test_explain_refuses_an_unknown_class_and_a_missing_ir(corner_model, tmp_path):
    from adaptcls.cli.explain import main
    from adaptcls.errors import UserInputError
    image = str(sorted((corner_model['val'] / 'corner').glob('*.png'))[0])
    with pytest.raises(UserInputError, match=r"--class circle: the model has no such class; its classes are "
                                             r"\['corner', 'plain'\]"):
        main([corner_model['checkpoint'], image, '--class', 'circle', '--out', str(tmp_path / 'maps')])
    with pytest.raises(FileNotFoundError, match='model.xml" does not exist; export one'):
        main([str(tmp_path / 'model.xml'), image])
