"""The Qt layer: PySide6 + pyqtgraph views that draw engine snapshots. Never imports torch."""
import sys

if sys.version_info < (3, 12):
    # shiboken6 6.12 on CPython 3.11 drops one reference to None for every Qt method that returns
    # nothing (and pyqtgraph's calls do the same to True/False): after a few thousand calls the
    # interpreter aborts with "none_dealloc". From 3.12 these objects are immortal; here we make
    # them practically so by giving them 2^40 extra references.
    import ctypes

    for _obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(_obj)).value += 1 << 40
    del _obj, ctypes
