"""The ``riskmap`` command line: one entry point, one subcommand per task.

Subcommands live in :mod:`dashboard.commands`, one module each, discovered here; every
module defines ``register(subparsers)``. A :class:`geo.errors.RiskmapError` is printed
as a plain message in the chosen language (``--lang es|en``) with exit status 2 — never
a traceback. ``--debug`` shows the traceback of unexpected errors.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback

from geo.errors import RiskmapError, language, tr


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every subcommand of :mod:`dashboard.commands` registered."""
    parser = argparse.ArgumentParser(
        prog="riskmap",
        description=(
            "Mapa de riesgo de trabajo forzoso por distrito (Cusco y Loreto). "
            "Forced-labour risk map by district for Peru's labour inspectorate."
        ),
    )
    parser.add_argument(
        "--lang", choices=("es", "en"), default="es", help="idioma de los mensajes / language"
    )
    parser.add_argument("--debug", action="store_true", help="mostrar trazas completas de errores")
    subparsers = parser.add_subparsers(dest="command", metavar="COMANDO")
    import dashboard.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"dashboard.commands.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``riskmap`` with ``argv`` and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    # the language is restored afterwards so that a caller (or a test) running several
    # commands in one process is not left in the last command's language
    with language(args.lang):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except RiskmapError as err:
        print(tr("Error: ", "Error: ") + err.message(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(tr("Interrumpido.", "Interrupted."), file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last line of defence: a message, not a traceback
        if args.debug:
            traceback.print_exc()
        print(
            tr(
                f"Error inesperado ({type(err).__name__}: {err}). "
                "Vuelva a ejecutar con --debug y reporte el problema.",
                f"Unexpected error ({type(err).__name__}: {err}). "
                "Run again with --debug and report the problem.",
            ),
            file=sys.stderr,
        )
        return 1

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
