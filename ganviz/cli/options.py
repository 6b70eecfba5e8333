"""Command-line options checked against the settings schema, for every sub-command.

An option that sets a setting (`--steps`, `--seed`, a game's `--lr`) is read with the setting's
`Field` from `ganviz.core.settings`, so the command line, the scenario loader and the app refuse the
same values in the same words; options that set no setting (`bench --seconds`) get a `Field` of their
own in their command's module. A bad value stops argparse before anything runs, and `ganviz.cli.main`
prints it as one line naming the option, e.g.

    ganviz compare: error: --seeds: must be an integer in [1, 100] (got '1000000000')

Integers may be written as floats that are whole ("1e4"); "nan", "inf" and out-of-range values are refused.
"""
from __future__ import annotations

import argparse
import math
from typing import Any, Callable

from ganviz.core.settings import Field, SettingsError


def parse_number(text: str, kind: type) -> Any:
    """`text` as an int (also "1e4") or a float; None when it is not one."""
    text = text.strip()
    if kind is int:
        try:
            return int(text)
        except ValueError:
            pass
    try:
        value = float(text)
    except ValueError:
        return None
    if kind is int:
        return int(value) if math.isfinite(value) and value.is_integer() else None
    return value


def checked(field: Field) -> Callable[[str], Any]:
    """An argparse `type`: the option's text as `field`'s value, refused unless the field allows it.

    Numbers (int, float) and choices (str fields with choices) are supported."""
    def convert(text: str) -> Any:
        value = text if field.kind is str else parse_number(text, field.kind)
        try:
            if value is None:
                raise SettingsError(text)
            field.check(value, "")
        except SettingsError:
            raise argparse.ArgumentTypeError(f"must be {field.describe_range()} (got {text!r})") from None
        return value

    convert.__name__ = field.name       # argparse names the type in some messages
    return convert


def number_pair(field: Field) -> Callable[[str], tuple[float, float]]:
    """An argparse `type` for "X,Y": two numbers, checked against a list field of length 2 (a start point)."""
    def convert(text: str) -> tuple[float, float]:
        parts = text.split(",")
        values = [parse_number(p, float) for p in parts]
        if len(parts) != 2 or any(v is None for v in values):
            raise argparse.ArgumentTypeError(f"expected two numbers as X,Y (got {text!r})")
        try:
            field.check(values, "")
        except SettingsError:
            raise argparse.ArgumentTypeError(f"must be {field.describe_range()} (got {text!r})") from None
        return values[0], values[1]

    convert.__name__ = field.name
    return convert


def cli_field(name: str, kind: type, lo: float, hi: float, help: str = "", **kw) -> Field:
    """A Field for an option that sets no setting (a benchmark's time, a thread count): its range, stated once."""
    return Field(name, kind, None, name, help, lo, hi, **kw)
