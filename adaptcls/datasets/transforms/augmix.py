"""AugMix (Hendrycks et al., ICLR 2020) on ``img``, built from timm's implementation.

The op set, the magnitude scale and the mixing are timm's (``timm.data.auto_augment``); this module
only maps adaptcls options onto timm's config string and hyper-parameters (in
:func:`augmix_timm_config`, the one place that does so) and converts between numpy and PIL.

Randomness: timm's AugMix draws from **numpy's and Python's global RNGs** (mixing weights, depth
and op choice from numpy; op magnitude, sign and the ``random`` interpolation from ``random``), and
the ``prob`` gate here draws from numpy too. mmengine's ``worker_init_fn`` (and PyTorch's DataLoader
workers) seed both in every worker, and ``randomness.seed`` seeds them in the main process, so a
seeded run gives the same images.
"""
from typing import Dict, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image
from timm.data.auto_augment import augment_and_mix_transform
from timm.data.transforms import str_to_pil_interp

from adaptcls.errors import UserInputError
from adaptcls.registry import TRANSFORMS

# timm's magnitude scale: an op's strength grows linearly with magnitude up to this value.
TIMM_MAX_MAGNITUDE = 10
RANDOM_DEPTH = -1
INTERPOLATIONS = ('bilinear', 'bicubic', 'random')
# Every timm AugmentOp draws its magnitude from U[0, magnitude] when magnitude_std is inf.
UNIFORM_MAGNITUDE = float('inf')


def augmix_timm_config(severity: int, width: int, depth: int, alpha: float, blended: bool,
                       fill: Sequence[int], translate_pct: float,
                       interpolation: str) -> Tuple[str, Dict]:
    """Checks the AugMix options and maps them onto timm's config string and hparams.

    ============================  =====================================================
    adaptcls option               timm
    ============================  =====================================================
    ``severity=5``                ``m5`` (op magnitude on timm's 0-10 scale, the AugMix
                                  paper's ``severity`` scale)
    ``width=3``                   ``w3`` (number of augmentation chains)
    ``depth=-1`` / ``depth=2``    no ``d`` section (timm's default, random 1-3 ops per
                                  chain; timm's parser cannot read ``d-1``) / ``d2``
    ``alpha=1.0``                 ``a1`` (Dirichlet and Beta concentration)
    ``blended=False``             ``b0``
    (always)                      ``hparams['magnitude_std'] = inf``: each op call draws
                                  its magnitude uniformly from [0, severity]
    ``fill``                      ``hparams['img_mean']`` (colour of uncovered pixels)
    ``translate_pct=0.3``         ``hparams['translate_pct']`` (AugMix translates by a
                                  fraction of the image size, up to
                                  ``translate_pct * severity / 10``)
    ``interpolation``             ``hparams['interpolation']``; absent for ``'random'``
    ============================  =====================================================

    The defaults give ``'augmix-m5-w3-a1-b0'``, timm's ImageNet AugMix op set: AutoContrast,
    Equalize, PosterizeIncreasing, SolarizeIncreasing, Color/Contrast/Brightness/SharpnessIncreasing,
    ShearX/Y, TranslateX/YRel, Rotate.

    Args:
        severity (int): see :class:`AugMix`.
        width (int): see :class:`AugMix`.
        depth (int): see :class:`AugMix`.
        alpha (float): see :class:`AugMix`.
        blended (bool): see :class:`AugMix`.
        fill (Sequence[int]): see :class:`AugMix`.
        translate_pct (float): see :class:`AugMix`.
        interpolation (str): see :class:`AugMix`.

    Returns:
        tuple[str, dict]: timm's config string and hparams for ``augment_and_mix_transform``.

    Raises:
        ValueError: an option out of range; the message names it.
    """
    if not isinstance(severity, int) or not 0 <= severity <= TIMM_MAX_MAGNITUDE:
        raise UserInputError(f'AugMix: severity must be an int in 0..{TIMM_MAX_MAGNITUDE} (timm clamps '
                             f'larger magnitudes), got {severity!r}.')
    if not isinstance(width, int) or width < 1:
        raise UserInputError(f'AugMix: width must be a positive int, got {width!r}.')
    if not isinstance(depth, int) or not (depth == RANDOM_DEPTH or depth >= 1):
        raise UserInputError(f'AugMix: depth must be {RANDOM_DEPTH} (random 1-3) or a positive int, '
                             f'got {depth!r}.')
    if not alpha > 0:
        raise UserInputError(f'AugMix: alpha must be > 0, got {alpha!r}.')
    if len(fill) != 3 or not all(0 <= int(c) <= 255 for c in fill):
        raise UserInputError(f'AugMix: fill must be three ints in 0..255 (an RGB colour), got {fill!r}.')
    if not 0 <= translate_pct <= 1:
        raise UserInputError(f'AugMix: translate_pct must be in [0, 1], got {translate_pct!r}.')
    if interpolation not in INTERPOLATIONS:
        raise UserInputError(f'AugMix: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}.')

    sections = ['augmix', f'm{severity}', f'w{width}']
    if depth != RANDOM_DEPTH:
        sections.append(f'd{depth}')
    sections += [f'a{np.format_float_positional(float(alpha), trim="-")}', f'b{int(blended)}']
    hparams = dict(img_mean=tuple(int(c) for c in fill), translate_pct=float(translate_pct),
                   magnitude_std=UNIFORM_MAGNITUDE)
    if interpolation != 'random':
        hparams['interpolation'] = str_to_pil_interp(interpolation)
    return '-'.join(sections), hparams


@TRANSFORMS.register_module()
class AugMix(BaseTransform):
    """With probability ``prob``, applies AugMix with timm's ImageNet op set.

    ``width`` chains of ``depth`` random ops each are mixed with Dirichlet(alpha) weights, and the
    mix is blended with the original image with a Beta(alpha, alpha) weight (timm's
    ``AugMixAugment``). Each op draws its magnitude uniformly from [0, severity]. See
    :func:`augmix_timm_config` for how the options map onto timm's, and the module docstring for
    the random number generators used.

    Required keys: ``img`` ((H, W, 3) uint8 RGB). Modified keys: ``img`` (same shape and dtype).

    Args:
        severity (int): largest op magnitude, on timm's 0-10 scale. Defaults to 5.
        width (int): number of augmentation chains. Defaults to 3.
        depth (int): ops per chain; -1 draws 1-3 for each chain. Defaults to -1.
        alpha (float): concentration of the Dirichlet mixing weights and of the Beta blend
            weight. Defaults to 1.0.
        blended (bool): timm's faster blended mixing (approximate). Defaults to False.
        prob (float): probability of applying AugMix at all. Defaults to 1.0.
        fill (Sequence[int]): RGB colour of the pixels that shear, translate and rotate uncover.
            Defaults to (124, 116, 104), the ImageNet mean (what timm's create_transform uses).
        translate_pct (float): largest translation (at magnitude 10) as a fraction of the image
            size. Defaults to 0.3 (timm's create_transform for AugMix; the AugMix code uses 1/3).
        interpolation (str): resampling of the geometric ops: 'bilinear', 'bicubic' or
            'random' (one of the two per op). Defaults to 'bilinear'.
    """

    def __init__(self,
                 severity: int = 5,
                 width: int = 3,
                 depth: int = RANDOM_DEPTH,
                 alpha: float = 1.0,
                 blended: bool = False,
                 prob: float = 1.0,
                 fill: Sequence[int] = (124, 116, 104),
                 translate_pct: float = 0.3,
                 interpolation: str = 'bilinear') -> None:
        if not 0.0 <= prob <= 1.0:
            raise UserInputError(f'AugMix: prob must lie in [0, 1], got {prob!r}.')
        self.prob = float(prob)
        self.config_str, self.hparams = augmix_timm_config(
            severity, width, depth, alpha, blended, fill, translate_pct, interpolation)
        self.augment = augment_and_mix_transform(self.config_str, dict(self.hparams))

    def transform(self, results: dict) -> dict:
        """Applies AugMix to ``results['img']`` with probability ``prob``."""
        if np.random.rand() >= self.prob:
            return results
        results['img'] = np.array(self.augment(Image.fromarray(results['img'])), dtype=np.uint8)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(config_str={self.config_str!r}, prob={self.prob})'
