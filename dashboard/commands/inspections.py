"""``riskmap inspections validate|import|list``: check, store and count inspection records."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from dashboard.arguments.inspections import register
from dashboard.commands.audit import audit_settings
from geo import columns as C
from geo import paths
from geo.config import LimitsSpec, active_store, load_settings, parse_region
from geo.errors import DataError, tr
from geo.geography.base import national_ubigeos, read_districts
from geo.records.inspections import empty_records, history_records, validate_inspections
from geo.records.store import (
    N_VICTIMAS,
    ROL_INVESTIGADOR,
    ROL_PLANIFICADOR,
    SUPPRESSION_MIN,
    SUPRIMIDO,
    ImportRejected,
    InspectionStore,
    operator,
)

__all__ = ["import_records", "list_counts", "register", "validate"]

_DEPARTMENTS = {"08": "Cusco", "16": "Loreto"}


def _districts(args: argparse.Namespace):
    base = args.base or paths.base_gpkg()
    if not Path(base).is_file():
        raise DataError(
            es=f"No existe la tabla de distritos {base}. Ejecute primero 'riskmap data fetch' "
            "(o indique otra con --base).",
            en=f"District table {base} does not exist. Run 'riskmap data fetch' first (or give "
            "another with --base).",
        )
    districts = read_districts(Path(base), region=parse_region(args.region))
    districts.attrs["origins"] = national_ubigeos(base)  # for ubigeo_origen
    return districts


def _limits(args: argparse.Namespace) -> tuple[float, int]:
    """Size and row limits: the flags, else the active settings' ``[limits]``, else defaults."""
    spec = LimitsSpec()
    settings = paths.default_settings()
    if settings.is_file():
        spec = load_settings(settings, check_files=False).limits
    return (args.max_mb if args.max_mb is not None else spec.upload_mb,
            args.max_rows if args.max_rows is not None else spec.upload_rows)


def _max(args: argparse.Namespace) -> int | None:
    return None if args.max_errors <= 0 else args.max_errors


def validate(args: argparse.Namespace) -> int:
    """``riskmap inspections validate``: check a file row by row, store nothing."""
    districts = _districts(args)
    report = validate_inspections(args.file, districts, limits=_limits(args),
                                  origins=districts.attrs.get("origins"))
    print(report.render(max_errors=_max(args)))
    return 0 if report.ok else 2


def import_records(args: argparse.Namespace) -> int:
    """``riskmap inspections import``: import a valid file, all or nothing."""
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
    config = getattr(args, "config", None) or paths.default_settings()
    if not Path(config).is_file():
        return empty_records()
    settings = load_settings(config, check_files=False)
    if settings.inspections is None or not Path(settings.inspections).is_file():
        return empty_records()
    return history_records(settings, districts)


def list_counts(args: argparse.Namespace) -> int:
    """``riskmap inspections list``: counts by year and department."""
    path = _store(args)
    if not Path(path).is_file():
        print(tr(f"El almacén {path} no existe todavía: importe con 'riskmap inspections "
                 "import ARCHIVO'.",
                 f"Store {path} does not exist yet: import with 'riskmap inspections import "
                 "FILE'."))
        return 0
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
        return f"<{SUPPRESSION_MIN}"
    return "-" if pd.isna(value) else str(int(value))


def _store(args):
    """``--store``, else the store of the active settings (:func:`geo.config.active_store`).

    A store opened through ``--config`` keeps those settings' ``[audit]``.
    """
    if args.store:
        return args.store
    path = active_store(getattr(args, "config", None))
    audit_settings(args, Path(path))
    return path
