"""``riskmap data fetch|check``: download the public sources, check a boundary file."""

from __future__ import annotations

import argparse
import os
import sys
import time

from dashboard.arguments.data import register
from geo import columns as C
from geo import paths
from geo.errors import DataError, tr
from geo.geography.base import build_base, read_districts
from geo.geography.io import notices, read_boundaries
from geo.geography.sources import MIRROR_ENV, fetch_sources, load_registry
from geo.geography.ubigeo import compare_vintages

__all__ = ["DownloadProgress", "check", "fetch", "register"]


def fetch(args: argparse.Namespace) -> int:
    """``riskmap data fetch``: download and verify the sources, build the base."""
    dest = args.dest or paths.sources_dir()
    out = args.out or paths.base_gpkg()
    mirror = args.mirror or os.environ.get(MIRROR_ENV) or None
    where = mirror or tr("las URL públicas fijadas", "the pinned public URLs")
    if mirror and "://" not in str(mirror) or str(mirror or "").startswith("file:"):
        print(tr(f"Copiando las fuentes desde la carpeta {where} en {dest}",
                 f"Copying the sources from folder {where} into {dest}"), flush=True)
    else:
        print(tr(f"Descargando las fuentes desde {where} en {dest}",
                 f"Fetching the sources from {where} into {dest}"), flush=True)
    printer = DownloadProgress()
    fetch_sources(dest, mirror=mirror, progress=printer)
    n = len(load_registry())
    print(tr(f"{n} fuentes verificadas en {dest} (las capas las leen como '{{fuentes}}/…').",
             f"{n} sources verified in {dest} (layers read them as '{{fuentes}}/…')."),
          flush=True)
    print(tr("Convirtiendo las fuentes en la base de distritos…",
             "Converting the sources into the district base…"), flush=True)
    start = time.perf_counter()
    build_base(dest, out)
    seconds = time.perf_counter() - start
    print(tr(f"Base escrita: {out} ({seconds:.1f} s).",
             f"Base written: {out} ({seconds:.1f} s)."))
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
            self._line(tr(f"  {name}: ya descargado y verificado ({_mb(event.done)})",
                          f"  {name}: already downloaded and verified ({_mb(event.done)})"), True)
        elif event.status == "done" and getattr(event, "copied", False):
            self._line(tr(f"  {name}: {_mb(event.done)} copiados de la carpeta espejo, sha256 "
                          "correcto",
                          f"  {name}: {_mb(event.done)} copied from the mirror folder, sha256 "
                          "verified"), True)
        elif event.status == "done":
            self._line(tr(f"  {name}: {_mb(event.done)} descargados, sha256 correcto",
                          f"  {name}: {_mb(event.done)} downloaded, sha256 verified"), True)
        elif self.tty and time.monotonic() - self._last > 0.2:
            self._last = time.monotonic()
            total = f" / {_mb(event.total)}" if event.total else ""
            pct = f" ({100 * event.done / event.total:.0f} %)" if event.total else ""
            self._line(f"  {name}: {_mb(event.done)}{total}{pct}", False)

    def _line(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()


def _mb(n: int | None) -> str:
    n = n or 0
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def check(args: argparse.Namespace) -> int:
    """``riskmap data check``: read a boundary file as riskmap would, say what it found."""
    gdf = read_boundaries(args.file, layer=args.layer, crs=args.crs, drop_empty=args.drop_empty)
    found = notices(gdf)
    deps = sorted(set(gdf[C.UBIGEO].str[:2]))
    print(tr(
        f"{args.file}: {len(gdf)} distritos válidos, UBIGEO únicos, EPSG:4326; "
        f"departamentos {', '.join(deps)}.",
        f"{args.file}: {len(gdf)} valid districts, unique UBIGEO, EPSG:4326; "
        f"departments {', '.join(deps)}.",
    ))
    if found:
        print(tr("Avisos:", "Notices:"))
        for notice in found:
            print(f"  - {notice.message()}")
    else:
        print(tr("Sin correcciones: el archivo se usa tal cual.",
                 "No corrections: the file is used as it is."))
    if args.base is not None and not args.base.is_file():
        raise DataError(
            es=f"No existe la base {args.base} indicada con --base.",
            en=f"The base {args.base} given with --base does not exist.",
        )
    base = args.base or paths.base_gpkg()
    if base.is_file():
        reference = read_districts(base, region=())
        reference = reference[reference[C.COD_DEP].isin(deps)]
        report = compare_vintages(
            gdf[C.UBIGEO], reference[C.UBIGEO], str(args.file.name),
            tr(f"la base INEI actual (departamentos {', '.join(deps)})",
               f"the current INEI base (departments {', '.join(deps)})"))
        print(report.message())
    return 0
