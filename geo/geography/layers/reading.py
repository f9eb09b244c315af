"""Reading a layer's files: vector features, tables (CSV, Excel, any file GDAL reads), names.

Every file of a layer is read to one frame whose rows keep their file and position
(``_archivo``, ``_linea`` of a table, ``_objeto`` of a feature) so that an error can name them;
``where`` filters them; a table keyed by district names gets its ``ubigeo`` here (``match``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo import columns as C
from geo.config import LayerSpec
from geo.errors import DataError
from geo.geography.checks import _CSV_SUFFIXES
from geo.geography.io import filter_where, read_vector
from geo.geography.names import match_districts
from geo.messages import Message

__all__ = ["SIMULADO", "read_layer", "read_table"]


#: Column of the demo layers that marks simulated features.
SIMULADO = "simulado"


def read_layer(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a sector layer with :func:`geo.geography.io.read_vector` (EPSG:4326, CRS checked).

    What the reader changed (a reprojection, repaired polygons) is in
    ``attrs["notices"]``.
    """
    return read_vector(Path(path), layer=layer)


def read_table(path: str | Path, layer: str | None = None) -> pd.DataFrame:
    """Read a table: a CSV, an Excel sheet (``layer`` = its name) or any file GDAL reads.

    CSV files may be UTF-8 (with or without BOM) or Latin-1, comma- or semicolon-separated;
    a semicolon file whose numbers are written the Peruvian office way (``1.234,5``) is read
    as numbers. Geometry, if any, is ignored.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("geografia.no_existe_archivo_corrija", path=path)
    if path.suffix.lower() in _CSV_SUFFIXES:
        return _read_csv(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            table = pd.read_excel(path, sheet_name=layer or 0, engine="openpyxl")
            table.columns = [str(c) for c in table.columns]  # a year heading (2023) is text
            return table
        except Exception as err:  # noqa: BLE001 - openpyxl raises many types
            raise DataError(
                "geografia.lectura.excel_ilegible", path=path, err=str(err),
                sheet=Message("geografia.lectura.hoja", {"layer": layer}) if layer else "",
            ) from err
    try:
        table = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    except Exception as err:  # noqa: BLE001 - GDAL raises many types; all mean "unreadable"
        raise DataError(
            "geografia.lectura.tabla_ilegible", path=path, err=str(err),
            layer=Message("geografia.lectura.capa", {"layer": layer}) if layer else "",
        ) from err
    return pd.DataFrame(table)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if not text.strip():
        raise DataError("geografia.vacio_esperaba_tabla_con", path=path)
    first = text.splitlines()[0]
    try:
        sep = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    office = sep == ";" and _decimal_comma(text)
    try:
        # default type inference on purpose: an all-digit key column becomes an integer,
        # which geo.geography.ubigeo pads when it lost its leading zero
        # (a 5-digit *text* is refused);
        # low_memory=False: one type per column, not one per chunk of rows
        if office:  # "1.234,5": thousands dots, a decimal comma, as Excel saves it in Peru
            return pd.read_csv(io.StringIO(text), sep=sep, decimal=",", thousands=".",
                               low_memory=False)
        return _thousands_commas(pd.read_csv(io.StringIO(text), sep=sep, low_memory=False))
    except (pd.errors.ParserError, ValueError) as err:
        raise DataError("geografia.no_csv_legible_revise", path=path, err=err) from err


#: A number whose thousands are grouped with commas: ``2,403.72``, ``-1,000``.
_GROUPED = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def _thousands_commas(table: pd.DataFrame) -> pd.DataFrame:
    r"""Read ``"2,403.72"`` as 2403.72 in a CSV whose decimal mark is a point.

    There a comma in a number can only group thousands (GeoBosques quotes its large
    hectares so). Only cells grouped exactly so (1 to 3 digits, then groups of 3) change; a
    column whose cells are then all numbers becomes numeric, else the other cells stay as
    they are, for :func:`_numeric` to name.

    >>> t = pd.read_csv(io.StringIO('u,ha\n1,"2,403.72"\n2,5.5\n'))
    >>> _thousands_commas(t)["ha"].tolist()
    [2403.72, 5.5]
    """
    for col in table.columns:
        values = table[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype("string").str.strip()
        grouped = text.str.fullmatch(_GROUPED).fillna(False).astype(bool)
        if not grouped.any():
            continue
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
        num = pd.to_numeric(text, errors="coerce")
        if (num.notna() | text.isna() | (text == "")).all():
            table[col] = num.to_numpy(dtype=float, na_value=np.nan)
        else:
            table[col] = text
    return table


_COMMA_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")


_DOT_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _decimal_comma(text: str) -> bool:
    r"""Whether a semicolon CSV clearly writes numbers with a decimal comma.

    Clearly: some cell is a number with a decimal comma (``2,5`` or ``1.234,5``) and no cell
    is a number with a decimal point that cannot be a thousands group (``2.5``).

    >>> _decimal_comma("a;b\n1.234,5;2\n3,25;4\n"), _decimal_comma("a;b\n2.5;1\n")
    (True, False)
    """
    cells = [c.strip().strip('"') for line in text.splitlines()[1:200] for c in line.split(";")]
    commas = any(_COMMA_NUMBER.match(c) for c in cells)
    dots = any(_DOT_DECIMAL.match(c) and not re.match(r"^-?\d{1,3}(\.\d{3})+$", c)
               for c in cells)
    return commas and not dots


def _read_layers(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Every file of a vector layer (each in its own CRS, all read to EPSG:4326), filtered."""
    several = len(spec.files) > 1
    frames = [read_vector(Path(f), layer=spec.layer, where=spec.where,
                          none_matching_ok=several) for f in spec.files]
    # each feature's file and position in it, to name it in an error
    frames = [frame.assign(_archivo=str(f), _objeto=np.arange(len(frame)) + 1)
              for f, frame in zip(spec.files, frames, strict=True)]
    if not several:
        return frames[0]
    if not any(len(frame) for frame in frames):
        raise DataError("geografia.capa_ningun_objeto_cumple", name=spec.name,
                        files=', '.join(f.name for f in spec.files), where=spec.where)
    kinds = {f.name: _kind(frame) for f, frame in zip(spec.files, frames, strict=True)
             if len(frame)}
    if len(set(kinds.values())) > 1:
        listed = ", ".join(f"{name}: {kind}" for name, kind in kinds.items())
        raise DataError("geografia.capa_mezcla_tipos_geometria", name=spec.name, listed=listed)
    frames = [frame for frame in frames if len(frame)]
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    out.attrs["notices"] = [n for frame in frames for n in frame.attrs.get("notices", [])]
    return out


def _kind(gdf: gpd.GeoDataFrame) -> str:
    types = set(gdf.geom_type.dropna().str.replace("Multi", "", regex=False))
    return "/".join(sorted(types)) or "?"


def _read_tables(spec: LayerSpec) -> pd.DataFrame:
    """Every file of a table layer, filtered by ``where`` (rows keep their file and line)."""
    frames = []
    for f in spec.files:
        table = read_table(f, spec.layer)
        table = table.assign(_archivo=str(f), _linea=np.arange(len(table)) + 2)
        if spec.where:
            table = filter_where(table, spec.where, Path(f))
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _read_matched(spec: LayerSpec, districts: gpd.GeoDataFrame, names: pd.DataFrame | None,
                  renamed: pd.DataFrame | None) -> tuple[pd.DataFrame, list]:
    """Read a table layer's rows with their ``ubigeo`` (by name with ``match``); the unmatched."""
    table, unmatched = _read_tables(spec), []
    if spec.match:
        table, unmatched = _match_names(table, spec, districts if names is None else names,
                                        renamed)
    return table, unmatched


def _match_names(table: pd.DataFrame, spec: LayerSpec, districts: pd.DataFrame,
                 renamed: pd.DataFrame | None) -> tuple[pd.DataFrame, list]:
    """Add ``ubigeo`` from the name columns; return the matched rows and the unmatched."""
    missing = [c for c in (C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO) if c not in districts]
    if missing:
        raise DataError("geografia.capa_usa_match_necesita", name=spec.name,
                        missing=', '.join(missing))
    codes: list = []
    unmatched: list = []
    for source, part in table.groupby("_archivo", sort=False):
        found = match_districts(part, spec.match or {}, districts, source=source,
                                first_line=int(part["_linea"].iloc[0]), renamed=renamed)
        codes.extend(zip(part.index, found.ubigeo, strict=True))
        unmatched.extend((u, source) for u in found.unmatched)
    ubigeo = pd.Series(dict(codes)).reindex(table.index)
    matched = table.assign(**{C.UBIGEO: ubigeo})
    return matched[ubigeo.notna()].reset_index(drop=True), unmatched


def _flag(table: pd.DataFrame) -> bool:
    if SIMULADO not in table.columns:
        return False
    col = table[SIMULADO]
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return bool(col.fillna(0).astype(bool).any())
    return bool(col.astype(str).str.strip().str.lower().isin(["1", "true", "si", "sí"]).any())
