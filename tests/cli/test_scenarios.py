"""`ganviz scenarios`: every built-in scenario, one a line."""
from ganviz.cli import main


def test_scenarios_lists_the_builtins(capsys):
    from ganviz.core.scenario import builtin_names

    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in builtin_names())
