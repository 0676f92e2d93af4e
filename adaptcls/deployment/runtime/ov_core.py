"""The one ``openvino.Core`` of the process.

Every OpenVINO call of adaptcls goes through :func:`shared_core`. Besides sparing each model a Core (and a plugin
load), it keeps the process alive: OpenVINO's CPU plugin (2026.4) installs an alternate signal stack of its own
(``sigaltstack``) on the thread that loads it into a Core, and gives the previous one back when that Core is
destroyed. Two Cores destroyed in the order they were created leave the thread with a stack that was already freed;
the next signal whose handler runs on the alternate stack (every Python-level handler: CPython installs them with
``SA_ONSTACK``, e.g. the SIGCHLD handler of PyTorch's DataLoader) then kills the process with SIGSEGV, or writes its
frame into memory the allocator reuses. One Core that lives as long as the process never gives a stack back.
``adaptcls.utils.signal_stack`` repairs what other libraries' Cores (NNCF's, the Model API's) may leave behind.
docs/reliability.md ("One process") and tests/reliability/test_signal_stack.py show the failure and the fix.
"""
import functools

from adaptcls.errors import UserInputError
from ..dependencies import require


VIRTUAL_DEVICES = ('AUTO', 'MULTI', 'HETERO', 'BATCH')
"""OpenVINO device names that choose among the real devices themselves (not checked against the available ones)."""


@functools.lru_cache(maxsize=1)
def shared_core():
    """The process-wide ``openvino.Core`` (created on first use, never destroyed before the process ends)."""
    return require('openvino').Core()


def check_device(device: str) -> None:
    """Refuses a device OpenVINO does not see on this machine (e.g. ``GPU`` without its OpenCL runtime), naming the
    available ones, instead of OpenVINO's traceback at compile time.

    Raises:
        UserInputError: ``device`` (``GPU``, ``GPU.1``, ``NPU``, ...) is not among ``Core.available_devices``.
    """
    name = device.split(':')[0].split('.')[0].upper()
    if name in VIRTUAL_DEVICES:
        return
    available = list(shared_core().available_devices)
    if device.upper() not in available and name not in {found.split('.')[0] for found in available}:
        raise UserInputError(f'--device {device}: OpenVINO sees no such device here (available: '
                             f'{", ".join(available) or "none"}); use one of those, or install the device\'s driver '
                             '(a GPU needs the Intel OpenCL runtime, e.g. the intel-opencl-icd package).')
