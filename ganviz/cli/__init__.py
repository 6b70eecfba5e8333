"""The `ganviz` command: the app, and one module per sub-command.

    ganviz [SCENARIO]                 open the lab (optionally with a scenario; ganviz-gui does the same
                                      without a console window on Windows)
    ganviz --version                  print the installed version
    ganviz run SCENARIO [...]         train headless, print metrics                        cli/run.py
    ganviz scenarios                  list the built-in scenarios                          cli/scenarios.py
    ganviz bench                      ganviz's trainer vs the tutorial loop                cli/bench.py
    ganviz game ...                   the bilinear game and the Dirac-GAN                  cli/game.py
    ganviz compare SCENARIO [...]     several losses in lockstep over seeds: mode coverage  cli/compare.py
    ganviz export SCENARIO -o OUT     render offscreen to MP4, GIF, PNG frames or a still  cli/export.py
    ganviz study [ID] [...]           the VEEGAN / PacGAN tables, rerun under their protocols  cli/study.py
    ganviz measure SAMPLES --data D   every metric of the app for samples from any generator  cli/measure.py
    ganviz lessons [--check]          the built-in lessons, their claims, and whether they hold  cli/lessons.py

Each command module has `add_parser(sub)`, which declares its options, and its command function,
which imports what is heavy (torch, Qt) only when it runs: `ganviz --help` loads no torch.
`python -m ganviz.docs` (cli/docs.py) regenerates the README's tables. Options that set a setting
are checked against the settings schema (cli/options.py). Errors a user can cause, a bad option
among them, print one line and exit with status 2 (ganviz.console).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Callable, Optional, Sequence

from ganviz.console import EXIT_INTERRUPTED, fail
from ganviz.engine.memory import keep_freed_memory

# The sub-commands, in the order `ganviz --help` lists them: each is the module ganviz.cli.<name>.
COMMANDS = ("run", "scenarios", "bench", "game", "compare", "export", "study", "measure", "lessons")


class UsageError(Exception):
    """A command line argparse refused; `command` is the sub-command it belongs to ("" for none)."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(message)
        self.command = command


class Parser(argparse.ArgumentParser):
    """argparse, with its errors raised for `main` to print as ganviz's one line (status 2), not as
    the usage text and an error."""

    def error(self, message: str):
        command = self.prog.partition(" ")[2]
        if message.startswith("argument "):         # "argument --steps: must be ..." -> "--steps: must be ..."
            message = message[len("argument "):]
            if message.endswith(": expected one argument"):
                option = message.split(":")[0].split("/")[-1]
                message += f" (a value that starts with '-' is written {option}=VALUE)"
        else:                                       # unrecognised or missing arguments: where to look
            message += f" (see ganviz {command + ' ' if command else ''}--help)"
        raise UsageError(message, command)


def version_text() -> str:
    from ganviz import __version__

    return f"ganviz {__version__}"


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    p = Parser(prog="ganviz", description="A desktop lab for watching GANs learn.")
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        import_module(f"ganviz.cli.{name}").add_parser(sub)
    return p


def cmd_app(args) -> int:
    from ganviz.ui.app import run_app

    return run_app(args.scenario, errors_in_window=getattr(args, "errors_in_window", False))


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:
        # Answered before the parser is built, which imports every command module.
        print(version_text())
        return 0
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        return cmd_app(argparse.Namespace(scenario=argv[0] if argv else None))
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except UsageError as e:
        return fail(str(e), e.command)
    if extra:       # named here, not by argparse, so that the message says which command's help to read
        command = args.command or ""
        return fail(f"unrecognized arguments: {' '.join(extra)} (see ganviz {command + ' ' if command else ''}--help)",
                    command)
    func: Callable = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    _interrupt_on_termination()
    keep_freed_memory()          # for the commands that train here: no page faults a step (ganviz.engine.memory)
    try:
        return func(args)
    except KeyboardInterrupt:   # commands with something to clean up catch it first and say what they did
        print(f"ganviz {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _interrupt_on_termination() -> None:
    """SIGTERM and SIGHUP (a closed terminal) end a command as Ctrl-C does: through its clean-up
    (an export's children stopped and its temporary file removed), not by dying where it stands."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, _frame) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, interrupt)


def gui_main(argv: Optional[Sequence[str]] = None) -> int:
    """`ganviz-gui [SCENARIO]`: the lab alone, as the gui-script that Windows starts without a console.

    With no console to print on, a scenario that cannot be loaded is reported in the window."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return cmd_app(argparse.Namespace(scenario=argv[0] if argv else None, errors_in_window=True))


if __name__ == "__main__":
    raise SystemExit(main())
