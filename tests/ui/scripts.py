"""Run a short app script in a fresh Python process, as a user's session would run."""
from __future__ import annotations

import subprocess
import sys


def run_app_script(code: str, cwd, timeout: float = 60.0) -> tuple[int, str, str]:
    """(return code, stdout, stderr) of `python -c code`; the limit only catches a hang, and a hung
    app is killed so that it does not outlive the test (its training child follows it)."""
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=cwd)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    return p.returncode, out, err
