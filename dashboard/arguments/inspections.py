"""The arguments of ``riskmap inspections validate|import|template|list``.

What it does: :mod:`dashboard.commands.inspections`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler, show_help
from geo.config import STORE_CONFIG_HELP as CONFIG_HELP

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap inspections`` and its subcommands."""
    parser = subparsers.add_parser(
        "inspections",
        help="validar, importar y listar registros de inspección / inspection records",
        description="Registros de inspección: validar un archivo, importarlo al almacén "
        "SQLite, contar lo guardado. Inspection records: validate, import, list.",
    )
    sub = parser.add_subparsers(dest="inspections_command", metavar="ACCION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--base", type=Path, default=None,
                       help="GeoPackage de distritos (por defecto el de 'riskmap data fetch')")
        p.add_argument("--region", default=None,
                       help="departamentos: cusco, loreto, all o códigos '08,16' "
                       "(por defecto Cusco y Loreto)")
        p.add_argument("--max-errors", type=int, default=200,
                       help="cuántos errores de fila mostrar como máximo (0 = todos)")
        p.add_argument("--max-mb", type=float, default=None,
                       help="archivo más grande aceptado, en MB (por defecto [limits] upload_mb "
                       "de la configuración, o 50)")
        p.add_argument("--max-rows", type=int, default=None,
                       help="filas como máximo (por defecto [limits] upload_rows, o 200000)")

    validate = sub.add_parser(
        "validate",
        help="revisar un archivo sin importarlo",
        description="Revisa cada fila de un archivo de inspecciones (CSV, XLSX, GeoPackage o "
        "GeoJSON) contra el contrato de columnas y dice qué corregir, fila por fila, sin "
        "guardar nada. Checks every row of an inspection file and says what to fix; "
        "stores nothing.",
    )
    validate.add_argument("file", type=Path, help="CSV, XLSX, GeoPackage o GeoJSON")
    common(validate)
    validate.set_defaults(func=handler("inspections.validate"))

    imp = sub.add_parser(
        "import",
        help="importar un archivo válido al almacén (todo o nada)",
        description="Valida el archivo e importa sus filas al almacén SQLite de "
        "inspecciones: todo o nada (con un error no se guarda ninguna fila), sin duplicar lo "
        "ya guardado, y con registro de auditoría. Validates and imports the file into the "
        "inspection store, all or nothing, audited.",
    )
    imp.add_argument("file", type=Path, help="CSV, XLSX, GeoPackage o GeoJSON")
    imp.add_argument("--store", type=Path, default=None,
                     help="base SQLite (por defecto el almacén de la configuración)")
    imp.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    common(imp)
    imp.set_defaults(func=handler("inspections.import_records"))

    template = sub.add_parser(
        "template",
        help="plantilla XLSX de la lista de verificación / checklist template",
        description="Escribe la plantilla XLSX de la lista de verificación de inspección: una "
        "fila por inspección con las columnas y códigos del contrato, listas desplegables y una "
        "hoja que explica cada columna; llena, se importa con 'riskmap inspections import'. "
        "Writes the inspection checklist template; filled in, it imports unchanged.",
    )
    template.add_argument("--out", type=Path, required=True, help="archivo .xlsx a escribir")
    template.set_defaults(func=handler("inspections.template"))

    lst = sub.add_parser("list", help="conteos por año y departamento")
    lst.add_argument("--store", type=Path, default=None,
                     help="base SQLite (por defecto el almacén de la configuración)")
    lst.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    lst.add_argument("--rol", default=None,
                     choices=("planificador", "gobierno_regional", "investigador"),
                     help="rol de quien consulta (por defecto 'investigador', el de menos "
                     "permisos); fuera de 'planificador' los conteos de 1 a 4 se suprimen")
    lst.set_defaults(func=handler("inspections.list_counts"))
    parser.set_defaults(func=show_help(parser))
