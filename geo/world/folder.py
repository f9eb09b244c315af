"""Writing the world's folder: layers, records, version stamp, all at once and byte-stable.

Files are written to a temporary folder and moved into place only when the whole world is
ready (:func:`_publish`); GeoPackage timestamps are pinned so the same seed gives the same
bytes; :func:`demo_outdated` tells a folder written by an older version.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.geography.io import GPKG_OPTIONS
from geo.world.features import DEMO_LAYERS
from geo.world.services import SERVICES_LAYER

__all__ = ["DEMO_VERSION", "VERSION_FILE", "demo_outdated"]


#: Version of what ``make_demo`` writes; ``riskmap prepare`` rewrites an older demo folder.
#: 2: victims by sex and age, their district of origin, a services layer. 3: the real public
#: layers (issue 20).
DEMO_VERSION = 3


VERSION_FILE = ".version"


# GeoPackages store a "last change" timestamp; pinning it makes same seed -> same bytes.
_FIXED_DATE = "2025-12-31T00:00:00.000Z"


# Derived artefacts of an older world that would silently disagree with a new one.
_DERIVED = ("distritos.gpkg", "riesgo.gpkg", "evaluacion.json")


def demo_outdated(folder: str | Path) -> bool:
    """Whether a demo folder was written by an older ``make_demo`` (or is incomplete)."""
    stamp = Path(folder) / VERSION_FILE
    try:
        return int(stamp.read_text(encoding="utf-8").strip()) != DEMO_VERSION
    except (OSError, ValueError):
        return True


def _relative(path: Path, out: Path) -> str:
    """``path`` relative to ``out`` (as settings.toml names files), absolute across drives."""
    try:
        return Path(os.path.relpath(path, out)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


@contextmanager
def _pinned_gpkg_date() -> Iterator[None]:
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _write_layers(folder: Path, layers: Mapping[str, gpd.GeoDataFrame], seed: int) -> None:
    """Write the world's simulated layers (all seven, only the dredges, or none)."""
    (folder / "capas").mkdir()
    with _pinned_gpkg_date():
        for spec in DEMO_LAYERS:
            if spec.name not in layers:
                continue
            gdf = layers[spec.name].drop(columns="_i")
            gdf["simulado"] = True
            metadata = {
                "simulado": "true",
                "descripcion": spec.description,
                "aviso": "DATOS SIMULADOS — NO SON REGISTROS REALES",
                "generado_por": f"riskmap demo (semilla {seed})",
            }
            gdf.to_file(folder / "capas" / f"{spec.name}.gpkg", layer=spec.name, driver="GPKG",
                        engine="pyogrio", promote_to_multi=spec.geometry == "polygon",
                        dataset_options=GPKG_OPTIONS,
                        metadata=metadata)


def _write_services(folder: Path, services: gpd.GeoDataFrame, seed: int) -> None:
    gdf = services.copy()
    gdf["simulado"] = True
    with _pinned_gpkg_date():
        gdf.to_file(folder / "capas" / f"{SERVICES_LAYER}.gpkg", layer=SERVICES_LAYER,
                    driver="GPKG", dataset_options=GPKG_OPTIONS, metadata={
                        "simulado": "true",
                        "descripcion": "Servicios de atención a víctimas (SIMULADOS)",
                        "aviso": "DATOS SIMULADOS — NO SON REGISTROS REALES",
                        "generado_por": f"riskmap demo (semilla {seed})",
                    })


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.6g", encoding="utf-8")
    path.chmod(0o600)  # inspection records, even simulated ones, are kept owner-only


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished files into ``out``; drop artefacts derived from an older world."""
    out.mkdir(parents=True, exist_ok=True)
    changed = any(not (out / name).is_file() or (out / name).read_bytes() != (
        tmp / name).read_bytes() for name in ("verdad.csv", "inspecciones.csv", "settings.toml"))
    for src in sorted(tmp.rglob("*")):
        if src.is_file():
            dest = out / src.relative_to(tmp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
    if changed:
        for name in _DERIVED:
            (out / name).unlink(missing_ok=True)
