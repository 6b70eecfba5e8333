"""`ganviz scenarios`: the built-in scenarios, one a line: name, the view it opens with, description."""
from __future__ import annotations


def add_parser(sub) -> None:
    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.set_defaults(func=cmd_scenarios)


def cmd_scenarios(args) -> int:
    from ganviz.core import scenario as S

    for name in S.builtin_names():
        sc = S.load(name)
        print(f"{name:<32} {sc.view or '-':<8} {sc.description or sc.name}")
    return 0
