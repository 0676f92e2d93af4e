"""Image files on disk, labelled by their class folder or by an annotation list."""
import os
import re
import stat
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset

from adaptcls.errors import UserInputError
from adaptcls.image_decoding import IMAGE_EXTENSIONS
from adaptcls.registry import DATASETS
from .image_cache import CacheSettings, ImageCache, fill_image_cache, subset_positions
from .transforms.loading import LoadImage
from .unreadable_images import check_policy, find_unreadable, report_skipped

"""File names the class-folder scan takes for images (any case); a GIF contributes its first frame."""
ClassesArg = Union[None, str, Sequence[str]]
Sample = Tuple[str, int]


def check_same_classes(train_classes: Sequence[str], val_classes: Sequence[str],
                       train_desc: str = 'the training set', val_desc: str = 'the validation set') -> None:
    """Raises if two datasets do not have the same classes in the same order.

    Args:
        train_classes (Sequence[str]): class names of the training set, index = label.
        val_classes (Sequence[str]): class names of the validation set, index = label.
        train_desc (str): how to name the training set in the message (e.g. its path).
            Defaults to 'the training set'.
        val_desc (str): how to name the validation set in the message.
            Defaults to 'the validation set'.

    Raises:
        ValueError: listing the classes only in one set, or the indices whose names differ.
    """
    train_classes, val_classes = list(train_classes), list(val_classes)
    if train_classes == val_classes:
        return
    only_train = [name for name in train_classes if name not in val_classes]
    only_val = [name for name in val_classes if name not in train_classes]
    if only_train or only_val:
        problem = f'classes only in {train_desc}: {only_train}; classes only in {val_desc}: {only_val}'
    else:
        moved = [f'{index}: {a!r} vs {b!r}'
                 for index, (a, b) in enumerate(zip(train_classes, val_classes)) if a != b]
        problem = f'the same names in a different order (label index: train vs val): {", ".join(moved)}'
    raise UserInputError(
        f'{train_desc} and {val_desc} must have the same classes in the same order, but {problem}. '
        'Give both splits the same class folders (none of them empty), or pass the same `classes` '
        'list to both datasets.')


@DATASETS.register_module()
class ImageFolderDataset(BaseDataset):
    """Images under ``data_root/data_prefix``, one folder per class or listed in an annotation file.

    Class-per-folder mode (no ``ann_file``): the classes are the sorted names of the sub-folders
    of ``data_root/data_prefix``; the images of a class are the files with an image extension
    (``IMAGE_EXTENSIONS``, any case) anywhere inside its folder, sorted by path. Names starting
    with '.' (``.ipynb_checkpoints``, macOS ``._x.jpg``) are ignored.

    Annotation mode: ``ann_file`` (relative paths are read from ``data_root``) has one line per
    image, ``relative/path label``; blank lines and lines starting with '#' are skipped. The
    path is relative to ``data_root/data_prefix`` and must stay inside it. A label that is an
    integer is a class index; any other label is a class name. Without ``classes``, the labels
    must be names and the classes are their sorted set. Files are not opened here: a missing
    one fails in ``LoadImage`` with its name.

    Each ``data_list`` entry is ``{'img_path': absolute path, 'gt_label': int}`` and
    ``metainfo['classes']`` is the tuple of class names (index = label). With
    ``lazy_init=True`` call ``full_init()`` before reading classes found on disk.

    Unreadable images (missing, empty, truncated, corrupt or not an image): with
    ``bad_images='error'`` the first one stops the run when ``LoadImage`` reads it, naming the
    file. With ``bad_images='skip'`` every listed image is decoded once when the dataset is built
    (with the pipeline's ``LoadImage``), the unreadable ones are left out of ``data_list``, and
    their count and list are logged and recorded under ``skipped_images`` in summary.json (for
    a validation or test set too: its metrics are then computed without them). A class left
    with no readable image is an error.

    RAM cache (``cache=dict(max_mb=2048, size=None)``, off by default;
    ``adaptcls.datasets.image_cache``): when the dataset is built, before the DataLoader forks its
    workers, the pipeline's deterministic head (``LoadImage`` and the ``Resize``/``CenterCrop``
    steps right after it) runs once per image and its outputs are kept in a shared memory map that
    the workers read; every later step, the random augmentation included, still runs on every
    access, so the samples are the same as without the cache (``size`` trades a little of that
    for speed and a bounded size per image). A data set that does not fit ``max_mb`` is not cached
    (logged). The filling is logged and recorded under ``image_cache`` in summary.json. With
    ``lazy_init=True`` call ``full_init()`` before the DataLoader starts, or every worker fills
    a cache of its own.

    Args:
        data_root (str): the dataset folder.
        data_prefix (str): sub-folder of ``data_root`` that holds this split's images, e.g.
            'train' or 'val'. Defaults to ''.
        ann_file (str): annotation list; '' means class-per-folder mode. Defaults to ''.
        classes (str | Sequence[str], optional): class names in label order, or the path of a
            text file with one name per line (relative paths are read from ``data_root``). In
            folder mode they must name exactly the class folders. Defaults to None.
        pipeline (Sequence[dict | Callable]): transforms applied to each sample. Defaults to ().
        test_mode (bool): mmengine's test mode (a sample the pipeline drops is an error).
            Defaults to False.
        lazy_init (bool): defer reading the folder or annotation file until ``full_init()``.
            Defaults to False.
        indices (int | Sequence[int], optional): keep only these samples (an int keeps the
            first ones). Defaults to None.
        bad_images (str): 'error' or 'skip', see above. Defaults to 'error'.
        cache (dict, optional): keep decoded images in RAM, see above; the keys are those of
            :class:`~adaptcls.datasets.image_cache.CacheSettings` (``max_mb``: budget in MB,
            default 2048; ``size``: resize decoded images before caching, ``'pipeline'`` for the
            pipeline's Resize size, default None). None: no cache. Defaults to None.
    """

    def __init__(self, data_root: str, data_prefix: str = '', ann_file: str = '',
                 classes: ClassesArg = None, pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False, lazy_init: bool = False,
                 indices: Optional[Union[int, Sequence[int]]] = None, bad_images: str = 'error',
                 cache: Optional[dict] = None) -> None:
        self.split_prefix = data_prefix
        self.bad_images = check_policy(bad_images)
        self.cache_settings = CacheSettings.from_config(cache)
        self.image_cache: Optional[ImageCache] = None
        self.explicit_classes = read_class_names(classes, data_root)
        metainfo = None if self.explicit_classes is None else dict(classes=self.explicit_classes)
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root,
                         data_prefix=dict(img_path=data_prefix), indices=indices,
                         pipeline=list(pipeline), test_mode=test_mode, lazy_init=lazy_init)

    def full_init(self) -> None:
        """mmengine's ``full_init`` (file list, subset, serialisation), then the RAM cache when configured."""
        if self._fully_initialized:
            return
        super().full_init()
        if self.cache_settings is not None:
            self.image_cache = fill_image_cache(self.get_data_info, len(self), self.pipeline.transforms,
                                                self.cache_settings, self.image_root)

    def prepare_data(self, idx: int) -> Any:
        """The pipeline's output for sample ``idx``; with a cache, its cached head is read instead of run."""
        if self.image_cache is None:
            return super().prepare_data(idx)
        results = self.get_data_info(idx)
        results.update(self.image_cache.get(idx))
        for step in self.pipeline.transforms[self.image_cache.num_steps:]:
            results = step(results)
            if results is None:
                return None
        return results

    def get_subset_(self, indices: Union[int, Sequence[int]]) -> None:
        """mmengine's in-place subset; the cache keeps the same images."""
        positions = None if self.image_cache is None else subset_positions(indices, len(self))
        super().get_subset_(indices)
        if positions is not None:
            self.image_cache = self.image_cache.subset(positions)

    def get_subset(self, indices: Union[int, Sequence[int]]) -> 'ImageFolderDataset':
        """mmengine's subset copy; it shares this dataset's cache, re-indexed."""
        subset = super().get_subset(indices)
        if self.image_cache is not None:
            subset.image_cache = self.image_cache.subset(subset_positions(indices, len(self)))
        return subset

    @property
    def image_root(self) -> str:
        """Absolute path of the folder that holds this split's images."""
        return os.path.abspath(self.data_prefix['img_path'])

    def load_data_list(self) -> List[dict]:
        """Reads the class folders or the annotation file and sets ``metainfo['classes']``."""
        self._check_folders_exist()
        classes, samples = self._read_annotation_file() if self.ann_file else self._scan_class_folders()
        if self.bad_images == 'skip':
            samples = self._drop_unreadable(classes, samples)
        self._metainfo['classes'] = classes
        return [dict(img_path=path, gt_label=label) for path, label in samples]

    def _check_folders_exist(self) -> None:
        data_root = os.path.abspath(self.data_root)
        if not os.path.isdir(data_root):
            raise FileNotFoundError(
                f'data root {data_root} does not exist; pass --data-root or set the dataset\'s '
                '`data_root` in the config to your image folder, or run '
                '`python tools/make_demo_data.py` to create the demo data.')
        if not os.path.isdir(self.image_root):
            raise FileNotFoundError(
                f'image folder {self.image_root} (data_root + data_prefix {self.split_prefix!r}) does '
                'not exist; create it or set the dataset\'s `data_prefix` to the sub-folder that '
                'holds this split (e.g. "train" or "val").')

    def _scan_class_folders(self) -> Tuple[Tuple[str, ...], List[Sample]]:
        folder_classes = list_class_folders(self.image_root)
        classes = self.explicit_classes or folder_classes
        if set(classes) != set(folder_classes):
            raise UserInputError(
                f'`classes` {list(classes)} disagree with the class folders of {self.image_root}: '
                f'listed without a folder: {sorted(set(classes) - set(folder_classes))}; folders '
                f'not listed: {sorted(set(folder_classes) - set(classes))}. Fix `classes` or the folders.')
        samples = []
        for label, name in enumerate(classes):
            samples.extend((path, label) for path in list_class_images(os.path.join(self.image_root, name)))
        return classes, samples

    def _drop_unreadable(self, classes: Sequence[str], samples: List[Sample]) -> List[Sample]:
        """The ``bad_images='skip'`` policy: decodes every image and leaves out the unreadable ones."""
        loaders = [step for step in self.pipeline.transforms if isinstance(step, LoadImage)]
        read = (loaders[0] if loaders else LoadImage()).read_rgb
        unreadable = find_unreadable([path for path, _ in samples], read)
        left_out = {item.path for item in unreadable}
        kept = [(path, label) for path, label in samples if path not in left_out]
        emptied = sorted({classes[label] for _, label in samples} - {classes[label] for _, label in kept})
        if emptied:
            raise UserInputError(
                f'no image of class(es) {emptied} in {self.image_root} can be read; bad_images="skip" left '
                f'out {len(unreadable)} files, e.g. {unreadable[0].path} ({unreadable[0].reason}). Replace '
                'those images or remove the class.')
        report_skipped(self.image_root, len(samples), unreadable)
        return kept

    def _read_annotation_file(self) -> Tuple[Tuple[str, ...], List[Sample]]:
        entries = read_annotation_lines(self.ann_file)
        classes = self.explicit_classes or classes_from_label_names(entries)
        samples = [(self._image_path(path, where), parse_label(label, classes, where))
                   for path, label, where in entries]
        return classes, samples

    def _image_path(self, relative_path: str, where: str) -> str:
        path = os.path.normpath(os.path.join(self.image_root, relative_path))
        if os.path.commonpath([path, self.image_root]) != self.image_root:
            raise UserInputError(
                f'{where}: image path {relative_path!r} points outside the image folder '
                f'{self.image_root}; list paths relative to that folder, inside it.')
        return path


def read_class_names(classes: ClassesArg, data_root: str) -> Optional[Tuple[str, ...]]:
    """Returns ``classes`` as a tuple of names, reading a class-list file when given a path.

    Args:
        classes (str | Sequence[str], optional): names, a path (one name per line, blank lines
            ignored; relative to ``data_root``), or None.
        data_root (str): the dataset folder.

    Returns:
        tuple[str, ...] | None: the names, or None when ``classes`` is None.
    """
    if classes is None:
        return None
    if isinstance(classes, str):
        path = os.path.join(data_root, classes)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f'classes file {os.path.abspath(path)} does not exist; pass `classes` as a list of '
                'names or as the path (relative to data_root) of a text file with one name per line.')
        with open(path, encoding='utf-8') as file:
            names = tuple(line.strip() for line in file if line.strip())
        source = path
    else:
        names = tuple(classes)
        source = '`classes`'
    bad = [name for name in names if not isinstance(name, str) or not name]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if not names or bad or duplicates:
        raise UserInputError(f'{source} must list distinct, non-empty class names; got {len(names)} names, '
                             f'invalid: {bad}, repeated: {duplicates}.')
    return names


def list_class_folders(image_root: str) -> Tuple[str, ...]:
    """Sorted names of the non-hidden sub-folders of ``image_root``; raises if there are none."""
    names = tuple(sorted(entry.name for entry in os.scandir(image_root)
                         if entry.is_dir() and not entry.name.startswith('.')))
    if not names:
        raise UserInputError(
            f'{image_root} has no class folders; put each class\'s images in its own sub-folder '
            '(e.g. cat/1.jpg, dog/2.jpg), or pass `ann_file` with an annotation list.')
    return names


def list_class_images(class_folder: str) -> List[str]:
    """Sorted absolute paths of the image files anywhere inside ``class_folder``; raises if none."""
    paths = []
    for folder, sub_folders, file_names in os.walk(class_folder):
        sub_folders[:] = [name for name in sub_folders if not name.startswith('.')]
        paths.extend(os.path.join(folder, name) for name in file_names
                     if not name.startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS))
    if not paths:
        raise UserInputError(
            f'class folder {class_folder} holds no images (extensions {", ".join(IMAGE_EXTENSIONS)}); '
            'add images to it or remove the folder.')
    special = [path for path in paths if _is_special_file(path)]
    if special:  # reading a FIFO blocks until someone writes to it: training would hang
        raise UserInputError(
            f'{len(special)} path(s) in {class_folder} are not regular files (a FIFO, socket or device), e.g. '
            f'{special[0]}; reading one blocks or fails. Remove them or replace them with image files.')
    return sorted(paths)


def _is_special_file(path: str) -> bool:
    """True for a FIFO, socket or device node (following symbolic links; a broken link is not special: it
    fails as an unreadable image)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def read_annotation_lines(ann_file: str) -> List[Tuple[str, str, str]]:
    """Parses ``ann_file`` into ``(relative path, label, 'file:line')`` triples."""
    if not os.path.isfile(ann_file):
        raise FileNotFoundError(f'annotation file {os.path.abspath(ann_file)} does not exist; fix '
                                '`ann_file` (relative paths are read from data_root).')
    entries = []
    with open(ann_file, encoding='utf-8') as file:
        for line_number, line in enumerate(file, start=1):
            text = line.strip()
            if not text or text.startswith('#'):
                continue
            where = f'{ann_file}:{line_number}'
            fields = text.rsplit(maxsplit=1)
            if len(fields) != 2:
                raise UserInputError(f'{where}: expected "<relative/image/path> <label>", got {text!r}.')
            entries.append((fields[0], fields[1], where))
    if not entries:
        raise UserInputError(f'annotation file {ann_file} lists no images; add "<path> <label>" lines.')
    return entries


def classes_from_label_names(entries: List[Tuple[str, str, str]]) -> Tuple[str, ...]:
    """The sorted set of label names, for an annotation file read without ``classes``."""
    for _, label, where in entries:
        if _is_integer(label):
            raise UserInputError(
                f'{where}: label {label!r} is a class index, but no class list was given; pass '
                '`classes` (names in label order, or a class-list file) or use class names as labels.')
    return tuple(sorted({label for _, label, _ in entries}))


def parse_label(label: str, classes: Sequence[str], where: str) -> int:
    """Converts an annotation label (class index or class name) to a class index."""
    if _is_integer(label):
        index = int(label)
        if not 0 <= index < len(classes):
            raise UserInputError(
                f'{where}: label index {index} is out of range for {len(classes)} classes '
                f'(0..{len(classes) - 1}); integer labels are class indices, so fix the label or '
                '`classes`.')
        return index
    if label not in classes:
        raise UserInputError(f'{where}: unknown class name {label!r}; known classes: {list(classes)}. '
                             'Fix the label or add the class to `classes`.')
    return classes.index(label)


def _is_integer(text: str) -> bool:
    return re.fullmatch(r'[+-]?\d+', text) is not None
