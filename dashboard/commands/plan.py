"""``riskmap plan``: the month's inspection trips from the risk scores, beside the naive plan."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pyogrio

from dashboard.arguments.plan import register
from geo import paths
from geo.config import load_settings
from geo.errors import RiskmapError, tr
from models.planning.plan import (
    HALLAZGOS,
    HALLAZGOS_P05,
    HALLAZGOS_P95,
    load_scores,
    plan_inspections,
)

__all__ = ["parse_budget", "register", "run"]


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
        raise RiskmapError(
            es=f"--budget {value!r}: se espera un número de días inspector o una lista "
            f"separada por comas, una por oficina ({', '.join(names)}).",
            en=f"--budget {value!r}: expected a number of inspector-days or a comma-separated "
            f"list, one per office ({', '.join(names)}).",
        ) from err
    if len(numbers) == 1:
        numbers = numbers * len(names)
    if len(numbers) != len(names):
        raise RiskmapError(
            es=f"--budget tiene {len(numbers)} valores pero hay {len(names)} oficinas "
            f"({', '.join(names)}). Dé un valor para todas o uno por oficina.",
            en=f"--budget has {len(numbers)} values but there are {len(names)} offices "
            f"({', '.join(names)}). Give one value for all or one per office.",
        )
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
        out = plan.to_csv(args.out, simulated=settings.simulated)
        print(tr(f"Plan escrito en {out}", f"Plan written to {out}"))
    if args.html:
        out = plan.write_html(args.html, simulated=settings.simulated, month=args.month)
        print(tr(f"Página imprimible escrita en {out}", f"Printable page written to {out}"))
    return 0


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
        print(tr("DATOS SIMULADOS.", "SIMULATED DATA."))
    budgets = ", ".join(f"{row['oficina']} {row['capacidad_dias']:g}"
                        for _, row in plan.summary.iloc[:-1].iterrows())
    print(tr(f"Presupuesto (días inspector por oficina; cada día de viaje, de traslado o de "
             f"inspección gasta uno): {budgets}.",
             f"Budget (inspector-days per office; every day of a trip, travelling or "
             f"inspecting, uses one): {budgets}."))
    print(tr(
        f"Plan: {len(plan.trips)} viajes, {int(total['distritos_plan'])} distritos, "
        f"{total['dias_plan']:g} de {total['capacidad_dias']:g} días inspector "
        f"({total['dias_exploracion']:g} de exploración).",
        f"Plan: {len(plan.trips)} trips, {int(total['distritos_plan'])} districts, "
        f"{total['dias_plan']:g} of {total['capacidad_dias']:g} inspector-days "
        f"({total['dias_exploracion']:g} exploration).",
    ))
    print(tr(
        f"Hallazgos esperados: {total[HALLAZGOS]:.2f} (intervalo {total[HALLAZGOS_P05]:.2f}–"
        f"{total[HALLAZGOS_P95]:.2f}); plan simple: {total['hallazgos_ingenuo']:.2f}; "
        f"ganancia {total['ganancia']:+.2f} ({total['ganancia_pct']:+.1f} %).",
        f"Expected findings: {total[HALLAZGOS]:.2f} (interval {total[HALLAZGOS_P05]:.2f}–"
        f"{total[HALLAZGOS_P95]:.2f}); simple plan: {total['hallazgos_ingenuo']:.2f}; "
        f"gain {total['ganancia']:+.2f} ({total['ganancia_pct']:+.1f} %).",
    ))
    for row in plan.trips.itertuples(index=False):
        kind = tr("exploración", "exploration") if row.tipo == "exploracion" else ""
        print(f"  {row.viaje:7s} {row.dias:5.1f} d  {row.hallazgos_esperados:5.2f}  "
              f"{row.distritos}" + (f"  [{kind}]" if kind else ""))
        legs = getattr(row, "tramos" if tr("es", "en") == "es" else "tramos_en", "")
        if legs:
            print(f"          {legs}")
    for msg in plan.messages():
        print(tr("Aviso: ", "Note: ") + msg)
