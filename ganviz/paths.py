"""Where ganviz's data files are: the built-in scenarios, the app icon and the Linux desktop entry.

They live in the repository's top-level `resources/` folder, beside `ganviz/` and `tests/`. A wheel
installs that folder as `ganviz/resources`, inside the package (see `[tool.setuptools]` in
pyproject.toml); a source checkout or an editable install reads it where it is, beside the package.
`resources_dir()` looks in both places, in that order.

Ask this module, not `importlib.resources.files("ganviz.resources")`: setuptools' editable
installs do not make that sub-package importable when it maps to a folder outside the package.

Plain Python (no numpy, no torch, no Qt), so that every layer may import it.

    python -m ganviz.paths        # print the folder, e.g. to install the desktop entry
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

# Installed (wheel): site-packages/ganviz/resources. Source checkout or editable install: resources/
# beside ganviz/. The desktop entry marks the folder as ganviz's, not some other "resources".
CANDIDATES = (_PACKAGE / "resources", _PACKAGE.parent / "resources")
MARKER = "ganviz.desktop"


def find_resources(candidates: tuple[Path, ...] = CANDIDATES) -> Path:
    """The first of `candidates` that holds ganviz.desktop; FileNotFoundError when none does."""
    for d in candidates:
        if (d / MARKER).is_file():
            return d
    raise FileNotFoundError("ganviz's resources folder is missing (looked for "
                            + " and ".join(str(d / MARKER) for d in candidates)
                            + "); reinstall ganviz")


@lru_cache(maxsize=None)
def resources_dir() -> Path:
    """The folder holding scenarios/, icons/ and ganviz.desktop (looked up once)."""
    return find_resources()


def resource(*parts: str) -> Path:
    """A file or folder under `resources_dir()`, e.g. resource("icons", "ganviz.png")."""
    return resources_dir().joinpath(*parts)


if __name__ == "__main__":
    print(resources_dir())
