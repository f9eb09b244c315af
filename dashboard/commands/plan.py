"""``riskmap plan``: the month's inspection trips from the risk scores, beside the naive plan."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import geopandas as gpd
import pyogrio

from dashboard.arguments.plan import register
from geo import columns as C
from geo import paths
from geo.config import load_settings
from geo.errors import RiskmapError
from geo.formatting import format_number, format_quantity
from geo.geography.services import read_stored
from geo.messages import get_language, t
from geo.records.inspections import load_records
from geo.records.store import ROL_PLANIFICADOR, InspectionStore, operator
from geo.trust.access import floor
from models.planning.fieldsheet import department_profiles, plan_field_sheets
from models.planning.plan import (
    HALLAZGOS,
    HALLAZGOS_P05,
    HALLAZGOS_P95,
    load_scores,
    plan_inspections,
)

__all__ = ["field_sheets", "parse_budget", "register", "run"]


def parse_budget(value: str | None, names: list[str]) -> dict[str, float] | None:
    """Turn ``--budget`` into capacities per office name.

    >>> parse_budget("30", ["A", "B"])
    {'A': 30.0, 'B': 30.0}
    >>> parse_budget("30,12.5", ["A", "B"])
    {'A': 30.0, 'B': 12.5}
    """
    if value is None:
        return None
    parts = [x.strip() for x in str(value).split(",") if x.strip()]
    try:
        numbers = [float(x) for x in parts]
    except ValueError as err:
        raise RiskmapError("cli.plan.budget_espera_numero_dias", value=value,
                           names=', '.join(names)) from err
    if len(numbers) == 1:
        numbers = numbers * len(names)
    if len(numbers) != len(names):
        raise RiskmapError("cli.plan.budget_tiene_valores_oficinas", n_numbers=len(numbers),
                           n_names=len(names), names=', '.join(names))
    return dict(zip(names, numbers, strict=True))


def run(args: argparse.Namespace) -> int:
    """``riskmap plan``: the month's trips, beside the simple plan."""
    settings = load_settings(args.config or paths.default_settings(), check_files=False)
    spec = settings.planning
    changes = {
        "exploration_share": args.exploration, "seed": args.seed,
        "max_trip_days": args.max_trip_days, "days_per_inspection": args.days_per_inspection,
    }
    spec = dataclasses.replace(spec, **{k: v for k, v in changes.items() if v is not None})
    if args.travel:
        spec = dataclasses.replace(spec, travel_table=Path(args.travel))
    capacities = parse_budget(args.budget, [o.name for o in spec.offices])
    scores = load_scores(Path(args.scores) if args.scores else settings.scores_gpkg)
    plan = plan_inspections(scores, spec, capacities=capacities,
                            districts=_regions(settings.districts_gpkg))
    _print(plan, settings.simulated)
    if args.out:
        write = plan.to_xlsx if Path(args.out).suffix.lower() == ".xlsx" else plan.to_csv
        out = write(args.out, simulated=settings.simulated)
        print(t("cli.plan.plan_escrito", out=out))
    if args.html:
        sheets = field_sheets(plan, settings, scores, getattr(args, "rol", None)
                              or ROL_PLANIFICADOR)
        out = plan.write_html(args.html, simulated=settings.simulated, month=args.month,
                              sheets=sheets)
        print(t("cli.plan.pagina_imprimible_escrita", out=out))
    return 0


def field_sheets(plan, settings, scores, role: str) -> list:
    """Return the field sheet of every district of ``plan``, its counts as ``role`` sees them.

    The command line runs on the server (its operator prepares the plan): the records are
    read from the active store, the read is audited, and a role other than the planner's
    gets the indicator counts suppressed (the same suppression as the pages) and no figure
    of the district's own record.
    """
    districts = _district_table(settings.districts_gpkg)
    services = read_stored(settings.districts_gpkg)
    store = None
    if Path(settings.store_path).is_file():
        store = InspectionStore(settings.store_path, role=ROL_PLANIFICADOR, user=operator())
    records = load_records(settings, store if store is not None else False)
    k = floor(role, settings.auth.suppression)
    aggregate = role != ROL_PLANIFICADOR
    table = districts if districts is not None else scores
    profiles = department_profiles(records, table, k, aggregate)
    if store is not None:
        store.record_event("lectura_indicadores", {"vista": "fichas_de_campo", "rol": role,
                                                   "umbral": k, "filas": len(plan.visits)})
    shown = scores
    if aggregate:  # no count of the district's own record for a protected role
        shown = scores.drop(columns=[c for c in (C.N_INSPECCIONES, C.N_HALLAZGOS,
                                                 C.N_DENUNCIAS) if c in scores])
    return plan_field_sheets(plan, settings, districts=districts, services=services,
                             profiles=profiles, scores=shown)


def _district_table(path: Path):
    """Read the district table (layer values, polygons for the travel network), if built."""
    if not path.is_file():
        return None
    try:
        return gpd.read_file(path, layer="distritos")
    except Exception:  # noqa: BLE001 - the sheets say "sin dato" without it
        return None


def _regions(path: Path):
    """Read the district table's ``ubigeo, region_natural`` if it exists (refines travel)."""
    if not path.is_file():
        return None
    try:
        return pyogrio.read_dataframe(path, layer="distritos", columns=["ubigeo",
                                                                        "region_natural"],
                                      read_geometry=False)
    except Exception:  # noqa: BLE001 - optional refinement: the estimate works without it
        return None


def _print(plan, simulated: bool) -> None:
    total = plan.summary.iloc[-1]
    if simulated:
        print(t("cli.plan.datos_simulados"))
    budgets = ", ".join(f"{row['oficina']} {format_number(row['capacidad_dias'])}"
                        for _, row in plan.summary.iloc[:-1].iterrows())
    print(t("cli.plan.presupuesto_dias_inspector_oficina", budgets=budgets))
    print(t("cli.plan.plan_viajes_distritos_dias", n_trips=len(plan.trips),
            distritos_plan=int(total['distritos_plan']), dias_plan=total['dias_plan'],
            capacidad_dias=total['capacidad_dias'], dias_exploracion=total['dias_exploracion']))
    print(t("cli.plan.hallazgos_esperados_intervalo_plan", hallazgos=total[HALLAZGOS],
            hallazgos_p05=total[HALLAZGOS_P05], hallazgos_p95=total[HALLAZGOS_P95],
            hallazgos_ingenuo=total['hallazgos_ingenuo'], ganancia=total['ganancia'],
            ganancia_pct=total['ganancia_pct'] / 100))
    for row in plan.trips.itertuples(index=False):
        kind = t("comun.exploracion") if row.tipo == "exploracion" else ""
        days = format_quantity(row.dias, "días", digits=1)
        findings = format_number(row.hallazgos_esperados, digits=2)
        print(f"  {row.viaje:7s} {days:>10}  {findings:>6}  "
              f"{row.distritos}" + (f"  [{kind}]" if kind else ""))
        legs = getattr(row, {"es": "tramos", "en": "tramos_en"}[get_language()], "")
        if legs:
            print(f"          {legs}")
    for msg in plan.messages():
        print(t("cli.plan.aviso") + msg)
