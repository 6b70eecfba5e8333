"""The writing side of an export: an `Encoder` thread that takes the drawn frames, in order,
and hands them to the sink, a `writers.FrameWriter` (MP4, GIF, PNG frames) or a `StillSink`
(one PNG or SVG still, written atomically when it closes).

The sink is touched by the encoder's thread only; the drawing thread puts frames on a bounded
queue, so that drawing and encoding overlap without either running far ahead, and gets the
sink's error, if any, raised again on its next `put` or `wait`. Qt-free and torch-free.
"""
from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ganviz.export.options import POLL_S
from ganviz.export.writers import ExportError, FrameWriter, write_bytes_atomic, write_still

__all__ = ["Encoder", "StillSink", "ENCODE_QUEUE"]

# Frames drawn ahead of the encoder.
ENCODE_QUEUE = 3


class StillSink:
    """A writer-like sink for one PNG or SVG still, written atomically on close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: Union[np.ndarray, str, None] = None

    def write(self, data: Union[np.ndarray, str]) -> None:
        self._data = data

    def close(self) -> Path:
        if isinstance(self._data, str):
            return write_bytes_atomic(self.path, self._data)
        assert self._data is not None
        return write_still(self.path, self._data)

    def abort(self) -> None:
        self._data = None


class Encoder:
    """Writes frames on a worker thread; the sink (writer) is touched by that thread only."""

    _END = object()

    def __init__(self, sink: Union[FrameWriter, StillSink]) -> None:
        self.sink = sink
        self.path: Optional[Path] = None
        self.error: Optional[BaseException] = None
        self.seconds = 0.0
        self._q: queue.Queue = queue.Queue(maxsize=ENCODE_QUEUE)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ganviz-export-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    item = self._q.get(timeout=POLL_S)
                except queue.Empty:
                    item = None
                if self._stop.is_set():
                    self.sink.abort()
                    return
                if item is None:
                    continue
                t0 = time.perf_counter()
                if item is self._END:
                    self.path = self.sink.close()
                    self.seconds += time.perf_counter() - t0
                    return
                self.sink.write(item)
                self.seconds += time.perf_counter() - t0
        except BaseException as e:  # raised again on the drawing thread
            self.sink.abort()
            self.error = e

    def put(self, item: object) -> None:
        while True:
            if self.error is not None:
                raise self.error
            if not self._thread.is_alive():
                raise ExportError("The export's encoder stopped unexpectedly; nothing was written.")
            try:
                self._q.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def end(self) -> None:
        self.put(self._END)

    def wait(self, timeout: Optional[float]) -> bool:
        """True once the sink is committed (raises its error if it failed)."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        if self.error is not None:
            raise self.error
        return True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sink.abort()
