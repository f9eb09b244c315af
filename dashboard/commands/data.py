"""``riskmap data fetch|check``: download the public sources, check a boundary file."""

from __future__ import annotations

import argparse
import os
import sys
import time

from dashboard.arguments.data import register
from geo import columns as C
from geo import paths
from geo.errors import DataError
from geo.formatting import format_number, format_percent
from geo.geography.base import build_base, read_districts
from geo.geography.io import notices, read_boundaries
from geo.geography.sources import MIRROR_ENV, fetch_sources, load_registry
from geo.geography.ubigeo import compare_vintages
from geo.messages import t

__all__ = ["DownloadProgress", "check", "fetch", "register"]


def fetch(args: argparse.Namespace) -> int:
    """``riskmap data fetch``: download and verify the sources, build the base."""
    dest = args.dest or paths.sources_dir()
    out = args.out or paths.base_gpkg()
    mirror = args.mirror or os.environ.get(MIRROR_ENV) or None
    where = mirror or t("cli.data.url_publicas_fijadas")
    if mirror and "://" not in str(mirror) or str(mirror or "").startswith("file:"):
        print(t("cli.data.copiando_fuentes_carpeta", where=where, dest=dest), flush=True)
    else:
        print(t("cli.data.descargando_fuentes", where=where, dest=dest), flush=True)
    printer = DownloadProgress()
    fetch_sources(dest, mirror=mirror, progress=printer)
    n = len(load_registry())
    print(t("cli.data.fuentes_verificadas_capas_leen", n=n, dest=dest),
          flush=True)
    print(t("cli.data.convirtiendo_fuentes_base_distritos"), flush=True)
    start = time.perf_counter()
    build_base(dest, out)
    seconds = time.perf_counter() - start
    print(t("cli.data.base_escrita", out=out, seconds=seconds))
    return 0


class DownloadProgress:
    """One progress line per file: updated in place on a terminal, printed once otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0

    def __call__(self, event) -> None:
        """Show one download event (a file present, done or under way)."""
        name = event.source.file
        if event.status == "present":
            self._line(t("cli.data.descargado_verificado", name=name, mb=_mb(event.done)), True)
        elif event.status == "done" and getattr(event, "copied", False):
            self._line(t("cli.data.copiados_carpeta_espejo_sha256", name=name,
                         mb=_mb(event.done)), True)
        elif event.status == "done":
            self._line(t("cli.data.descargados_sha256_correcto", name=name,
                         mb=_mb(event.done)), True)
        elif self.tty and time.monotonic() - self._last > 0.2:
            self._last = time.monotonic()
            total = f" / {_mb(event.total)}" if event.total else ""
            pct = (f" ({format_percent(event.done / event.total, digits=0)})" if event.total
                   else "")
            self._line(f"  {name}: {_mb(event.done)}{total}{pct}", False)

    def _line(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()


def _mb(n: int | None) -> str:
    n = n or 0
    if n >= 100_000:
        return format_number(n / 1e6, digits=1) + " MB"
    return format_number(n / 1e3, digits=0) + " kB"


def check(args: argparse.Namespace) -> int:
    """``riskmap data check``: read a boundary file as riskmap would, say what it found."""
    gdf = read_boundaries(args.file, layer=args.layer, crs=args.crs, drop_empty=args.drop_empty)
    found = notices(gdf)
    deps = sorted(set(gdf[C.UBIGEO].str[:2]))
    print(t("cli.data.distritos_validos_ubigeo_unicos", file=args.file, n_gdf=len(gdf),
            deps=', '.join(deps)))
    if found:
        print(t("cli.build.avisos"))
        for notice in found:
            print(f"  - {notice.message()}")
    else:
        print(t("cli.data.sin_correcciones_archivo_usa"))
    if args.base is not None and not args.base.is_file():
        raise DataError("cli.data.no_existe_base_indicada", base=args.base)
    base = args.base or paths.base_gpkg()
    if base.is_file():
        reference = read_districts(base, region=())
        reference = reference[reference[C.COD_DEP].isin(deps)]
        report = compare_vintages(
            gdf[C.UBIGEO], reference[C.UBIGEO], str(args.file.name),
            t("cli.data.base_inei_actual_departamentos", deps=', '.join(deps)))
        print(report.message())
    return 0
