"""The ``riskmap`` command line: one entry point, one subcommand per task.

Each subcommand's arguments live in :mod:`dashboard.arguments`, one module per command,
discovered here; every module defines ``register(subparsers)``. What a command does is in
the module of the same name in :mod:`dashboard.commands`, imported only when that command
runs (so ``riskmap --help`` does not load geopandas). A :class:`geo.errors.RiskmapError`
is printed as a plain message in the chosen language (``--lang es|en``) with exit status
2 — never a traceback. ``--debug`` shows the traceback of unexpected errors.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import sys
import traceback

from dashboard import arguments
from geo.errors import RiskmapError, language
from geo.messages import t


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every subcommand of :mod:`dashboard.arguments` registered."""
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
    for info in sorted(pkgutil.iter_modules(arguments.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"dashboard.arguments.{info.name}")
        module.register(subparsers)
    return parser


#: argparse's own words in Spanish (it looks them up through ``argparse._`` at call time).
_ARGPARSE_ES = {
    "usage: ": "uso: ",
    "positional arguments": "argumentos",
    "options": "opciones",
    "show this help message and exit": "mostrar esta ayuda y salir",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "argumentos no reconocidos: %s",
    "the following arguments are required: %s": "faltan los argumentos obligatorios: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "opción no válida: %(value)r (elija entre %(choices)s)",
    "expected one argument": "se esperaba un valor",
    "expected at least one argument": "se esperaba al menos un valor",
    "expected at most one argument": "se esperaba como mucho un valor",
    "invalid %(type)s value: %(value)r": "valor no válido (%(type)s): %(value)r",
    "ambiguous option: %(option)s could match %(matches)s":
        "opción ambigua: %(option)s puede ser %(matches)s",
    "not allowed with argument %s": "no se permite junto con el argumento %s",
    "one of the arguments %s is required": "se requiere uno de los argumentos %s",
    "ignored explicit argument %r": "se ignoró el argumento explícito %r",
}


@contextlib.contextmanager
def _argparse_language(lang: str):
    """Let argparse's usage lines and errors speak ``lang`` while the command runs."""
    original = argparse._
    if lang == "es":
        argparse._ = lambda text: _ARGPARSE_ES.get(text, original(text))
    try:
        yield
    finally:
        argparse._ = original


def _requested_language(argv: list[str]) -> str:
    """Read ``--lang`` before parsing, so that help and usage errors use it too."""
    for i, token in enumerate(argv):
        if token.startswith("--lang="):
            return "en" if token.split("=", 1)[1] == "en" else "es"
        if token == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "es"
    return "es"


def main(argv: list[str] | None = None) -> int:
    """Run ``riskmap`` with ``argv`` and return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    with _argparse_language(_requested_language(argv)):
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # --help (0) or a usage error (2), already printed
            return int(stop.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # the language is restored afterwards so that a caller (or a test) running several
    # commands in one process is not left in the last command's language
    with language(args.lang):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except RiskmapError as err:
        print(t("cli.error") + err.message(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(t("cli.interrumpido"), file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last line of defence: a message, not a traceback
        if args.debug:
            traceback.print_exc()
        print(
            t("cli.error_inesperado_vuelva_ejecutar", name=type(err).__name__, err=err),
            file=sys.stderr,
        )
        return 1

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
