"""`python -m ganviz.docs [--check]`: the README's generated tables, by the name the README, CI and
contributors use; the code is ganviz/cli/docs.py."""
from ganviz.cli.docs import main

if __name__ == "__main__":
    raise SystemExit(main())
