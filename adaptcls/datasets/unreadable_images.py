"""The ``bad_images`` policy of a dataset: find the image files that cannot be read, and report them."""
import logging
from typing import Callable, List, NamedTuple, Sequence

from mmengine.logging import MessageHub, print_log

from adaptcls.errors import UserInputError
from .transforms.loading import ImageLoadError

BAD_IMAGE_POLICIES = ('error', 'skip')
"""'error': an unreadable image stops the run when it is loaded; 'skip': it is left out up front."""

SKIPPED_IMAGES_INFO = 'summary/skipped_images'
"""Message-hub runtime-info key (copied into summary.json as ``skipped_images``): for each image
folder checked under the 'skip' policy, ``{'checked': int, 'skipped': [{'path', 'reason'}]}``."""


class UnreadableImage(NamedTuple):
    """An image file that failed to decode, and why."""
    path: str
    reason: str


def check_policy(bad_images: str) -> str:
    """Returns ``bad_images`` if it is a known policy.

    Raises:
        ValueError: naming the value and the choices.
    """
    if bad_images not in BAD_IMAGE_POLICIES:
        raise UserInputError(f"the dataset's bad_images={bad_images!r} is not a policy; use 'error' (stop at an "
                             "unreadable image, the default) or 'skip' (leave unreadable images out and report them).")
    return bad_images


def find_unreadable(paths: Sequence[str], read: Callable[[str], object]) -> List[UnreadableImage]:
    """Decodes every file in ``paths`` and lists the ones that fail.

    Args:
        paths (Sequence[str]): image files.
        read (Callable[[str], object]): decodes one file, raising :class:`ImageLoadError` when it
            cannot (``LoadImage.read_rgb``).

    Returns:
        list[UnreadableImage]: the failures, in the order of ``paths``.
    """
    unreadable = []
    for path in paths:
        try:
            read(path)
        except ImageLoadError as error:
            cause = error.__cause__
            reason = f'{type(cause).__name__}: {cause}' if cause is not None else str(error)
            unreadable.append(UnreadableImage(path, reason))
    return unreadable


def report_skipped(image_root: str, checked: int, skipped: Sequence[UnreadableImage]) -> None:
    """Logs the images a dataset left out and records them for the run's summary.json.

    Args:
        image_root (str): the folder the dataset reads (names the split in the report).
        checked (int): how many images were decoded.
        skipped (Sequence[UnreadableImage]): the ones left out.
    """
    hub = MessageHub.get_current_instance()
    report = dict(hub.get_info(SKIPPED_IMAGES_INFO) or {})
    report[image_root] = dict(checked=checked,
                              skipped=[dict(path=item.path, reason=item.reason) for item in skipped])
    hub.update_info(SKIPPED_IMAGES_INFO, report, resumed=False)  # a resumed run reports its own scan
    if not skipped:
        print_log(f"bad_images='skip': all {checked} images in {image_root} are readable.", logger='current')
        return
    listing = ''.join(f'\n  {item.path} ({item.reason})' for item in skipped)
    print_log(f"bad_images='skip': left out {len(skipped)} of {checked} images in {image_root} that cannot be "
              'read (also listed under skipped_images in summary.json); metrics on this set are computed '
              f'without them:{listing}', logger='current', level=logging.WARNING)
