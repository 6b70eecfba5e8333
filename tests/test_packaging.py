"""What a user installs: the wheel's contents and entry points, the desktop entry, `ganviz --version`.

The wheel is built from a copy of the sources in a temporary folder, so that the build leaves no
build/ or egg-info behind in the checkout (and two test runs cannot trip over each other's).
"""
from __future__ import annotations

import configparser
import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ganviz import paths

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What the build reads: the metadata, the readme it embeds, the package and the data.
SOURCES = ("pyproject.toml", "README.md", "ganviz", "resources")
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*")


def _can_build_without_isolation() -> bool:
    """setuptools >= 64 here: build with it (seconds, offline); otherwise pip fetches it."""
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 64


def _files(folder: Path) -> list[str]:
    """Files under `folder` as posix paths relative to it, without caches and hidden files."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
                  and p.suffix != ".pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=JUNK)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--disable-pip-version-check",
           "-q", "-w", str(out)]
    if _can_build_without_isolation():
        cmd.append("--no-build-isolation")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = out.glob("ganviz-*.whl")
    with zipfile.ZipFile(whl) as z:
        yield z


def _dist_info(z: zipfile.ZipFile, name: str) -> str:
    (path,) = [n for n in z.namelist() if n.endswith(f".dist-info/{name}")]
    return z.read(path).decode("utf-8")


def test_the_wheel_ships_every_resource_inside_the_package(wheel):
    names = set(wheel.namelist())
    for must in ("scenarios/ring8.toml", "icons/ganviz.svg", "icons/ganviz.png", "ganviz.desktop"):
        assert f"ganviz/resources/{must}" in names
    missing = [f for f in _files(ROOT / "resources") if f"ganviz/resources/{f}" not in names]
    assert not missing, f"resources/ files not in the wheel (add them to [tool.setuptools]): {missing}"
    assert not any(n.startswith("resources/") for n in names), "resources/ must install inside ganviz/"
    with wheel.open("ganviz/resources/icons/ganviz.png") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_wheel_ships_every_module_of_the_package(wheel):
    names = set(wheel.namelist())
    missing = [f for f in _files(ROOT / "ganviz") if f.endswith(".py") and f"ganviz/{f}" not in names]
    assert not missing, f"modules not in the wheel (add their package to [tool.setuptools] packages): {missing}"
    assert not any(n.startswith(("tests/", "scripts/", "docs/")) for n in names)


def test_the_wheel_declares_the_command_and_the_gui_script(wheel):
    eps = configparser.ConfigParser()
    eps.optionxform = str   # keep names as written
    eps.read_string(_dist_info(wheel, "entry_points.txt"))
    assert dict(eps["console_scripts"]) == {"ganviz": "ganviz.cli:main"}
    assert dict(eps["gui_scripts"]) == {"ganviz-gui": "ganviz.cli:gui_main"}
    from ganviz import cli

    assert callable(cli.main) and callable(cli.gui_main)
    assert f"Version: {PYPROJECT['project']['version']}" in _dist_info(wheel, "METADATA").splitlines()


def test_the_desktop_entry_starts_the_gui_script_with_the_shipped_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(paths.resource("ganviz.desktop"), encoding="utf-8")
    e = entry["Desktop Entry"]
    assert e["Type"] == "Application" and e["Terminal"] == "false"
    program = e["Exec"].split()[0]
    assert program in PYPROJECT["project"]["gui-scripts"]
    assert paths.resource("icons", f"{e['Icon']}.png").is_file()
    assert paths.resource("icons", f"{e['Icon']}.svg").is_file()
    assert all(e[k].strip() for k in ("Name", "Comment", "Categories"))
    assert e["Categories"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate (desktop-file-utils) is not installed")
def test_the_desktop_entry_passes_desktop_file_validate():
    r = subprocess.run(["desktop-file-validate", str(paths.resource("ganviz.desktop"))], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_resources_are_found_installed_first_then_beside_the_package(tmp_path):
    installed, checkout = tmp_path / "site" / "ganviz" / "resources", tmp_path / "resources"
    for d in (installed, checkout):
        d.mkdir(parents=True)
        (d / paths.MARKER).write_text("[Desktop Entry]\n")
    assert paths.find_resources((installed, checkout)) == installed
    (installed / paths.MARKER).unlink()
    assert paths.find_resources((installed, checkout)) == checkout
    (checkout / paths.MARKER).unlink()
    with pytest.raises(FileNotFoundError, match="reinstall ganviz"):
        paths.find_resources((installed, checkout))
    # In this checkout: the top-level resources/ folder.
    assert paths.resources_dir() == ROOT / "resources"


def test_version_prints_the_installed_version_and_exits_0(tmp_path):
    expected = f"ganviz {importlib.metadata.version('ganviz')}"
    r = subprocess.run([sys.executable, "-m", "ganviz", "--version"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == expected
    import ganviz

    assert ganviz.__version__ == PYPROJECT["project"]["version"]


def test_version_is_listed_in_the_help(capsys):
    from ganviz.cli import build_parser

    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"ganviz {importlib.metadata.version('ganviz')}"
