"""``riskmap inspections validate|import|list``: check, store and count inspection records."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import paths
from geo.config import STORE_CONFIG_HELP as CONFIG_HELP
from geo.config import active_store, parse_region
from geo.errors import DataError, tr

__all__ = ["register"]

_DEPARTMENTS = {"08": "Cusco", "16": "Loreto"}


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
    validate.set_defaults(func=_validate)

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
    imp.set_defaults(func=_import)

    lst = sub.add_parser("list", help="conteos por año y departamento")
    lst.add_argument("--store", type=Path, default=None,
                     help="base SQLite (por defecto el almacén de la configuración)")
    lst.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    lst.add_argument("--rol", default=None,
                     choices=("planificador", "gobierno_regional", "investigador"),
                     help="rol de quien consulta (por defecto 'investigador', el de menos "
                     "permisos); fuera de 'planificador' los conteos de 1 a 4 se suprimen")
    lst.set_defaults(func=_list)
    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 1


def _districts(args: argparse.Namespace):
    base = args.base or paths.base_gpkg()
    if not Path(base).is_file():
        raise DataError(
            es=f"No existe la tabla de distritos {base}. Ejecute primero 'riskmap data fetch' "
            "(o indique otra con --base).",
            en=f"District table {base} does not exist. Run 'riskmap data fetch' first (or give "
            "another with --base).",
        )
    from geo.geography.base import national_ubigeos, read_districts

    districts = read_districts(Path(base), region=parse_region(args.region))
    districts.attrs["origins"] = national_ubigeos(base)  # for ubigeo_origen
    return districts


def _limits(args: argparse.Namespace) -> tuple[float, int]:
    """Size and row limits: the flags, else the active settings' ``[limits]``, else defaults."""
    from geo.config import LimitsSpec, load_settings

    spec = LimitsSpec()
    settings = paths.default_settings()
    if settings.is_file():
        spec = load_settings(settings, check_files=False).limits
    return (args.max_mb if args.max_mb is not None else spec.upload_mb,
            args.max_rows if args.max_rows is not None else spec.upload_rows)


def _max(args: argparse.Namespace) -> int | None:
    return None if args.max_errors <= 0 else args.max_errors


def _validate(args: argparse.Namespace) -> int:
    from geo.records.inspections import validate_inspections

    districts = _districts(args)
    report = validate_inspections(args.file, districts, limits=_limits(args),
                                  origins=districts.attrs.get("origins"))
    print(report.render(max_errors=_max(args)))
    return 0 if report.ok else 2


def _import(args: argparse.Namespace) -> int:
    from geo.records.store import ROL_PLANIFICADOR, ImportRejected, InspectionStore, operator

    districts = _districts(args)
    # the command line runs on the server: its audit rows name the operator's own login
    store = InspectionStore(_store(args), role=ROL_PLANIFICADOR,
                            user=operator())
    try:
        result = store.import_file(args.file, districts, limits=_limits(args),
                                   origins=districts.attrs.get("origins"),
                                   history=_history(args, districts))
    except ImportRejected as err:
        if err.conflicts:
            print(err.message())
        else:
            print(err.report.render(max_errors=_max(args)))
            print(tr("No se importó ninguna fila; el almacén no cambió.",
                     "No row was imported; the store is unchanged."))
        return 2
    print(tr(
        f"{args.file.name}: {result.added} inspecciones nuevas, {result.already_present} ya "
        f"estaban guardadas (importación n.º {result.import_id}, sha256 "
        f"{result.sha256[:12]}…). Almacén: {store.db_path}",
        f"{args.file.name}: {result.added} new inspections, {result.already_present} already "
        f"stored (import no. {result.import_id}, sha256 {result.sha256[:12]}…). Store: "
        f"{store.db_path}",
    ))
    if result.corrected:
        print(tr(
            f"{result.corrected} de las nuevas reemplazan registros del archivo histórico con "
            "otro contenido (vale la versión importada; cada uno queda en la auditoría con "
            "sus columnas cambiadas).",
            f"{result.corrected} of the new ones replace records of the history file with "
            "different content (the imported version is used; each is kept in the audit "
            "trail with the columns that changed).",
        ))
    if result.completed:
        print(tr(
            f"{result.completed} de las ya guardadas se completaron con víctimas por sexo, "
            "edad u origen que faltaban (nada se sobrescribió; queda en la auditoría).",
            f"{result.completed} of those already stored were completed with the victims' "
            "sex, age or origin they lacked (nothing overwritten; kept in the audit trail).",
        ))
    if result.previous_imports:
        print(tr(
            "Este mismo archivo ya se había importado (importaciones "
            f"{', '.join(map(str, result.previous_imports))}); no se duplicó nada.",
            "This same file had been imported before (imports "
            f"{', '.join(map(str, result.previous_imports))}); nothing was duplicated.",
        ))
    return 0


def _history(args: argparse.Namespace, districts):
    """Return the active settings' history records: what an import may replace."""
    from geo.config import load_settings
    from geo.records.inspections import empty_records, history_records

    config = getattr(args, "config", None) or paths.default_settings()
    if not Path(config).is_file():
        return empty_records()
    settings = load_settings(config, check_files=False)
    if settings.inspections is None or not Path(settings.inspections).is_file():
        return empty_records()
    return history_records(settings, districts)


def _list(args: argparse.Namespace) -> int:
    from geo import columns as C
    from geo.records.store import N_VICTIMAS, SUPRIMIDO, InspectionStore

    path = _store(args)
    if not Path(path).is_file():
        print(tr(f"El almacén {path} no existe todavía: importe con 'riskmap inspections "
                 "import ARCHIVO'.",
                 f"Store {path} does not exist yet: import with 'riskmap inspections import "
                 "FILE'."))
        return 0
    from geo.records.store import ROL_INVESTIGADOR, ROL_PLANIFICADOR, SUPPRESSION_MIN

    role = args.rol or ROL_INVESTIGADOR  # least privileged unless a role is given
    if role == ROL_PLANIFICADOR:
        print(tr("Rol: planificador (conteos exactos).",
                 "Role: planificador (exact counts)."))
    else:
        default = "" if args.rol else tr(", por defecto", ", the default")
        print(tr(f"Rol: {role}{default}; los conteos de 1 a {SUPPRESSION_MIN - 1} se "
                 "suprimen. Use --rol planificador para ver los exactos.",
                 f"Role: {role}{default}; counts from 1 to {SUPPRESSION_MIN - 1} are "
                 "suppressed. Use --rol planificador for exact counts."))
    from geo.records.store import operator

    store = InspectionStore(path, role=role, user=operator())
    table = store.aggregate_by_year_department(
        min_count=1 if role == ROL_PLANIFICADOR else SUPPRESSION_MIN)
    if table.empty:
        print(tr("El almacén está vacío.", "The store is empty."))
        return 0
    head = tr("año  departamento  inspecciones  hallazgos  víctimas",
              "year department   inspections  findings   victims")
    print(head)
    # "-": no record of that year and department gives the figure.
    for row in table.itertuples(index=False):
        rec = row._asdict()
        dep = _DEPARTMENTS.get(rec[C.COD_DEP], rec[C.COD_DEP])
        hidden = rec[SUPRIMIDO].split(";")
        cells = [_cell(rec[c], c in hidden)
                 for c in (C.N_INSPECCIONES, C.N_HALLAZGOS, N_VICTIMAS)]
        print(f"{rec['anio']:<4} {dep:<13} {cells[0]:>12} {cells[1]:>10} {cells[2]:>9}")
    if (table[SUPRIMIDO] != "").any():
        print(tr(f"'<{SUPPRESSION_MIN}': conteo entre 1 y {SUPPRESSION_MIN - 1}, suprimido "
                 "para proteger a las personas.",
                 f"'<{SUPPRESSION_MIN}': count between 1 and {SUPPRESSION_MIN - 1}, "
                 "suppressed to protect people."))
    return 0


def _cell(value, suppressed: bool) -> str:
    if suppressed:
        from geo.records.store import SUPPRESSION_MIN

        return f"<{SUPPRESSION_MIN}"
    import pandas as pd

    return "-" if pd.isna(value) else str(int(value))


def _store(args):
    """``--store``, else the store of the active settings (:func:`geo.config.active_store`)."""
    return args.store or active_store(getattr(args, "config", None))
