"""Picking and loading real images as the test pipeline prepares them."""
import numpy as np

from adaptcls.deployment.dataset_images import build_image_dataset, evenly_spaced, load_images, seeded_subset


def test_evenly_spaced_and_seeded_subsets():
    assert evenly_spaced(10, 4).tolist() == [0, 3, 6, 9]
    assert evenly_spaced(3, 10).tolist() == [0, 1, 2]
    subset = seeded_subset(100, 30, seed=1)
    assert len(set(subset.tolist())) == 30 and subset.tolist() == sorted(subset.tolist())
    assert subset.tolist() == seeded_subset(100, 30, seed=1).tolist()
    assert subset.tolist() != seeded_subset(100, 30, seed=2).tolist()
    assert seeded_subset(5, 30, seed=0).tolist() == [0, 1, 2, 3, 4]


def test_load_images_resizes_and_labels(digits):
    dataset = build_image_dataset(dict(type='ImageFolderDataset', data_root=digits, data_prefix='val'), (20, 24))
    images, labels = load_images(dataset, [0, len(dataset) - 1])
    assert images.shape == (2, 20, 24, 3) and images.dtype == np.uint8
    assert labels.tolist() == [0, 9]
    assert (images[..., 0] == images[..., 2]).all()  # grey PNGs become RGB
