"""The README's tables are generated from the registries and must not drift from them."""
import re
import subprocess
import sys

from ganviz.cli import docs
from ganviz.core.losses import LOSSES


def test_readme_tables_match_the_registries():
    assert docs.main(["--check"]) == 0, "README.md is out of date: run python -m ganviz.docs"


def test_python_m_ganviz_docs_is_the_command_the_readme_names():
    p = subprocess.run([sys.executable, "-m", "ganviz.docs", "--check"], capture_output=True, text=True,
                       timeout=120, cwd=docs.ROOT)
    assert p.returncode == 0, p.stderr


def test_loss_table_has_one_row_per_registry_entry():
    table = docs.losses_table()
    assert all(f"`{lid}`" in table for lid in LOSSES)
    assert len(table.splitlines()) == 2 + len(LOSSES)


def test_loss_table_keeps_value_and_gradient_at_d_star_apart():
    header, rule, *rows = docs.losses_table().splitlines()
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert "value of G's loss at D*" in columns and "G's gradient at D* follows" in columns
    assert rule.count("---") == len(columns)
    value_col, grad_col = columns.index("value of G's loss at D*"), columns.index("G's gradient at D* follows")
    for loss, row in zip(LOSSES.values(), rows):
        # Split on unescaped pipes only: the formulas' norms are written \|\| in the table.
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip("|"))]
        assert len(cells) == len(columns), row
        assert cells[value_col] == loss.value_at_d_star
        assert cells[grad_col] == loss.gradient_follows


def test_metric_table_has_one_row_per_metric_of_the_registry():
    from ganviz.core.metric_info import METRICS

    table = docs.metrics_table()
    assert len(table.splitlines()) == 2 + len(METRICS)
    assert "sliced W1" in table and "lower bound" in table
