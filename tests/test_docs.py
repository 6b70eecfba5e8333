"""The README's tables are generated from the registries and must not drift from them."""
from ganviz import docs
from ganviz.core.losses import LOSSES


def test_readme_tables_match_the_registries():
    assert docs.main(["--check"]) == 0, "README.md is out of date: run python -m ganviz.docs"


def test_loss_table_has_one_row_per_registry_entry():
    table = docs.losses_table()
    assert all(f"`{lid}`" in table for lid in LOSSES)
    assert len(table.splitlines()) == 2 + len(LOSSES)
