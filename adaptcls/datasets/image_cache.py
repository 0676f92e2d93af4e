"""An opt-in RAM cache of decoded images: the deterministic head of a pipeline, run once per image.

What is cached: the leading run of a pipeline's steps that draw no random numbers and read only the image file,
starting with ``LoadImage`` (:data:`CACHEABLE_STEPS`): ``LoadImage`` alone in the training pipelines (``RandomCrop``
comes next), ``LoadImage -> Resize`` in the test pipelines. Their output is the same every epoch, so a cached
dataset returns the same pixels and draws the same random numbers as an uncached one; every later step (the random
augmentation) still runs on every access. ``size`` optionally resizes every decoded image before it is cached (a
bounded size per image, and the training Resize then has nothing left to do for most samples; the one change to
what the later steps see, see :class:`CacheSettings`).

How it is shared: the dataset fills the cache in the process that builds it, before the DataLoader starts its
workers. All images sit in one anonymous shared memory map (``mmap.mmap(-1, n)``, ``MAP_SHARED``), read-only once
filled, so forked workers map the same physical pages (no copy-on-write copies, whatever the workers touch);
per-image offsets and shapes are small numpy arrays. Only the bytes written take memory: the map reserves the
budget but untouched pages are never allocated. Under the ``spawn`` start method each worker receives a pickled
copy instead (it works, at the workers' memory cost).

If the data set does not fit the budget, nothing is cached: the filling stops at the first image that would pass
it, and the log says how much the data set would need and which key to raise.
"""
import logging
import mmap
import os
import re
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import MessageHub, print_log

from adaptcls.errors import UserInputError
from .transforms.crops import CenterCrop
from .transforms.loading import LoadImage
from .transforms.processing import Resize

KILOBYTE = 1024
"""The unit of ``/proc/meminfo`` and ``/proc/<pid>/smaps`` ('kB')."""
BYTES_PER_MB = 1024 * KILOBYTE
"""A megabyte as ``max_mb`` and the logs count it (MiB)."""
DEFAULT_MAX_MB = 2048.0
"""Default budget of one dataset's cache in MB: CIFAR-10's 50,000 32x32 images take 147 MB decoded; 2 GB holds
about 14,000 images at 224x224 (``size=224`` or ``size='pipeline'`` in a 224 px recipe)."""
AVAILABLE_MEMORY_SHARE = 0.5
"""The cache uses at most this share of the memory available when it is filled (:func:`available_memory_bytes`),
whatever ``max_mb`` says, so that a budget larger than the machine leaves the run uncached instead of killed for
memory (Ultralytics' ``cache='ram'`` keeps a margin the same way)."""
CACHE_KEYS = ('max_mb', 'size')
"""The keys a dataset's ``cache`` dict may have (:class:`CacheSettings`)."""
CACHEABLE_STEPS = (LoadImage, Resize, CenterCrop)
"""Transforms (exact types, no subclasses) that draw no random numbers and write only ``img``, ``img_shape`` and
``ori_shape``: a pipeline's leading run of them, starting with ``LoadImage``, is what the cache stores."""
CACHE_INFO = 'summary/image_cache'
"""Message-hub runtime-info key (copied into summary.json as ``image_cache``): for each image folder with a cache
configured, what was cached (``images``, ``mb``, ``fill_s``, ``cached_steps``) or why nothing was (``reason``)."""
SHAPE_DTYPE = np.int32
"""dtype of the stored image shapes."""
PIPELINE_SIZE = 'pipeline'
"""``cache.size`` value: resize to the size of the pipeline's first ``Resize`` step (follows ``--img-size``)."""
SizeArg = Union[None, int, Sequence[int], str]


@dataclass(frozen=True)
class CacheSettings:
    """A dataset's ``cache`` dict, checked.

    Attributes:
        max_mb (float): the most memory the cache may take, in MB (pixels and index). A data set that needs more
            is not cached (logged). Defaults to :data:`DEFAULT_MAX_MB`.
        size (int | Sequence[int] | str, optional): resize every decoded image to this size (an int: square; a
            pair: (height, width)) with the pipeline's ``Resize`` maths, right after ``LoadImage`` and before it is
            cached; ``'pipeline'`` (:data:`PIPELINE_SIZE`): the size (and antialias setting) of the pipeline's first
            ``Resize``, which follows ``--img-size``. Every image then takes the same, bounded memory. With the
            pipeline's size, a sample the random crop leaves alone (70% of them in the recipes: ``RandomCrop``
            prob 0.3) is bit-identical to an uncached one, and its training ``Resize`` has nothing left to do;
            a cropped sample is cut from the resized image (90-100% of its area) and resized back, slightly softer
            than a crop of the decoded image. A size other than the pipeline's makes the training images blurrier
            (smaller) or costs memory for nothing (larger). None: cache the decoded size, every sample
            bit-identical to decoding. Defaults to None.
    """

    max_mb: float = DEFAULT_MAX_MB
    size: SizeArg = None

    @classmethod
    def from_config(cls, cache: Optional[dict]) -> Optional['CacheSettings']:
        """Checks a dataset's ``cache`` argument; None (the default) means no cache.

        Raises:
            ValueError: not a dict, an unknown key, or a value out of range; the message names the key.
        """
        if cache is None:
            return None
        if not isinstance(cache, dict):
            raise UserInputError(f"the dataset's cache must be None (no cache) or a dict with keys {CACHE_KEYS}, e.g. "
                                 f'dict(max_mb=2048); got {cache!r}. On the command line: --cfg-options '
                                 'train_dataloader.dataset.cache.max_mb=2048')
        unknown = sorted(set(cache) - set(CACHE_KEYS))
        if unknown:
            raise UserInputError(f"the dataset's cache has unknown key(s) {unknown}; the keys are {CACHE_KEYS} "
                                 '(docs/configs.md, "RAM cache of decoded images").')
        settings = cls(**cache)
        if isinstance(settings.max_mb, bool) or not isinstance(settings.max_mb, (int, float)) \
                or not settings.max_mb > 0:
            raise UserInputError(f'cache.max_mb must be a positive number of megabytes, got {settings.max_mb!r}.')
        if not _is_size(settings.size):
            raise UserInputError(f"cache.size must be None (cache the decoded size), {PIPELINE_SIZE!r} (the size of "
                                 f"the "
                                 "pipeline's Resize), a positive int or a (height, width) pair of them; got "
                                 f'{settings.size!r}.')
        return settings


def _is_size(size: SizeArg) -> bool:
    """True for a valid ``cache.size``: None, ``'pipeline'``, a positive int or a pair of them."""
    if size is None or size == PIPELINE_SIZE:
        return True
    is_pair = isinstance(size, (list, tuple))
    sides = list(size) if is_pair else [size]
    if is_pair and len(sides) != 2:
        return False
    return all(isinstance(side, int) and not isinstance(side, bool) and side >= 1 for side in sides)


def cache_resize(size: SizeArg, transforms: Sequence[Callable]) -> Optional[Resize]:
    """The ``Resize`` that ``cache.size`` applies after ``LoadImage``, or None for ``size=None``.

    Raises:
        ValueError: ``size='pipeline'`` and the pipeline has no ``Resize``.
    """
    if size is None:
        return None
    if size != PIPELINE_SIZE:
        return Resize(tuple(size) if isinstance(size, (list, tuple)) else size)
    resizes = [step for step in transforms if type(step) is Resize]
    if not resizes:
        raise UserInputError(f"cache.size={PIPELINE_SIZE!r} takes the size of the pipeline's Resize, but the pipeline "
                             f'has none ({list(transforms)}); set cache.size to a size in pixels, or to None.')
    return Resize(resizes[0].size, antialias=resizes[0].antialias)


def cacheable_steps(transforms: Sequence[Callable]) -> List[Callable]:
    """The leading steps of a pipeline that the cache can store: ``LoadImage`` and the deterministic steps right
    after it (:data:`CACHEABLE_STEPS`); empty when the pipeline does not start with ``LoadImage``."""
    if not transforms or type(transforms[0]) is not LoadImage:
        return []
    steps = []
    for step in transforms:
        if type(step) not in CACHEABLE_STEPS:
            break
        steps.append(step)
    return steps


def subset_positions(indices: Union[int, Sequence[int]], length: int) -> np.ndarray:
    """The positions that mmengine's ``BaseDataset.get_subset(indices)`` keeps, in its order: an int n keeps the
    first n (the last -n when negative), a sequence keeps those positions."""
    positions = np.arange(length)
    if isinstance(indices, (int, np.integer)):
        return positions[:indices] if indices >= 0 else positions[indices:]
    return positions[np.asarray(list(indices), dtype=np.int64)]


def available_memory_bytes() -> Optional[int]:
    """Memory the system can give without swapping: Linux's ``MemAvailable`` (``/proc/meminfo``), else the free
    physical pages (``os.sysconf``); None where neither can be read."""
    try:
        with open('/proc/meminfo') as stream:
            for line in stream:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * KILOBYTE
    except OSError:
        pass
    try:
        return os.sysconf('SC_AVPHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
    except (AttributeError, OSError, ValueError):
        return None


class ImageCache:
    """Cached outputs of a pipeline's deterministic head, one per dataset index, in one shared memory map.

    Read-only: :meth:`get` hands out copies, so no transform can change the cache, and ``copy.deepcopy`` returns
    the cache itself (mmengine's ``get_subset`` deep-copies a dataset's attributes).

    Args:
        pixels (np.ndarray): uint8 bytes of every image, back to back (a view of the shared map).
        starts (np.ndarray): int64 (N,): where image i starts in ``pixels``.
        shapes (np.ndarray): (N, 3): image i's (H, W, 3) as cached (``img``, ``img_shape``).
        ori_shapes (np.ndarray): (N, 2): image i's decoded (H, W) (``ori_shape``).
        num_steps (int): how many leading pipeline steps the cache replaces.
        steps (Sequence[str]): what ran to fill it, as ``repr`` strings (for the log): those steps, and the
            ``cache.size`` resize if any.
        fill_s (float): seconds the filling took. Defaults to 0.
    """

    def __init__(self, pixels: np.ndarray, starts: np.ndarray, shapes: np.ndarray, ori_shapes: np.ndarray,
                 num_steps: int, steps: Sequence[str], fill_s: float = 0.0) -> None:
        self.pixels, self.starts, self.shapes, self.ori_shapes = pixels, starts, shapes, ori_shapes
        self.num_steps = num_steps
        self.steps = tuple(steps)
        self.fill_s = fill_s
        for array in (pixels, starts, shapes, ori_shapes):
            array.flags.writeable = False

    def __len__(self) -> int:
        return len(self.starts)

    def __deepcopy__(self, memo: dict) -> 'ImageCache':
        return self  # immutable: a copied dataset shares it

    @property
    def nbytes(self) -> int:
        """Memory the cache keeps alive: its pixel buffer (shared with the cache it was cut from, for a subset)
        plus its index arrays."""
        return self.pixels.nbytes + self.starts.nbytes + self.shapes.nbytes + self.ori_shapes.nbytes

    def get(self, index: int) -> dict:
        """The cached results of image ``index``: ``img`` (a writable copy), ``img_shape`` and ``ori_shape``."""
        shape = tuple(int(side) for side in self.shapes[index])
        start = int(self.starts[index])
        img = self.pixels[start:start + int(np.prod(shape))].reshape(shape).copy()
        return dict(img=img, img_shape=shape[:2], ori_shape=tuple(int(side) for side in self.ori_shapes[index]))

    def subset(self, positions: np.ndarray) -> 'ImageCache':
        """The cache of the dataset's subset at ``positions``, sharing this cache's pixels."""
        return ImageCache(self.pixels, self.starts[positions], self.shapes[positions], self.ori_shapes[positions],
                          self.num_steps, self.steps, self.fill_s)

    def page_sharing(self, pid: Optional[int] = None) -> Optional[Dict[str, int]]:
        """How a process holds the cache's memory map (Linux ``/proc/<pid>/smaps``), to check that DataLoader
        workers share it (a forked worker maps it at the same address): :func:`mapping_residency`'s ``rss``,
        ``pss``, ``shared`` (bytes another process maps too) and ``private`` (bytes only this process maps, i.e.
        copies); None off Linux or when the pixels are not in a map of their own (e.g. a pickled copy under the
        ``spawn`` start method).

        Args:
            pid (int, optional): the process; None is the calling one. Defaults to None.
        """
        if not self.pixels.size:
            return None
        return mapping_residency(self.pixels.ctypes.data, pid)


def mapping_residency(address: int, pid: Optional[int] = None) -> Optional[Dict[str, int]]:
    """Resident, shared and private bytes of the shared memory map that holds ``address`` in a process.

    Args:
        address (int): a virtual address in the map.
        pid (int, optional): the process; None is the calling one. Defaults to None.

    Returns:
        dict | None: ``rss``, ``pss`` (resident bytes divided among the processes that map them), ``shared`` and
        ``private`` in bytes; None if ``/proc/<pid>/smaps`` is unreadable or ``address`` is not in a shared
        anonymous map (``rw-s`` on ``/dev/zero``).
    """
    try:
        with open(f'/proc/{"self" if pid is None else pid}/smaps') as stream:
            lines = stream.read().splitlines()
    except OSError:
        return None
    header = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) ')
    fields: Optional[Dict[str, int]] = None
    for line in lines:
        match = header.match(line)
        if match:
            if fields is not None:
                break
            low, high = int(match.group(1), 16), int(match.group(2), 16)
            shared_anonymous = match.group(3).endswith('s') and '/dev/zero' in line
            fields = {} if low <= address < high and shared_anonymous else None
        elif fields is not None and line.endswith(' kB'):
            name, value = line.split(':', 1)
            fields[name] = int(value.split()[0]) * KILOBYTE
    if fields is None:
        return None
    return dict(rss=fields['Rss'], pss=fields['Pss'], shared=fields['Shared_Clean'] + fields['Shared_Dirty'],
                private=fields['Private_Clean'] + fields['Private_Dirty'])


def fill_image_cache(data_info: Callable[[int], dict], count: int, transforms: Sequence[Callable],
                     settings: CacheSettings, image_root: str) -> Optional[ImageCache]:
    """Runs the cacheable head of a pipeline on every image once and packs the outputs into an
    :class:`ImageCache`, within the budget.

    The filling is logged (images, MB, seconds, cached steps) and recorded under :data:`CACHE_INFO`; so is the
    reason when nothing is cached. A pipeline with no steps (the config helpers build one to count the files) has
    nothing to cache and is not reported.

    Args:
        data_info (Callable[[int], dict]): the dataset's ``get_data_info`` (a fresh dict per call).
        count (int): number of images (the dataset's length).
        transforms (Sequence[Callable]): the dataset's pipeline steps (:func:`cacheable_steps` picks the head).
        settings (CacheSettings): the budget and ``size``.
        image_root (str): the dataset's image folder (names it in the log).

    Returns:
        ImageCache | None: None when there is nothing to cache or the data set does not fit the budget.

    Raises:
        ImageLoadError: an image cannot be decoded (with ``bad_images='error'``, as the first epoch would).
        ValueError: ``cache.size='pipeline'`` and the pipeline has no ``Resize``.
    """
    steps = cacheable_steps(transforms)
    if not steps:
        if transforms:
            _report_off(image_root, f'the pipeline does not start with LoadImage (its first step is '
                        f'{transforms[0]!r}), so there is no decoded image to cache',
                        'Put LoadImage first in the pipeline, or remove the dataset\'s cache')
        return None
    resize = cache_resize(settings.size, transforms)
    index_bytes = count * (np.dtype(np.int64).itemsize + (3 + 2) * np.dtype(SHAPE_DTYPE).itemsize)
    budget, budget_note = _budget_bytes(settings)
    capacity = budget - index_bytes
    advice = 'Raise the dataset\'s cache.max_mb' + (
        '' if settings.size is not None else ", or set cache.size='pipeline' to cache at the training size "
        '(smaller than large photos)')
    started = time.perf_counter()
    try:
        memory = mmap.mmap(-1, max(capacity, 1))  # reserves address space: pages are allocated when written
    except OSError as error:
        _report_off(image_root, f'a shared memory map of {capacity / BYTES_PER_MB:.1f} MB could not be created '
                    f'({error})', 'Lower the dataset\'s cache.max_mb')
        return None
    buffer = np.frombuffer(memory, dtype=np.uint8)
    starts = np.zeros(count, dtype=np.int64)
    shapes = np.zeros((count, 3), dtype=SHAPE_DTYPE)
    ori_shapes = np.zeros((count, 2), dtype=SHAPE_DTYPE)
    used = 0
    for index in range(count):
        results = _run_steps(data_info(index), steps, resize)
        img = np.ascontiguousarray(results['img'])
        if used + img.nbytes > capacity:
            needed_mb = ((used + img.nbytes) / (index + 1) * count + index_bytes) / BYTES_PER_MB
            _report_off(image_root, f'the {count} images need about {needed_mb:.1f} MB (estimated from the first '
                        f'{index + 1}), more than the budget of {budget / BYTES_PER_MB:.1f} MB{budget_note}', advice)
            return None
        buffer[used:used + img.nbytes] = img.reshape(-1)
        starts[index], shapes[index], ori_shapes[index] = used, img.shape, results['ori_shape']
        used += img.nbytes
    names = [repr(step) for step in steps]
    if resize is not None:
        names.insert(1, f'{resize!r} (cache.size={settings.size!r})')
    cache = ImageCache(buffer[:used], starts, shapes, ori_shapes, len(steps), names, time.perf_counter() - started)
    _report_filled(image_root, cache, budget)
    return cache


def _run_steps(results: dict, steps: Sequence[Callable], resize: Optional[Resize]) -> dict:
    """Runs the cached steps, with ``cache.size``'s ``resize`` right after ``LoadImage``."""
    results = steps[0](results)
    if resize is not None:
        results = resize(results)
    for step in steps[1:]:
        results = step(results)
    return results


def _budget_bytes(settings: CacheSettings) -> Tuple[int, str]:
    """The budget in bytes (``max_mb``, capped by the available memory) and a note when the cap applied."""
    budget = int(settings.max_mb * BYTES_PER_MB)
    available = available_memory_bytes()
    if available is not None and available * AVAILABLE_MEMORY_SHARE < budget:
        return (int(available * AVAILABLE_MEMORY_SHARE),
                f' (cache.max_mb={settings.max_mb} capped at {AVAILABLE_MEMORY_SHARE:.0%} of the '
                f'{available / BYTES_PER_MB:.0f} MB of memory available)')
    return budget, f' (cache.max_mb={settings.max_mb})'


def _record(image_root: str, entry: dict) -> None:
    hub = MessageHub.get_current_instance()
    report = dict(hub.get_info(CACHE_INFO) or {})
    report[image_root] = entry
    hub.update_info(CACHE_INFO, report, resumed=False)  # a resumed run reports its own filling


def _report_filled(image_root: str, cache: ImageCache, budget: int) -> None:
    megabytes = cache.nbytes / BYTES_PER_MB
    _record(image_root, dict(images=len(cache), mb=megabytes, budget_mb=budget / BYTES_PER_MB, fill_s=cache.fill_s,
                             cached_steps=list(cache.steps)))
    print_log(f'image cache: {len(cache)} images of {image_root} decoded into RAM, {megabytes:.1f} MB of the '
              f'{budget / BYTES_PER_MB:.1f} MB budget, in {cache.fill_s:.1f} s; cached steps: '
              f'{" -> ".join(cache.steps)}; the later pipeline steps run on every access.', logger='current')


def _report_off(image_root: str, reason: str, advice: str) -> None:
    _record(image_root, dict(images=0, mb=0.0, reason=reason))
    print_log(f'image cache off for {image_root}: {reason}; its images are decoded on every access instead. '
              f'{advice}.', logger='current', level=logging.WARNING)
