"""``riskmap demo``: write the simulated world (Cusco and Loreto) the dashboard uses by default."""

from __future__ import annotations

import argparse

from dashboard.arguments.demo import register
from geo import paths
from geo.config import parse_region
from geo.errors import DataError
from geo.messages import t
from geo.world.demo import make_demo

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap demo``: write the demo world (real layers, SIMULATED records)."""
    base = (args.base or paths.base_gpkg()).resolve()
    out = (args.out or paths.demo_dir()).resolve()
    region = parse_region(args.region)
    if not base.is_file():
        raise DataError("cli.demo.no_encontro_base_distritos", base=base)
    make_demo(base, out, seed=args.seed, region=region, scenario=args.scenario,
              layers=args.capas, progress=lambda msg: print(msg, flush=True))
    records = sum(1 for _ in (out / "inspecciones.csv").open(encoding="utf-8")) - 1
    layers = t("cli.demo.capas_sectoriales_reales_fuentes") \
        if args.capas == "reales" else t("cli.demo.capas_simuladas")
    print(t("cli.demo.mundo_demostracion_semilla_escrito", seed=args.seed, out=out, layers=layers,
            records=records))
    print(t("cli.demo.siguiente_paso_riskmap_build", out=out / 'settings.toml'))
    return 0
