"""What every ganviz subcommand shares on the terminal: the usage exit code, the one-line error,
the progress bar. No Qt, no torch: any command module may import it."""
from __future__ import annotations

import sys
import time
from typing import Optional

EXIT_USAGE = 2            # a bad option or scenario, or a run that diverged as a whole: one line on stderr
EXIT_PARTIAL = 3          # some GANs of a multi-panel run diverged; the others trained to the end
EXIT_INTERRUPTED = 130    # Ctrl-C


def fail(msg: str, command: str = "") -> int:
    """Print `msg` as ganviz's one-line error on stderr and return the usage exit code.

    `command`: the sub-command the error belongs to, as in "ganviz export: error: ..." (argparse's form)."""
    print(f"ganviz{' ' + command if command else ''}: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: Optional[bool] = None):
        self.total = max(total, 1)
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.perf_counter()
        self._last = 0.0

    def update(self, done: int, extra: str = "") -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self._last < 0.1 and done < self.total):
            return
        self._last = now
        frac = done / self.total
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        rate = done / max(now - self.t0, 1e-9)
        sys.stderr.write(f"\r[{bar}] {done}/{self.total} {rate:,.0f}/s {extra}   ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


class DeferredInterrupts:
    """Ctrl-C, SIGTERM and SIGHUP noted, not raised where they land: a loop checks `requested` at a
    safe point (an export reading its training child's queue must not stop in the middle of a
    message, or the clean-up would wait forever for the rest of it). Restores the handlers on exit."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.requested: Optional[int] = None
        self._saved: dict = {}

    def __enter__(self) -> "DeferredInterrupts":
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for name in self.NAMES:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._saved[sig] = signal.signal(sig, self._note)
        return self

    def _note(self, signum, _frame) -> None:
        self.requested = signum

    def check(self) -> None:
        """Raise KeyboardInterrupt here if a signal came."""
        if self.requested is not None:
            raise KeyboardInterrupt(f"signal {self.requested}")

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
