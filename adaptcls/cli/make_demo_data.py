#!/usr/bin/env python
"""Writes scikit-learn's handwritten digits as PNG files: the built-in demo data of adaptcls.

The 1797 UCI digits (8x8 grey, values 0..16, 10 classes) ship with scikit-learn, so the demo
needs no download. They are scaled to 0..255, upscaled to --size with bilinear interpolation,
saved as 8-bit grey PNGs (LoadImage converts them to RGB) and split into train/val with a
seeded, stratified split (sklearn's train_test_split). Layout:

    OUT/manifest.json                   the settings and per-class counts of this tree
    OUT/train/<digit>/<index>.png       class folders '0'..'9': sorted folder order = label
    OUT/val/<digit>/<index>.png         <index>: the sample's 4-digit index in load_digits

The tree is written into a temporary folder beside OUT and renamed into place, so an
interrupted run leaves no half-written OUT. Running again with the same settings finds the
tree complete and changes nothing.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from PIL import Image

MANIFEST_NAME = 'manifest.json'
FORMAT_VERSION = 1
SOURCE = 'sklearn.datasets.load_digits'
DIGITS_MAX_VALUE = 16
UINT8_MAX = 255
SPLITS = ('train', 'val')
Counts = Dict[str, Dict[str, int]]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parses the command line (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/digits',
                        help='folder to create (relative to the current directory). Default: %(default)s')
    parser.add_argument('--val-fraction', type=float, default=0.2,
                        help='fraction of each class put in val/. Default: %(default)s')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split. Default: %(default)s')
    parser.add_argument('--size', type=int, default=32,
                        help='side of the square PNGs in pixels (the source is 8x8). Default: %(default)s')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing demo tree written with other settings')
    args = parser.parse_args(argv)
    if not 0.0 < args.val_fraction < 1.0:
        parser.error(f'--val-fraction must lie strictly between 0 and 1, got {args.val_fraction}')
    if args.size < 1:
        parser.error(f'--size must be a positive number of pixels, got {args.size}')
    return args


def split_indices(labels: np.ndarray, val_fraction: float, seed: int) -> Dict[str, np.ndarray]:
    """Sorted sample indices of each split, stratified by label."""
    from sklearn.model_selection import train_test_split  # scikit-learn is slow to import: not for --help
    train, val = train_test_split(np.arange(len(labels)), test_size=val_fraction, stratify=labels,
                                  random_state=seed)
    return {'train': np.sort(train), 'val': np.sort(val)}


def digit_to_image(pixels: np.ndarray, size: int) -> Image.Image:
    """An 8x8 digit with values 0..16 as a ``size`` x ``size`` 8-bit grey image."""
    grey = np.rint(pixels * UINT8_MAX / DIGITS_MAX_VALUE).astype(np.uint8)
    return Image.fromarray(grey, mode='L').resize((size, size), Image.Resampling.BILINEAR)


def write_tree(folder: Path, size: int, val_fraction: float, seed: int) -> Counts:
    """Writes the PNGs of every split under ``folder`` and returns the per-class counts."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    counts = {}
    for split, indices in split_indices(digits.target, val_fraction, seed).items():
        for index in indices:
            class_folder = folder / split / str(digits.target[index])
            class_folder.mkdir(parents=True, exist_ok=True)
            digit_to_image(digits.images[index], size).save(class_folder / f'{index:04d}.png')
        counts[split] = count_class_files(folder / split)
    return counts


def count_class_files(split_folder: Path) -> Dict[str, int]:
    """Number of PNG files in each class folder of ``split_folder``."""
    counter = Counter(path.parent.name for path in split_folder.glob('*/*.png'))
    return {name: counter[name] for name in sorted(counter)}


def read_manifest(out: Path) -> Optional[dict]:
    """The manifest of a tree written by this tool, or None."""
    path = out / MANIFEST_NAME
    return json.loads(path.read_text()) if path.is_file() else None


def holds_same_tree(out: Path, manifest: dict, settings: dict) -> bool:
    """True when ``out`` was written with ``settings`` and still holds every file it listed."""
    same_settings = all(manifest.get(key) == value for key, value in settings.items())
    return same_settings and all(
        count_class_files(out / split) == manifest['counts'][split] for split in SPLITS)


def write_atomically(out: Path, settings: dict) -> Counts:
    """Writes the tree into a staging folder beside ``out``, then swaps it into place."""
    staging = out.parent / f'.{out.name}.incomplete-{os.getpid()}'
    shutil.rmtree(staging, ignore_errors=True)  # left by a killed run that had this process id
    staging.mkdir(parents=True)
    try:
        counts = write_tree(staging, settings['size'], settings['val_fraction'], settings['seed'])
        manifest = dict(settings, classes=sorted(counts['train']), counts=counts)
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + '\n')
        replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts


def replace_folder(new: Path, out: Path) -> None:
    """Renames ``new`` to ``out``; an existing ``out`` is moved aside first, then deleted."""
    if out.exists() and any(out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f'.{out.name}.old-', dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(new, out)
        shutil.rmtree(old)
    else:
        os.replace(new, out)


def describe(counts: Counts) -> str:
    """One line per split: total and per-class counts."""
    return '\n'.join(
        f'  {split}: {sum(per_class.values())} images ('
        + ', '.join(f'{name}: {n}' for name, n in per_class.items()) + ')'
        for split, per_class in counts.items())


def main(argv: Optional[List[str]] = None) -> int:
    """Creates the demo tree; returns the process exit status."""
    args = parse_args(argv)
    out = Path(args.out)
    settings = dict(format_version=FORMAT_VERSION, source=SOURCE, size=args.size,
                    val_fraction=args.val_fraction, seed=args.seed)
    manifest = read_manifest(out)
    if manifest is not None and holds_same_tree(out, manifest, settings):
        print(f'{out} already holds this demo split; nothing to do.\n{describe(manifest["counts"])}')
        return 0
    if manifest is not None and not args.force:
        print(f'{out} holds a demo tree with other settings or missing files ({out / MANIFEST_NAME}); '
              'pass --force to rewrite it, or choose another --out.', file=sys.stderr)
        return 1
    if manifest is None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f'{out} exists and was not written by this tool (no {MANIFEST_NAME}); '
              'choose another --out or remove it yourself.', file=sys.stderr)
        return 1
    counts = write_atomically(out, settings)
    print(f'Wrote {sum(sum(c.values()) for c in counts.values())} PNG images '
          f'({args.size}x{args.size} grey, {len(counts["train"])} classes) to {out}:\n{describe(counts)}')
    return 0
