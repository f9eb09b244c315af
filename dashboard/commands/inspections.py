"""``riskmap inspections validate|import|template|list``: check, store, count records."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from dashboard.arguments.inspections import register
from dashboard.commands.audit import audit_settings
from geo import columns as C
from geo import paths
from geo.config import LimitsSpec, active_store, load_settings, parse_region
from geo.errors import DataError
from geo.geography.base import national_ubigeos, read_districts
from geo.messages import t
from geo.records.checklist import write_template
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

__all__ = ["import_records", "list_counts", "register", "template", "validate"]

_DEPARTMENTS = {"08": "Cusco", "16": "Loreto"}


def _districts(args: argparse.Namespace):
    base = args.base or paths.base_gpkg()
    if not Path(base).is_file():
        raise DataError("cli.inspections.no_existe_tabla_distritos", base=base)
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
            print(t("cli.inspections.no_importo_ninguna_fila"))
        return 2
    print(t("cli.inspections.inspecciones_nuevas_estaban_guardadas", name=args.file.name,
            added=result.added, already_present=result.already_present, import_id=result.import_id,
            sha256=result.sha256[:12], db_path=store.db_path))
    if result.corrected:
        print(t("cli.inspections.nuevas_reemplazan_registros_archivo", corrected=result.corrected))
    if result.completed:
        print(t("cli.inspections.guardadas_completaron_con_victimas", completed=result.completed))
    if result.previous_imports:
        print(t("cli.inspections.mismo_archivo_habia_importado",
                previous_imports=', '.join(map(str, result.previous_imports))))
    return 0


def template(args: argparse.Namespace) -> int:
    """``riskmap inspections template``: the checklist as an XLSX whose rows import unchanged."""
    if args.out.suffix.lower() != ".xlsx":
        raise DataError("lista.cli.extension_xlsx", out=args.out)
    out = write_template(args.out)
    print(t("lista.cli.plantilla_escrita", out=out))
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
        print(t("cli.inspections.almacen_no_existe_todavia", path=path))
        return 0
    role = args.rol or ROL_INVESTIGADOR  # least privileged unless a role is given
    if role == ROL_PLANIFICADOR:
        print(t("cli.inspections.rol_planificador_conteos_exactos"))
    else:
        default = "" if args.rol else t("cli.inspections.defecto")
        print(t("cli.inspections.rol_conteos_suprimen_use", role=role, default=default,
                suppression_min=SUPPRESSION_MIN - 1))
    store = InspectionStore(path, role=role, user=operator())
    table = store.aggregate_by_year_department(
        min_count=1 if role == ROL_PLANIFICADOR else SUPPRESSION_MIN)
    if table.empty:
        print(t("cli.inspections.almacen_vacio"))
        return 0
    head = t("cli.inspections.ano_departamento_inspecciones_hallazgos")
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
        print(t("cli.inspections.conteo_suprimido_proteger_personas",
                suppression_min=SUPPRESSION_MIN, suppression_min_2=SUPPRESSION_MIN - 1))
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
