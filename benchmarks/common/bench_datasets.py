"""Real class-folder data sets for the recipe benchmark: digits, a Fashion-MNIST subset, a CIFAR-10 subset.

Each function writes (or finds complete) one data set in the project's data-root layout, ``train/<class>/`` and
``val/<class>/``, and returns its root. Subsets are seeded and class-balanced, so every run of the benchmark
trains on the same images.
"""
import gzip
import os
import subprocess
import sys
from typing import Dict, Optional, Sequence

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
FASHION_MNIST_CLASSES = ('t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag',
                         'ankle_boot')
CIFAR10_DIR = os.path.join(os.path.dirname(REPO), 'shared', 'data', 'cifar10_6k')
COMPLETE_MARK = 'complete'
SPLITS = ('train', 'val')
UPSCALED_JPEG_QUALITY = 90
"""JPEG quality of :func:`upscaled_jpegs` (a typical camera / web photo setting)."""


def _chosen_classes(data_set: str, available: Sequence[str], classes: Optional[Sequence[str]]) -> Sequence[str]:
    """``classes`` (all of ``available`` when None), checked against ``available``.

    Raises:
        SystemExit: a class is not one of ``available`` (the message lists them).
    """
    if classes is None:
        return tuple(available)
    unknown = sorted(set(classes) - set(available))
    if unknown:
        sys.exit(f'{data_set} has no class {", ".join(unknown)}: its classes are {", ".join(available)}.')
    return tuple(sorted(set(classes)))


def _subset_folder(root: str, data_set: str, train_per_class: int, val_per_class: int, seed: int,
                   classes: Sequence[str], all_classes: int) -> str:
    """The subset's folder: its name says the images per class, the class count and seed (and a class subset)."""
    name = f'{data_set}_{train_per_class}x{len(classes)}_{val_per_class}x{len(classes)}_seed{seed}'
    if len(classes) < all_classes:
        name += '_' + '-'.join(classes)
    return os.path.join(root, name)


def read_idx(path: str) -> np.ndarray:
    """Reads a gzip'ed IDX file (the MNIST format: big-endian header of dimension sizes, then uint8 data)."""
    with gzip.open(path, 'rb') as stream:
        raw = stream.read()
    num_dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(num_dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * num_dims).reshape(shape)


def fashion_mnist_subset(root: str, train_per_class: int, val_per_class: int, seed: int = 0,
                         classes: Optional[Sequence[str]] = None) -> str:
    """A seeded class-balanced Fashion-MNIST subset as PNG class folders (val images from its test set).

    Args:
        classes (Sequence[str], optional): names from ``FASHION_MNIST_CLASSES`` to keep (default: all 10).

    Raises:
        SystemExit: Fashion-MNIST is not installed (the message says how to install it), or a class is unknown.
    """
    classes = _chosen_classes('fashion_mnist', FASHION_MNIST_CLASSES, classes)
    out = _subset_folder(root, 'fashion_mnist', train_per_class, val_per_class, seed, classes,
                         len(FASHION_MNIST_CLASSES))
    if os.path.isfile(os.path.join(out, COMPLETE_MARK)):
        return out
    if not os.path.isdir(FASHION_MNIST_DIR):
        sys.exit(f'Fashion-MNIST is not installed in {FASHION_MNIST_DIR}: run '
                 '`apt-get update && apt-get install -y dataset-fashion-mnist` (or leave fashion_mnist out of '
                 '--datasets).')
    rng = np.random.default_rng(seed)
    for split, prefix, per_class in (('train', 'train', train_per_class), ('val', 't10k', val_per_class)):
        images = read_idx(os.path.join(FASHION_MNIST_DIR, f'{prefix}-images-idx3-ubyte.gz'))
        labels = read_idx(os.path.join(FASHION_MNIST_DIR, f'{prefix}-labels-idx1-ubyte.gz'))
        for label, name in enumerate(FASHION_MNIST_CLASSES):
            if name not in classes:
                continue
            folder = os.path.join(out, split, name)
            os.makedirs(folder, exist_ok=True)
            chosen = rng.choice(np.flatnonzero(labels == label), size=per_class, replace=False)
            for index in chosen:
                Image.fromarray(images[index]).save(os.path.join(folder, f'{prefix}_{index:05d}.png'))
    open(os.path.join(out, COMPLETE_MARK), 'w').close()
    return out


def cifar10_subset(root: str, train_per_class: int, val_per_class: int, seed: int = 0,
                   source: Optional[str] = None, classes: Optional[Sequence[str]] = None) -> str:
    """A seeded class-balanced subset of ``shared/data/cifar10_6k`` (500 train / 100 val JPEGs per class), as
    symbolic links to the shared files.

    Args:
        source (str, optional): the CIFAR-10 class folders (default: :data:`CIFAR10_DIR`).
        classes (Sequence[str], optional): class folder names to keep (default: all 10).

    Raises:
        SystemExit: the shared CIFAR-10 folder is missing, holds fewer images than asked for, or lacks a class.
    """
    source = source or CIFAR10_DIR
    if not os.path.isdir(os.path.join(source, 'train')):
        sys.exit(f'CIFAR-10 class folders not found in {source} (shared/data/cifar10_6k; see shared/data/README.md).')
    available = sorted(os.listdir(os.path.join(source, 'train')))
    classes = _chosen_classes('cifar10', available, classes)
    out = _subset_folder(root, 'cifar10', train_per_class, val_per_class, seed, classes, len(available))
    if os.path.isfile(os.path.join(out, COMPLETE_MARK)):
        return out
    rng = np.random.default_rng(seed)
    for split, per_class in (('train', train_per_class), ('val', val_per_class)):
        for name in classes:
            files = sorted(os.listdir(os.path.join(source, split, name)))
            if len(files) < per_class:
                sys.exit(f'{source}/{split}/{name} holds {len(files)} images, fewer than the {per_class} asked for.')
            folder = os.path.join(out, split, name)
            os.makedirs(folder, exist_ok=True)
            for file_name in sorted(rng.choice(files, size=per_class, replace=False)):
                link = os.path.join(folder, file_name)
                if not os.path.lexists(link):
                    os.symlink(os.path.abspath(os.path.join(source, split, name, file_name)), link)
    open(os.path.join(out, COMPLETE_MARK), 'w').close()
    return out


def upscaled_jpegs(source: str, root: str, side: int, quality: int = UPSCALED_JPEG_QUALITY) -> str:
    """A copy of the class-folder data set ``source`` with every image resized (bicubic) to ``side`` x ``side`` px and
    written as a JPEG of ``quality``: images that cost what a camera photo of that size costs to decode and resize
    (their content is the small source upscaled). For benchmarks of the data pipeline at 224 px.

    Raises:
        SystemExit: ``source`` holds no ``train/`` folder.
    """
    out = os.path.join(root, f'{os.path.basename(os.path.normpath(source))}_{side}px_q{quality}')
    if os.path.isfile(os.path.join(out, COMPLETE_MARK)):
        return out
    if not os.path.isdir(os.path.join(source, 'train')):
        sys.exit(f'{source}: no train/ class folders to upscale.')
    for folder, _, files in os.walk(source, followlinks=True):
        target = os.path.join(out, os.path.relpath(folder, source))
        os.makedirs(target, exist_ok=True)
        for file_name in sorted(files):
            if file_name == COMPLETE_MARK:
                continue
            with Image.open(os.path.join(folder, file_name)) as image:
                image.convert('RGB').resize((side, side), Image.BICUBIC).save(
                    os.path.join(target, os.path.splitext(file_name)[0] + '.jpg'), quality=quality)
    open(os.path.join(out, COMPLETE_MARK), 'w').close()
    return out


def digits(root: str) -> str:
    """The built-in demo data (tools/make_demo_data.py: scikit-learn digits, 1437 train / 360 val)."""
    out = os.path.join(root, 'digits')
    subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'make_demo_data.py'), '--out', out], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def prepare(names, root: str, train_per_class: int, val_per_class: int,
            classes: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """Data roots of the named built-in data sets ('digits', 'fashion_mnist', 'cifar10'), written if absent;
    ``classes`` restricts the Fashion-MNIST and CIFAR-10 subsets to those classes (digits has no subset), and the
    data set's name says how many it kept (e.g. ``cifar10_5classes``)."""
    if classes and 'digits' in names:
        sys.exit('--classes selects classes of the fashion_mnist and cifar10 subsets; leave digits out of --datasets.')
    makers = dict(digits=lambda: digits(root),
                  fashion_mnist=lambda: fashion_mnist_subset(root, train_per_class, val_per_class, classes=classes),
                  cifar10=lambda: cifar10_subset(root, train_per_class, val_per_class, classes=classes))
    suffix = f'_{len(set(classes))}classes' if classes else ''
    return {name + suffix: makers[name]() for name in names}
