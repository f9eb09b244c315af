"""What each ``riskmap`` subcommand accepts: its arguments and help, one module per command.

Each module defines ``register(subparsers)``, which adds its subcommand(s) and sets
``func`` to :func:`handler` — the name of the function in :mod:`dashboard.commands` that
does the work. These modules import nothing heavier than :mod:`geo.config`, so that
``riskmap --help`` and a usage error answer at once; the command's own module (and with it
geopandas, scikit-learn…) is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

__all__ = ["handler", "show_help"]


def handler(name: str) -> Callable[[argparse.Namespace], int]:
    """Return ``func`` for a parser: run ``dashboard.commands.<name>`` (``"module.function"``).

    The module is imported when the command runs, and the function looked up then (a test
    may replace it).

    >>> handler("plan.run").__qualname__
    'dashboard.commands.plan.run'
    """
    module, function = name.rsplit(".", 1)

    def run(args: argparse.Namespace) -> int:
        command = importlib.import_module(f"dashboard.commands.{module}")
        return getattr(command, function)(args)

    run.__qualname__ = f"dashboard.commands.{name}"
    return run


def show_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """Return ``func`` for a command group run without its action: print its help, exit 1."""

    def run(args: argparse.Namespace) -> int:
        parser.print_help()
        return 1

    return run
