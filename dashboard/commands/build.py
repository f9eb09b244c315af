"""``riskmap build``: the district table (base districts + one column per sector layer)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import pandas as pd

from dashboard.arguments.build import register
from geo import columns as C
from geo import paths
from geo.config import KIND_SERVICES, load_settings
from geo.errors import DataError
from geo.geography.build import build_districts
from geo.messages import t

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap build``: write the district table and say what each layer gave."""
    settings = load_settings(args.config or paths.default_settings())
    out = args.out or settings.districts_gpkg
    with _client(args) as client:
        gdf = build_districts(settings, region=args.region, out=out,
                              progress=lambda msg: print(msg, flush=True), client=client)
    print(_summary(gdf, out))
    return 0


def _client(args: argparse.Namespace):
    """Return a Dask client for --dask/--workers (a no-op context without them)."""
    if not args.dask and not args.workers:
        return contextlib.nullcontext(None)
    try:
        from dask.distributed import Client, LocalCluster  # optional: riskmap[cluster] only
    except ImportError as err:
        raise DataError("cli.build.dask_workers_necesitan_dask") from err
    if args.dask:
        try:
            return Client(args.dask, timeout="10s")
        except OSError as err:
            raise DataError("cli.build.no_pudo_conectar_cluster", dask=args.dask, err=err) from err
    print(t("cli.build.cluster_dask_local_con", workers=args.workers), flush=True)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                           processes=True, dashboard_address=None)
    return _LocalClient(cluster, Client(cluster))


class _LocalClient:
    """Close the client and its local cluster on exit."""

    def __init__(self, cluster, client) -> None:
        self.cluster, self.client = cluster, client

    def __enter__(self):
        return self.client

    def __exit__(self, *exc) -> None:
        self.client.close()
        self.cluster.close()


def _summary(gdf, out: Path) -> str:
    by_dep = gdf.groupby(C.DEPARTAMENTO, sort=False).size().sort_values(ascending=False)
    parts = ", ".join(f"{name.title() if name.isupper() else name} {n}"
                      for name, n in by_dep.items())
    lines = [t("cli.build.distritos", n_gdf=len(gdf), parts=parts)]
    fuentes = gdf.attrs.get("fuentes", [])
    if fuentes:
        lines.append(t("cli.build.capas"))
        for row in fuentes:
            sim = t("cli.build.simulada") if row["simulado"] else ""
            lines.append(f"  {row['capa']} ({row['sector']}, {row['medida']}): "
                         + _layer_summary(gdf, row) + sim)
    else:
        lines.append(t("cli.build.sin_capas_sectoriales_configuracion"))
    notices = gdf.attrs.get("notices", [])
    if notices:
        lines.append(t("cli.build.avisos"))
        lines.extend(f"  - {n.message()}" for n in notices)
    if gdf.attrs.get("simulated"):
        lines.append(t("cli.build.atencion_tabla_incluye_datos"))
    lines.append(t("cli.build.escrito", out=out))
    return "\n".join(lines)


def _layer_summary(gdf, row: dict) -> str:
    """Say what one ``fuentes`` row gave: a services layer's points, else its column.

    A services layer has no column in the district table (its points are a layer of their
    own), and a table layer leaves NaN where a district has no value: both are said, not
    guessed at.
    """
    n = int(row["n_elementos"])
    if row["medida"] == KIND_SERVICES:
        return _count(n, "cli.build.n_punto_atencion", "cli.build.n_puntos_atencion")
    if row["capa"] not in gdf.columns:
        return _count(n, "cli.build.n_elemento", "cli.build.n_elementos")
    col = pd.to_numeric(gdf[row["capa"]], errors="coerce")
    observed = col.dropna()
    positive = int((observed > 0).sum())
    text = (_count(n, "cli.build.n_elemento", "cli.build.n_elementos") + ", "
            + _count(positive, "cli.build.n_distrito_con_valor",
                     "cli.build.n_distritos_con_valor"))
    if len(observed):
        unit = row.get("unidad")
        unit = f" {unit}" if isinstance(unit, str) and unit else ""
        text += t("cli.build.max", observed=observed.max(), unit=unit)
    missing = len(col) - len(observed)
    if missing and not len(observed):
        text += t("cli.build.ningun_distrito_con_dato")
    elif missing:
        text += ", " + _count(missing, "cli.build.n_distrito_sin_dato",
                              "cli.build.n_distritos_sin_dato")
    return text


def _count(n: int, one: str, many: str) -> str:
    """``n`` and its noun: the catalogue key ``one`` for 1, ``many`` otherwise."""
    return t(many if n != 1 else one, n=n)
