"""Tables for the README, read from the registries (one idea, one home).

    python -m ganviz.docs            # rewrite the generated blocks of README.md
    python -m ganviz.docs --check    # exit 1 when README.md is out of date

(`ganviz.docs` runs this module's `main`.) A tool for a checkout, not a `ganviz` sub-command:
it reads and writes the repository's README.md and docs/studies/.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

BLOCKS = ("losses", "presets", "optimizers", "integrators", "metrics", "studies")
ROOT = Path(__file__).resolve().parents[2]        # the repository (this file is ganviz/cli/docs.py)
STUDY_RESULTS = ROOT / "docs" / "studies"     # JSON written by `ganviz study ... --out`


def losses_table() -> str:
    from ganviz.core.losses import LOSSES

    # Value and gradient at D* are separate columns: they are different claims (for `ml` the value is
    # a constant while the gradient is forward KL's), and one merged column read as both.
    rows = ["| id | loss | D objective | G objective | value of G's loss at D* | G's gradient at D* follows "
            "| reference |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for l in LOSSES.values():
        cells = [f"`{l.id}`", l.name, l.d_formula, l.g_formula, l.value_at_d_star, l.gradient_follows,
                 l.reference]
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


def metrics_table() -> str:
    from ganviz.core.metric_info import METRICS

    rows = ["| metric | what it is, how it is estimated, and its error |", "| --- | --- |"]
    for m in METRICS.values():
        name = m.label if m.key != "w1" else "W1 (1D) / sliced W1 (2D)"
        rows.append(f"| {name} | {m.description} |".replace("\n", " "))
    return "\n".join(r.replace("||", "\\|\\|") if i > 1 else r for i, r in enumerate(rows))


def _study_runs(study_id: str) -> list[dict]:
    import json

    runs = []
    for path in sorted(STUDY_RESULTS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("study") == study_id:
            runs += data["runs"]
    return runs


def studies_table() -> str:
    """Each study's published table next to ganviz's runs (from docs/studies/*.json)."""
    from ganviz.core.studies import STUDIES, get_study
    from ganviz.cli.study import cells, paper_and_ganviz

    out = []
    for sid in STUDIES:
        st = get_study(sid)
        spread = {"se": "mean ± standard error", "std": "mean ± std"}.get(st.spread, "mean")
        ours = "standard error" if st.spread == "se" else "std"
        out += [f"**{st.name}** ({spread} in the paper; ganviz: mean ± {ours} over its runs). "
                f"Protocol: {st.protocol}", "",
                "| data | method | modes: paper | modes: ganviz | HQ %: paper | HQ %: ganviz "
                "| rev KL: paper | rev KL: ganviz | ganviz runs × iterations |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        rows = {(r["arm"], r["dataset"]): r for r in cells(st, _study_runs(sid))}
        for arm in st.arms:
            for ds, label in st.datasets.items():
                p = arm.published.get(ds)
                r = rows.get((arm.id, ds))
                paper, mine = paper_and_ganviz(dataclasses.asdict(p) if p else None, r, "–", "not run")
                budget = "–"
                if r:
                    steps = "/".join(f"{s:,}" for s in r["steps"])
                    budget = f"{r['runs']} × {steps}" + (f" ({r['diverged']} diverged)" if r["diverged"] else "")
                out.append(f"| {label} | {arm.label} | {paper[0]} | {mine[0]} | {paper[1]} | {mine[1]} "
                           f"| {paper[2]} | {mine[2]} | {budget} |")
        out += ["", f"Where ganviz differs from the paper: {st.deviations}", ""]
    return "\n".join(out).rstrip()


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
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        return 0 if new == text else 1
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
