"""``riskmap build``: the district table (base districts + one column per sector layer)."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo import columns as C
from geo.errors import tr

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap build``."""
    p = subparsers.add_parser(
        "build",
        help="construir la tabla de distritos con las capas sectoriales / build the "
        "district table",
        description=(
            "Lee los distritos de la base (riskmap data fetch), agrega cada capa declarada "
            "en la configuración ([[layers]]) y escribe un GeoPackage con la capa "
            "'distritos' y la tabla 'fuentes'. Reads the base districts, aggregates each "
            "layer of the settings and writes a GeoPackage."
        ),
    )
    p.add_argument("--config", type=Path, default=None,
                   help="archivo de configuración (por defecto $RISKMAP_CONFIG o "
                   "data/demo/settings.toml)")
    p.add_argument("--region", default=None,
                   help="departamentos: cusco, loreto, all o códigos '08,16' (por defecto "
                   "los de la configuración)")
    p.add_argument("--out", type=Path, default=None,
                   help="GeoPackage a escribir (por defecto distritos.gpkg en el 'workdir' "
                   "de la configuración)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from geo import paths
    from geo.build import build_districts
    from geo.config import load_settings

    settings = load_settings(args.config or paths.default_settings())
    out = args.out or settings.districts_gpkg
    gdf = build_districts(settings, region=args.region, out=out,
                          progress=lambda msg: print(msg, flush=True))
    print(_summary(gdf, out))
    return 0


def _summary(gdf, out: Path) -> str:
    by_dep = gdf.groupby(C.DEPARTAMENTO, sort=False).size().sort_values(ascending=False)
    parts = ", ".join(f"{name.title() if name.isupper() else name} {n}"
                      for name, n in by_dep.items())
    lines = [tr(f"{len(gdf)} distritos: {parts}", f"{len(gdf)} districts: {parts}")]
    fuentes = gdf.attrs.get("fuentes", [])
    if fuentes:
        lines.append(tr("Capas:", "Layers:"))
        for row in fuentes:
            col = gdf[row["capa"]]
            sim = tr(" [SIMULADA]", " [SIMULATED]") if row["simulado"] else ""
            lines.append(
                f"  {row['capa']} ({row['sector']}, {row['medida']}): "
                + tr(f"{row['n_elementos']} elementos, {int((col > 0).sum())} distritos con "
                     f"valor > 0, máx. {col.max():.4g}",
                     f"{row['n_elementos']} features, {int((col > 0).sum())} districts with "
                     f"value > 0, max {col.max():.4g}")
                + sim
            )
    else:
        lines.append(tr("Sin capas sectoriales en la configuración.",
                        "No sector layers in the settings."))
    notices = gdf.attrs.get("notices", [])
    if notices:
        lines.append(tr("Avisos:", "Notices:"))
        lines.extend(f"  - {n.message()}" for n in notices)
    if gdf.attrs.get("simulated"):
        lines.append(tr("ATENCIÓN: la tabla incluye DATOS SIMULADOS.",
                        "WARNING: the table includes SIMULATED DATA."))
    lines.append(tr(f"Escrito: {out}", f"Written: {out}"))
    return "\n".join(lines)
