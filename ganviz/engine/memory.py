"""Keep the memory a training step frees for the next step, instead of handing it back to the system.

A training step allocates and frees the same few megabytes each time (activations, gradients, a D grid).
glibc's malloc serves blocks over its mmap threshold (128 KiB at first, moving with what was freed) with
fresh pages and gives a heap top over its trim threshold back to the kernel: whether a process then touches
new pages at every step, a page fault per 4 KiB, depends on its history of allocations. Measured on the
2-core CPU, six GANs of width 32 in lockstep in fresh processes (`python scripts/bench_lockstep.py faults`,
three runs each): glibc's thresholds 0-47 minor faults and 1.62-1.78 ms a step, fixed here 0 and
1.60-1.63 ms (before the activations went in place: 48-70 faults and 2.03 ms against 0.1-0.2 and 1.82-1.88 ms; a
one-off script: 448 faults and 2.40 ms). PyTorch's own advice for the CPU is another allocator (jemalloc,
tcmalloc); glibc's knobs get the same here without one.

The cost: up to TRIM_BYTES of freed memory stay with the process. Elsewhere (macOS, Windows, musl) this is a
no-op.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1       # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_BYTES = 32 << 20       # blocks below this come from the heap (glibc's largest fixed threshold)
TRIM_BYTES = 128 << 20      # a free heap top below this stays with the process

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Fix glibc's mmap and trim thresholds for this process (once; later calls return the first answer).
    True if they were set."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt returns 1 on success (musl's stub returns 0: nothing changes there)
    _done = mallopt(M_MMAP_THRESHOLD, MMAP_BYTES) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_BYTES) == 1
    return _done
