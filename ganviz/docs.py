"""Tables for the README, read from the registries (one idea, one home).

    python -m ganviz.docs            # rewrite the generated blocks of README.md
    python -m ganviz.docs --check    # exit 1 when README.md is out of date
"""
from __future__ import annotations

import sys
from pathlib import Path

BLOCKS = ("losses", "presets", "optimizers", "integrators")


def losses_table() -> str:
    from ganviz.core.losses import LOSSES

    rows = ["| id | loss | D objective | G objective | at the optimal D, G minimises | reference |",
            "| --- | --- | --- | --- | --- | --- |"]
    for l in LOSSES.values():
        cells = [f"`{l.id}`", l.name, l.d_formula, l.g_formula, l.divergence, l.reference]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def presets_table() -> str:
    from ganviz.core.data import PRESETS

    rows = ["| id | dim | data |", "| --- | --- | --- |"]
    rows += [f"| `{p.id}` | {p.dim}D | {p.description} |" for p in PRESETS.values()]
    return "\n".join(rows)


def optimizers_table() -> str:
    from ganviz.core.optim import OPTIMIZERS

    rows = ["| id | optimizer | update |", "| --- | --- | --- |"]
    rows += [f"| `{o.id}` | {o.name} | {o.rule} |" for o in OPTIMIZERS.values()]
    return "\n".join(rows)


def integrators_table() -> str:
    from ganviz.core.games import INTEGRATORS

    rows = ["| id | method | update rule |", "| --- | --- | --- |"]
    for i in INTEGRATORS.values():
        rows.append(f"| `{i.id}` | {i.name} | {i.rule} |".replace("\n", " "))
    return "\n".join(rows)


def render(text: str) -> str:
    for name in BLOCKS:
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in text or end not in text:
            continue
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        table = globals()[f"{name}_table"]()
        text = f"{head}{start}\n{table}\n{end}{tail}"
    return text


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        return 0 if new == text else 1
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
