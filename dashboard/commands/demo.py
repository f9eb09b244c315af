"""``riskmap demo``: write the simulated world (Cusco and Loreto) the dashboard uses by default."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.errors import DataError, tr

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap demo``."""
    p = subparsers.add_parser(
        "demo",
        help="generar el mundo de demostración (capas reales, inspecciones SIMULADAS) / "
        "write the demo world (real layers, SIMULATED inspections)",
        description=(
            "Escribe sobre los límites reales de Cusco y Loreto el mundo de demostración: las "
            "capas sectoriales REALES (pérdida de bosque de GeoBosques, minería, área "
            "agropecuaria y coca del panel amazónico, tal como las descarga 'riskmap data "
            "fetch') y lo SIMULADO: diez años de inspecciones (2016-2025), el riesgo verdadero "
            "por distrito (verdad.csv) y los servicios; settings.toml y LEEME.md. Necesita "
            "'riskmap data fetch'. Writes the demo world on the real boundaries of Cusco and "
            "Loreto: real public sector layers, SIMULATED inspections, truth and services."
        ),
    )
    p.add_argument("--seed", type=int, default=0,
                   help="semilla: la misma semilla da archivos idénticos (por defecto 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="carpeta a escribir (por defecto <carpeta de datos>/demo)")
    p.add_argument("--region", default="08,16",
                   help="departamentos: cusco, loreto o '08,16' (por defecto ambos)")
    p.add_argument("--base", type=Path, default=None,
                   help="base de distritos (por defecto <carpeta de datos>/peru_base.gpkg)")
    # geo.world.demo.SCENARIOS (not imported here: the CLI starts without geopandas)
    p.add_argument("--scenario", default="estatico",
                   choices=("estatico", "deriva", "denuncias", "bajo_volumen", "frente_visible"),
                   help="tipo de mundo: estatico (el calibrado), deriva (un frente se abre en "
                   "2021 en distritos remotos), denuncias (las inspecciones siguen a las "
                   "denuncias), bajo_volumen (un tercio de las inspecciones), frente_visible "
                   "(el de deriva con el frente en una capa de dragas con fecha)")
    p.add_argument("--capas", default="reales", choices=("reales", "simuladas"),
                   help="capas sectoriales: reales (las fuentes públicas, por defecto) o "
                   "simuladas (todas simuladas, el mundo anterior)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from geo import paths
    from geo.config import parse_region
    from geo.world.demo import make_demo

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
