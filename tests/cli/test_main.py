"""`ganviz.cli`: one module per sub-command, registered by `build_parser`, and a start-up without torch."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from ganviz.cli import COMMANDS, build_parser

NO_TORCH = """
import sys
from ganviz.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    assert e.code == 0, e.code
heavy = sorted(m for m in ("torch", "PySide6", "pyqtgraph") if m in sys.modules)
assert not heavy, heavy
"""


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_is_a_module_with_add_parser_and_its_command(name):
    module = importlib.import_module(f"ganviz.cli.{name}")
    assert callable(module.add_parser) and callable(getattr(module, f"cmd_{name}"))


def test_the_parser_registers_every_command_module_in_order():
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert tuple(sub.choices) == COMMANDS
    for name, p in sub.choices.items():
        assert p.get_default("func").__module__ == f"ganviz.cli.{name}"


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["export", "--help"], ["--version"]])
def test_help_and_version_load_neither_torch_nor_qt(argv):
    # The command line starts in well under a second; torch alone takes seconds to import.
    p = subprocess.run([sys.executable, "-c", NO_TORCH, *argv], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip()
