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

from ..dependencies import require


@functools.lru_cache(maxsize=1)
def shared_core():
    """The process-wide ``openvino.Core`` (created on first use, never destroyed before the process ends)."""
    return require('openvino').Core()
