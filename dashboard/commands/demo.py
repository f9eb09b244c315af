"""``riskmap demo``: write the simulated world (Cusco and Loreto) the dashboard uses by default."""

from __future__ import annotations

import argparse

from dashboard.arguments.demo import register
from geo import paths
from geo.config import parse_region
from geo.errors import DataError, tr
from geo.world.demo import make_demo

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap demo``: write the demo world (real layers, SIMULATED records)."""
    base = (args.base or paths.base_gpkg()).resolve()
    out = (args.out or paths.demo_dir()).resolve()
    region = parse_region(args.region)
    if not base.is_file():
        raise DataError(
            es=f"No se encontró la base de distritos {base}. Ejecute primero "
            "'riskmap data fetch' (descarga y convierte los límites e indicadores públicos) "
            "y vuelva a intentar 'riskmap demo'.",
            en=f"District base {base} not found. Run 'riskmap data fetch' first (it downloads "
            "and converts the public boundaries and indicators), then 'riskmap demo' again.",
        )
    make_demo(base, out, seed=args.seed, region=region, scenario=args.scenario,
              layers=args.capas, progress=lambda msg: print(msg, flush=True))
    records = sum(1 for _ in (out / "inspecciones.csv").open(encoding="utf-8")) - 1
    layers = tr("capas sectoriales reales (fuentes públicas)", "real public sector layers") \
        if args.capas == "reales" else tr("capas SIMULADAS", "SIMULATED layers")
    print(tr(
        f"Mundo de demostración (semilla {args.seed}) escrito en {out}: {layers}, {records} "
        "inspecciones simuladas, verdad.csv, settings.toml, LEEME.md. LAS INSPECCIONES SON "
        "SIMULADAS — NO SON REGISTROS REALES.",
        f"Demo world (seed {args.seed}) written to {out}: {layers}, {records} simulated "
        "inspections, verdad.csv, settings.toml, LEEME.md. THE INSPECTIONS ARE SIMULATED — "
        "NOT REAL RECORDS.",
    ))
    print(tr(f"Siguiente paso: riskmap build --config {out / 'settings.toml'}",
             f"Next step: riskmap build --config {out / 'settings.toml'}"))
    return 0
