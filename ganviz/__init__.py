"""ganviz: a desktop lab for watching GANs learn."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ganviz")     # one home: [project] version in pyproject.toml
except PackageNotFoundError:            # run from a checkout that was never installed
    __version__ = "0+unknown"
del PackageNotFoundError, version
