"""Keeps the main thread's alternate signal stack usable after native code that swaps it (Linux).

A thread's alternate signal stack (``sigaltstack``) is where the kernel writes the frame of a signal whose handler
was installed with ``SA_ONSTACK``, as CPython installs every Python-level handler. If native code leaves the thread
pointing at a stack it has freed (OpenVINO's CPU plugin does when two of its Cores are destroyed in the order they
were created: ``adaptcls.deployment.runtime.ov_core``), the next such signal ends the process with SIGSEGV
(``si_code`` SI_KERNEL: the frame cannot be written) or writes the frame into reused heap memory.
:func:`repair_alternate_stack` checks the current stack against the process's memory map and, when it is no longer
mapped writable, installs a stack of its own that lives as long as the process.
"""
import ctypes
import sys
from typing import Optional, Tuple

SS_DISABLE = 2
"""``ss_flags`` of a thread without an alternate stack (Linux)."""
OWN_STACK_BYTES = 64 * 1024
"""Size of the stack installed by :func:`repair_alternate_stack`: above any signal frame of today's x86-64 and arm64
CPUs (AMX state included, about 11 KiB)."""
_OWN_STACKS = []
"""The stacks installed here: referenced for the life of the process, never freed."""


class _StackT(ctypes.Structure):
    _fields_ = [('ss_sp', ctypes.c_void_p), ('ss_flags', ctypes.c_int), ('ss_size', ctypes.c_size_t)]


def alternate_stack() -> Optional[Tuple[int, int, int]]:
    """(address, flags, size) of the calling thread's alternate signal stack; None where ``sigaltstack`` is not
    available (not Linux)."""
    if not sys.platform.startswith('linux'):
        return None
    current = _StackT()
    if ctypes.CDLL(None, use_errno=True).sigaltstack(None, ctypes.byref(current)) != 0:
        return None
    return current.ss_sp or 0, current.ss_flags, current.ss_size


def is_writable(address: int, size: int) -> bool:
    """Whether ``[address, address + size)`` lies in one writable mapping of this process (/proc/self/maps)."""
    with open('/proc/self/maps') as maps:
        for line in maps:
            bounds, permissions = line.split()[:2]
            low, high = (int(value, 16) for value in bounds.split('-'))
            if low <= address and address + size <= high:
                return permissions.startswith('rw')
    return False


def repair_alternate_stack() -> bool:
    """Installs a fresh alternate stack on the calling thread when its current one is set but no longer writable
    memory; returns whether it did. A thread without an alternate stack is left as it is."""
    current = alternate_stack()
    if current is None:
        return False
    address, flags, size = current
    if flags & SS_DISABLE or is_writable(address, size):
        return False
    buffer = ctypes.create_string_buffer(OWN_STACK_BYTES)
    fresh = _StackT(ctypes.cast(buffer, ctypes.c_void_p), 0, OWN_STACK_BYTES)
    if ctypes.CDLL(None, use_errno=True).sigaltstack(ctypes.byref(fresh), None) != 0:
        return False
    _OWN_STACKS.append(buffer)
    return True
