"""The export job the app's Export dialog runs, named here rather than imported.

The ui may not import torch, directly or through what it imports (pyproject.toml's import
contracts, tests/test_layers.py), and an `ExportJob` trains with torch (ganviz.export.producer).
So the dialog takes its job factory as an argument, and `export_job`, the one it gets by
default, imports ganviz.export.job only when it is called: when the first export starts. The
app's process then loads torch if that export trains on one of its threads (a still or a short
clip: see ganviz.export.producer), as the process that trains should; a longer one trains in a
child process. Tests and scripts pass `ganviz.export.job.ExportJob` itself.

`ExportJobLike` is what the dialog uses of a job. This module imports nothing but the
standard library.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Callable, Optional, Protocol, Union

__all__ = ["JOB", "ExportJobLike", "ExportJobFactory", "export_job"]

# The job class, as a module and a name: imported when called, so that the caller's import graph
# (the ui's) stays torch-free.
JOB = ("ganviz.export.job", "ExportJob")


class ExportJobLike(Protocol):
    """What the Export dialog uses of an `ExportJob` (see ganviz.export.job)."""

    still: bool
    frames_done: int

    @property
    def total(self) -> int: ...

    @property
    def done(self) -> int: ...

    @property
    def rendering_finished(self) -> bool: ...

    def start(self) -> None: ...

    def advance(self, timeout: Optional[float] = None) -> bool: ...

    def finish(self, timeout: Optional[float] = None) -> Optional[Path]: ...

    def cancel(self) -> None: ...


# factory(scenario, out, **options) -> a job, not yet started; options as ExportJob takes them.
ExportJobFactory = Callable[..., ExportJobLike]


def export_job(scenario: Any, out: Union[str, os.PathLike], **options: Any) -> ExportJobLike:
    """`ExportJob(scenario, out, **options)`, its module imported now (see the module notes)."""
    module, name = JOB
    return getattr(importlib.import_module(module), name)(scenario, out, **options)
