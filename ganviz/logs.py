"""ganviz's log file: unexpected exceptions, with their tracebacks, for a bug report.

The file lives in the platform's log folder: $XDG_STATE_HOME/ganviz (default ~/.local/state/ganviz)
on Linux, ~/Library/Logs/ganviz on macOS, %LOCALAPPDATA%\\ganviz\\Logs on Windows. It is
appended to and started afresh beyond MAX_BYTES (the previous one kept as ganviz.log.1).
Writing it never raises: a read-only home must not turn one error into two.
"""
from __future__ import annotations

import datetime
import os
import sys
import traceback
from pathlib import Path
from typing import Optional

LOG_NAME = "ganviz.log"
MAX_BYTES = 1_000_000


def log_dir() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "ganviz" / "Logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "ganviz"
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "ganviz"


def log_exception(error: BaseException, context: str) -> Optional[Path]:
    """Append `context` and the traceback of `error` to the log; its path, or None if it cannot be written."""
    path = log_dir() / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > MAX_BYTES:
            path.replace(path.with_name(LOG_NAME + ".1"))
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"--- {stamp} pid {os.getpid()}: {context}\n{text}\n")
        return path
    except OSError:
        return None
