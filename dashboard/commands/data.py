"""``riskmap data fetch|check``: download the public sources, check a boundary file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from geo.errors import tr

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap data fetch`` and ``riskmap data check``."""
    parser = subparsers.add_parser(
        "data",
        help="descargar las fuentes públicas y revisar límites / public data and boundaries",
        description="Fuentes públicas: descargarlas y convertirlas (fetch), revisar un archivo "
        "de límites propio (check). Public sources: fetch them, check your own boundaries.",
    )
    sub = parser.add_subparsers(dest="data_command", metavar="ACCION")

    fetch = sub.add_parser(
        "fetch",
        help="descargar las fuentes de config/sources.toml y construir peru_base.gpkg",
        description="Descarga cada fuente pública (verificando su sha256; lo ya descargado y "
        "verificado no se vuelve a descargar) en la carpeta de fuentes, construye con los "
        "límites e indicadores la base de 1,891 distritos y deja allí las tablas sectoriales "
        "(GeoBosques, panel amazónico, DEVIDA) que las capas leen como '{fuentes}/…'. "
        "Downloads each public source (checking its sha256) into the sources folder, builds "
        "the district base and keeps the sector tables there for the layers.",
    )
    fetch.add_argument(
        "--mirror",
        default=None,
        help="URL http(s) o carpeta con los archivos bajo los nombres del registro (por "
        "defecto $RISKMAP_MIRROR; sin él, las URL públicas) / mirror URL or folder",
    )
    fetch.add_argument("--dest", type=Path, default=None,
                       help="carpeta de descarga (por defecto <datos>/fuentes)")
    fetch.add_argument("--out", type=Path, default=None,
                       help="GeoPackage a escribir (por defecto <datos>/peru_base.gpkg)")
    fetch.set_defaults(func=_fetch)

    check = sub.add_parser(
        "check",
        help="revisar un archivo de límites de distrito propio",
        description="Lee un archivo de límites (GeoPackage, GeoJSON, Shapefile, .zip, CSV con "
        "WKT) como lo haría riskmap: busca y normaliza el UBIGEO, revisa claves repetidas, "
        "geometrías vacías o inválidas y el sistema de coordenadas, y dice qué se corrigió. "
        "Reads a boundary file the way riskmap would and reports what it found.",
    )
    check.add_argument("file", type=Path, help="archivo de límites / boundary file")
    check.add_argument("--layer", default=None, help="capa dentro del archivo / layer")
    check.add_argument("--crs", default=None,
                       help="CRS a suponer si el archivo no declara ninguno, o si dice grados "
                       "pero sus coordenadas son metros (p. ej. EPSG:32718, UTM 18 Sur)")
    check.add_argument("--drop-empty", action="store_true",
                       help="descartar (y avisar) los objetos sin geometría en vez de fallar")
    check.add_argument("--base", type=Path, default=None,
                       help="base de distritos para comparar los códigos (por defecto "
                       "<datos>/peru_base.gpkg, si existe)")
    check.set_defaults(func=_check)
    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 1


def _fetch(args: argparse.Namespace) -> int:
    from geo import paths
    from geo.geography.base import build_base
    from geo.geography.sources import MIRROR_ENV, fetch_sources, load_registry

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


def _check(args: argparse.Namespace) -> int:
    from geo import columns as C
    from geo import paths
    from geo.geography.io import notices, read_boundaries
    from geo.geography.ubigeo import compare_vintages

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
        from geo.errors import DataError

        raise DataError(
            es=f"No existe la base {args.base} indicada con --base.",
            en=f"The base {args.base} given with --base does not exist.",
        )
    base = args.base or paths.base_gpkg()
    if base.is_file():
        from geo.geography.base import read_districts

        reference = read_districts(base, region=())
        reference = reference[reference[C.COD_DEP].isin(deps)]
        report = compare_vintages(
            gdf[C.UBIGEO], reference[C.UBIGEO], str(args.file.name),
            tr(f"la base INEI actual (departamentos {', '.join(deps)})",
               f"the current INEI base (departments {', '.join(deps)})"))
        print(report.message())
    return 0
