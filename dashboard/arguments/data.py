"""The arguments of ``riskmap data fetch|check``; what it does: :mod:`dashboard.commands.data`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler, show_help

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
    fetch.set_defaults(func=handler("data.fetch"))

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
    check.set_defaults(func=handler("data.check"))
    parser.set_defaults(func=show_help(parser))
