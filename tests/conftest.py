"""Test-wide set-up: offscreen Qt, one torch thread, no user settings touched.

The app keeps its settings with QSettings(org, "ganviz") (ganviz/ui/main_window.py,
settings_store), which on Linux writes $XDG_CONFIG_HOME/<org>/ganviz.conf, by default under
~/.config. A test run points that at a pytest temporary directory, for this process
(QSettings.setPath: Qt reads XDG_CONFIG_HOME only once) and for the child processes that tests
start (XDG_CONFIG_HOME in the environment), and fails at the end if it wrote to the real one.
Children's caches go to a temporary XDG_CACHE_HOME as well (pip's wheel cache, when
tests/test_packaging.py builds the wheel, went to ~/.cache/pip).
"""
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-tests")

import pytest  # noqa: E402
import torch  # noqa: E402
from PySide6 import QtCore  # noqa: E402

import ganviz.ui  # noqa: E402,F401  (its CPython 3.11 + shiboken6 reference-count guard)

torch.set_num_threads(1)

# Property tests draw the same examples on every run, so CI's verdict does not depend on luck;
# GANVIZ_FUZZ=1 draws fresh ones (what to run when hunting for new counterexamples).
from hypothesis import settings  # noqa: E402

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("fuzz", print_blob=True)
settings.load_profile("fuzz" if os.environ.get("GANVIZ_FUZZ") else "repeatable")

# The user's real configuration directory, read before the session replaces XDG_CONFIG_HOME.
REAL_CONFIG = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
_FORMATS = (QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Format.IniFormat)


def point_settings_at(directory: Path) -> None:
    """Every QSettings made from now on in this process reads and writes under `directory`."""
    for fmt in _FORMATS:
        QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.UserScope, str(directory))


def _ganviz_files(config: Path) -> dict:
    """Every file or folder of `config` named ganviz*, with its modification time."""
    if not config.is_dir():
        return {}
    out = {}
    for entry in config.iterdir():
        if entry.name.lower().startswith("ganviz"):
            for p in [entry, *(entry.rglob("*") if entry.is_dir() else ())]:
                try:
                    out[str(p)] = p.stat().st_mtime_ns
                except OSError:   # removed meanwhile
                    pass
    return out


@pytest.fixture(scope="session", autouse=True)
def user_config(tmp_path_factory):
    """The configuration directory of this test run (a pytest temporary one), for the whole session.

    At the end, the session fails if anything named ganviz* appeared or changed in the real
    configuration directory (REAL_CONFIG) meanwhile."""
    before = _ganviz_files(REAL_CONFIG)
    config = tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(config))
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        mp.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))   # ganviz.logs' log file
        point_settings_at(config)
        yield config
    point_settings_at(REAL_CONFIG)
    after = _ganviz_files(REAL_CONFIG)
    touched = sorted(p for p, t in after.items() if before.get(p) != t)
    assert not touched, f"the test run wrote to the user's configuration: {touched}"


@pytest.fixture
def settings_dir(user_config, tmp_path):
    """A fresh, empty settings directory for one test (the app's QSettings in this process)."""
    config = tmp_path / "config"
    config.mkdir()
    point_settings_at(config)
    yield config
    point_settings_at(user_config)
