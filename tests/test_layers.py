"""The layers of docs/ARCHITECTURE.md, enforced: import-linter's contracts (pyproject.toml) on the
static import graph, and the promise they keep at run time: the ui loads without torch."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    from importlinter.cli import lint_imports

    # lint_imports returns 0 when every contract in pyproject.toml is kept; it prints the broken ones.
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


BLOCK_TORCH = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is not for the ui")
sys.meta_path.insert(0, Block())
importlib.import_module(sys.argv[1])
assert "torch" not in sys.modules
"""


@pytest.mark.parametrize("module", ["ganviz.ui.main_window", "ganviz.ui.compare_view", "ganviz.ui.game_view",
                                    "ganviz.ui.controls", "ganviz.ui.loss_panel", "ganviz.ui.metrics_panel",
                                    "ganviz.ui.info_panel", "ganviz.ui.app", "ganviz.ui.export_dialog", "ganviz.ui.inspector_panel",
                                    "ganviz.engine.process", "ganviz.export.options", "ganviz.export.factory"])
def test_the_ui_imports_without_torch(module):
    p = subprocess.run([sys.executable, "-c", BLOCK_TORCH, module], capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert p.returncode == 0, p.stderr[-2000:]
