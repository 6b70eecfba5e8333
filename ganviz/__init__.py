"""ganviz: a desktop lab for watching GANs learn."""

__version__ = "0.1.0"
