"""Real class-folder data sets for the recipe benchmark: digits, a Fashion-MNIST subset, a CIFAR-10 subset.

Each function writes (or finds complete) one data set in the project's data-root layout, ``train/<class>/`` and
``val/<class>/``, and returns its root. Subsets are seeded and class-balanced, so every run of the benchmark
trains on the same images.
"""
import gzip
import os
import subprocess
import sys
from typing import Dict

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


def read_idx(path: str) -> np.ndarray:
    """Reads a gzip'ed IDX file (the MNIST format: big-endian header of dimension sizes, then uint8 data)."""
    with gzip.open(path, 'rb') as stream:
        raw = stream.read()
    num_dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(num_dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * num_dims).reshape(shape)


def fashion_mnist_subset(root: str, train_per_class: int, val_per_class: int, seed: int = 0) -> str:
    """A seeded class-balanced Fashion-MNIST subset as PNG class folders (val images from its test set).

    Raises:
        SystemExit: Fashion-MNIST is not installed (the message says how to install it).
    """
    out = os.path.join(root, f'fashion_mnist_{train_per_class}x10_{val_per_class}x10_seed{seed}')
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
            folder = os.path.join(out, split, name)
            os.makedirs(folder, exist_ok=True)
            chosen = rng.choice(np.flatnonzero(labels == label), size=per_class, replace=False)
            for index in chosen:
                Image.fromarray(images[index]).save(os.path.join(folder, f'{prefix}_{index:05d}.png'))
    open(os.path.join(out, COMPLETE_MARK), 'w').close()
    return out


def cifar10_subset(root: str, train_per_class: int, val_per_class: int, seed: int = 0,
                   source: str = CIFAR10_DIR) -> str:
    """A seeded class-balanced subset of ``shared/data/cifar10_6k`` (500 train / 100 val JPEGs per class), as
    symbolic links to the shared files.

    Raises:
        SystemExit: the shared CIFAR-10 folder is missing or holds fewer images than asked for.
    """
    out = os.path.join(root, f'cifar10_{train_per_class}x10_{val_per_class}x10_seed{seed}')
    if os.path.isfile(os.path.join(out, COMPLETE_MARK)):
        return out
    if not os.path.isdir(os.path.join(source, 'train')):
        sys.exit(f'CIFAR-10 class folders not found in {source} (shared/data/cifar10_6k; see shared/data/README.md).')
    rng = np.random.default_rng(seed)
    for split, per_class in (('train', train_per_class), ('val', val_per_class)):
        for name in sorted(os.listdir(os.path.join(source, split))):
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


def prepare(names, root: str, train_per_class: int, val_per_class: int) -> Dict[str, str]:
    """Data roots of the named built-in data sets ('digits', 'fashion_mnist', 'cifar10'), written if absent."""
    makers = dict(digits=lambda: digits(root),
                  fashion_mnist=lambda: fashion_mnist_subset(root, train_per_class, val_per_class),
                  cifar10=lambda: cifar10_subset(root, train_per_class, val_per_class))
    return {name: makers[name]() for name in names}
