"""``[[layers]]``: how each file becomes a column of the district table (:class:`LayerSpec`).

Sector layers (vector, raster or table) and the service layers (``kind = "servicios"``)
are read and checked here; every error names the file, the layer and the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo import columns as C
from geo.config.reading import _in_sources, _reject_unknown, _resolve
from geo.errors import ConfigError
from geo.messages import Message

__all__ = [
    "COMBINES",
    "KIND_SECTOR",
    "KIND_SERVICES",
    "LayerSpec",
    "MATCH_KEYS",
    "MEASURES",
    "MISSINGS",
    "MISSING_NAN",
    "MISSING_ZERO",
    "RASTER_MEASURES",
    "YEAR_FIELD",
]

MEASURES = ("area_share", "count", "density", "sum", "mean", "value",
            "raster_share", "raster_sum", "raster_mean")
RASTER_MEASURES = ("raster_share", "raster_sum", "raster_mean")
#: How the years of a table layer (or its listed columns) become one value.
COMBINES = ("sum", "mean", "last")
#: What a district without a value gets: nothing (NaN) or 0.
MISSING_NAN, MISSING_ZERO = "nan", "zero"
MISSINGS = (MISSING_NAN, MISSING_ZERO)
#: The placeholder of a year in a column name (``"{year}_ha"``).
YEAR_FIELD = "{year}"
#: The columns a name-keyed table may name (``match = { departamento = "DEPA", ... }``).
MATCH_KEYS = ("departamento", "provincia", "distrito")
KIND_SECTOR, KIND_SERVICES = "sector", "servicios"


@dataclass(frozen=True)
class LayerSpec:
    """One sector layer: how a file becomes one numeric column of the district table.

    A *table layer* (``measure = "value"``: one value per district, by UBIGEO or by name)
    may name several columns (``column`` a tuple) or one column per year (a ``{year}``
    pattern with ``years`` or ``year``), or read a long district × year panel
    (``panel_year``); ``combine`` turns those into one value. Its districts without a value
    stay empty (NaN) unless ``missing = "zero"``, which needs ``missing_reason``.

    Examples
    --------
    >>> from pathlib import Path
    >>> spec = LayerSpec("perdida_bosque", "tala", Path("g.csv"), "value", column="{year}_ha",
    ...                  years=(2020, 2024))
    >>> spec.missing, spec.dated, spec.years_label, spec.origin
    ('nan', True, '2020–2024', 'real')
    >>> LayerSpec("minas", "mineria", Path("m.gpkg"), "count").missing
    'zero'
    """

    name: str
    sector: str
    path: Path
    measure: str
    layer: str | None = None
    # one column, several (a tuple, combined with ``combine``) or a pattern with ``{year}``
    column: str | tuple[str, ...] | None = None
    per: str | None = None
    description: str = ""
    simulated: bool = False
    license: str = ""  # the source's licence (exports list it with the citation)
    citation: str = ""
    paths: tuple[Path, ...] = ()  # every file of the layer (``path`` is the first)
    where: str | None = None  # attribute filter, GDAL SQL WHERE syntax
    match: Mapping[str, str] | None = None  # name columns when the table has no UBIGEO
    classes: tuple[int, ...] = ()  # raster class codes
    # raster years (inclusive), after year_base; for a table, the years of a ``{year}``
    # pattern or of a panel
    years: tuple[int, int] | None = None
    year_base: int = 0
    band: int = 1
    kind: str = "sector"  # "sector": a model feature; "servicios": help for victims (points)
    # the column giving the year (or date) each feature or row began (a concession's claim
    # date, INGEMMET FEC_DENU): the build also keeps the layer as it stood in past years
    year_column: str | None = None
    # rasters with one band per year (MapBiomas): the year of band 1; ``band`` is today's
    band_first_year: int | None = None
    unit: str = ""  # of the district value, for people: "ha", "número", "por km²"
    source: str = ""  # short name of the source, for legends: "GeoBosques (MINAM)"
    year: int | None = None  # one year of a panel or of a ``{year}`` pattern
    panel_year: str | None = None  # the column giving the year of each row of a panel
    combine: str = "sum"  # how years or listed columns become one value: sum, mean, last
    # what a district without a value gets: "nan" or "zero" ("" = the default of the
    # layer's kind, resolved on creation: "nan" for table layers, "zero" for the others)
    missing: str = ""
    missing_reason: str = ""  # why zero is right (required with "zero" on a table layer)

    def __post_init__(self) -> None:
        if not self.missing:
            object.__setattr__(self, "missing", MISSING_NAN if self.is_table_value
                               else MISSING_ZERO)

    @property
    def is_table_value(self) -> bool:
        """Whether the layer takes one value per district from a table (``measure = "value"``).

        Such a layer has no value where the table is silent, unlike a count or a share of
        area, where no feature means none there.
        """
        return self.measure == "value"

    @property
    def year_pattern(self) -> bool:
        """Whether ``column`` names one column per year (``"{year}_ha"``)."""
        return isinstance(self.column, str) and YEAR_FIELD in self.column

    @property
    def table_years(self) -> tuple[int, int] | None:
        """The years a table layer reads (``years``, or ``year`` as ``(year, year)``)."""
        if self.year is not None:
            return (self.year, self.year)
        return self.years if self.is_table_value else None

    @property
    def dated(self) -> bool:
        """Whether the layer's past states can be rebuilt.

        A year column, a raster of years or with one band per year, or a table with years
        (a ``{year}`` pattern or a panel).
        """
        if self.is_table_value:
            yearly = bool(self.year_pattern or self.panel_year)
            return bool(self.year_column) or (yearly and self.table_years is not None)
        return bool(self.year_column) or self.years is not None or \
            self.band_first_year is not None

    @property
    def origin(self) -> str:
        """``"simulado"`` for a simulated layer, else ``"real"``."""
        return "simulado" if self.simulated else "real"

    @property
    def years_label(self) -> str:
        """The years the value describes, for people: ``"2020–2024"``, ``"2020"`` or ``""``.

        >>> from pathlib import Path
        >>> LayerSpec("x", "otro", Path("p.csv"), "value", column="C", panel_year="YEAR",
        ...           year=2020).years_label
        '2020'
        """
        span = self.table_years if self.is_table_value else self.years
        if span is None and self.band_first_year is not None:
            today = self.band_first_year + self.band - 1
            span = (today, today)
        if span is None:
            return ""
        return str(span[0]) if span[0] == span[1] else f"{span[0]}–{span[1]}"

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file of the layer (one or more)."""
        return self.paths or (self.path,)


_LAYER_KEYS = {
    "name",
    "sector",
    "path",
    "layer",
    "measure",
    "column",
    "per",
    "description",
    "license",
    "citation",
    "simulated",
    "where",
    "match",
    "classes",
    "years",
    "year_base",
    "band",
    "kind",
    "year_column",
    "band_first_year",
    "unit",
    "source",
    "year",
    "panel_year",
    "combine",
    "missing",
    "missing_reason",
}
_SERVICE_KEYS = {"name", "kind", "path", "layer", "column", "description", "simulated", "where",
                 "license", "citation", "source"}


def _parse_layer(i: int, item: dict[str, Any], path: Path, check_files: bool) -> LayerSpec:
    where = f"layers[{i}]"
    kind = item.get("kind", KIND_SECTOR)
    if kind not in (KIND_SECTOR, KIND_SERVICES):
        raise ConfigError("config.kind_use_sector_capa", path=path, where=where, kind=kind)
    if kind == KIND_SERVICES:
        return _parse_services(i, item, path, check_files)
    _reject_unknown(item, _LAYER_KEYS, path, where)
    for key in ("name", "sector", "path", "measure"):
        if key not in item:
            raise ConfigError("config.capa_falta_clave_obligatoria", path=path, where=where,
                              key_=key)
    name = str(item["name"])
    if not name.isidentifier() or name != name.lower():
        raise ConfigError("config.name_debe_nombre_columna", path=path, where=where, name=name)
    measure = item["measure"]
    if measure not in MEASURES:
        raise ConfigError("config.tiene_measure_no_existe", path=path, where=where, name=name,
                          measure=measure, measures=', '.join(MEASURES))
    sector = item["sector"]
    if sector not in C.SECTORES_CAPA:
        raise ConfigError("config.tiene_sector_use", path=path, where=where, name=name,
                          sector=sector, sectores_capa=', '.join(C.SECTORES_CAPA))
    if measure in ("sum", "mean", "value") and item.get("column") in (None, ""):
        raise ConfigError("config.usa_measure_necesita_column", path=path, where=where, name=name,
                          measure=measure)
    per = item.get("per")
    if measure == "density" and per not in ("km2", "poblacion"):
        raise ConfigError("config.usa_measure_density_per", path=path, where=where, name=name,
                          per=per)
    raw_paths = item["path"] if isinstance(item["path"], list) else [item["path"]]
    if not raw_paths or not all(isinstance(p, str) and p for p in raw_paths):
        raise ConfigError("config.path_debe_archivo_lista", path=path, where=where, name=name)
    files = tuple(_resolve(path.parent, p) for p in raw_paths)
    for file in files:
        assert file is not None
        if check_files and not file.exists():
            if any(_in_sources(p) for p in raw_paths):
                raise ConfigError("config.capa_apunta_no_existe_carpeta_riskmap_data", path=path,
                                  name=name, file=file)
            raise ConfigError("config.capa_apunta_no_existe", path=path, name=name, file=file)
    match = item.get("match")
    if match is not None:
        if not isinstance(match, dict) or "distrito" not in match or \
                not set(match) <= set(MATCH_KEYS) or \
                not all(isinstance(v, str) and v for v in match.values()):
            raise ConfigError("config.match_debe_nombrar_columnas", path=path, where=where,
                              name=name)
        if measure not in ("count", "sum", "mean", "value"):
            raise ConfigError("config.match_sirve_tablas_puntos", path=path, where=where, name=name,
                              measure=measure)
    classes = item.get("classes", [])
    years = item.get("years")
    band = item.get("band", 1)
    year_base = item.get("year_base", 0)
    if measure in RASTER_MEASURES:
        if not isinstance(classes, list) or not all(isinstance(c, int) for c in classes) or \
                (years is not None and (not isinstance(years, list) or len(years) != 2 or
                                        not all(isinstance(y, int) for y in years))) or \
                not isinstance(band, int) or band < 1 or not isinstance(year_base, int):
            raise ConfigError("config.usa_raster_classes_lista", path=path, where=where, name=name)
        if measure == "raster_share" and not classes and not years:
            raise ConfigError("config.usa_measure_raster_share", path=path, where=where, name=name)
    elif classes or (years is not None and measure != "value") or "band" in item or \
            "year_base" in item:
        raise ConfigError("config.classes_years_band_year", path=path, where=where, name=name)
    band_first_year = item.get("band_first_year")
    if band_first_year is not None and (
            measure not in RASTER_MEASURES or not isinstance(band_first_year, int)
            or isinstance(band_first_year, bool) or not 1800 <= band_first_year <= 2200):
        raise ConfigError("config.band_first_year_ano", path=path, where=where, name=name)
    year_column = item.get("year_column")
    if year_column is not None:
        if not (isinstance(year_column, str) and year_column.strip()):
            raise ConfigError("config.year_column_debe_nombrar", path=path, where=where, name=name)
        if measure in RASTER_MEASURES:
            raise ConfigError("config.raster_ano_valor_pixel", path=path, where=where, name=name)
    where_sql = item.get("where")
    if where_sql is not None and not (isinstance(where_sql, str) and where_sql.strip()):
        raise ConfigError("config.where_debe_filtro_leyenda", path=path, where=where, name=name)
    table = _parse_table_keys(item, path, where, name, measure)
    if table.get("panel_year") and year_column:
        raise ConfigError("config.tiene_panel_year_year", path=path, where=where, name=name)
    if isinstance(item.get("column"), str) and YEAR_FIELD in item["column"] and year_column:
        raise ConfigError("config.column_tiene_columna_ano", path=path, where=where, name=name,
                          column=item['column'])
    raster_years = (int(years[0]), int(years[1])) if years else None
    table_years = table.pop("years", None)
    return LayerSpec(
        **table,
        name=name,
        sector=sector,
        path=files[0],
        measure=measure,
        layer=item.get("layer"),
        per=per,
        description=str(item.get("description", "")),
        simulated=bool(item.get("simulated", False)),
        license=str(item.get("license", "")),
        citation=str(item.get("citation", "")),
        paths=files if len(files) > 1 else (),
        where=where_sql,
        match=dict(match) if match else None,
        classes=tuple(int(c) for c in classes),
        years=table_years if measure == "value" else raster_years,
        year_base=int(year_base),
        band=int(band),
        year_column=year_column.strip() if year_column else None,
        band_first_year=band_first_year,
    )


def _parse_table_keys(item: dict[str, Any], path: Path, where: str, name: str, measure: str
                      ) -> dict[str, Any]:
    """Check the keys of a table layer and of every layer's people-facing words.

    ``column`` (one, a list, or a ``{year}`` pattern), ``years``/``year``/``panel_year``,
    ``combine``, ``missing`` and ``missing_reason`` of a ``measure = "value"`` table, and
    ``unit``/``source`` of any layer. Returns the :class:`LayerSpec` fields they fill.
    """
    def refuse(field: str, problem: str, **params: Any) -> ConfigError:
        return ConfigError("config.capa.campo_rechazado", path=path, where=where, name=name,
                           field=field, problem=Message(problem, params))

    out: dict[str, Any] = {}
    for key in ("unit", "source", "missing_reason"):
        value = item.get(key, "")
        if not isinstance(value, str):
            raise refuse(key, "config.capa.texto_entre_comillas", value=value)
        out[key] = value.strip()
    table = measure == "value"
    column = item.get("column")
    listed = isinstance(column, list)
    if listed:
        if not column or not all(isinstance(c, str) and c.strip() for c in column) or \
                len(set(column)) < len(column):
            raise refuse("column", "config.capa.lista_columnas_distintas", column=column)
        if any(YEAR_FIELD in c for c in column):
            raise refuse("column", "config.capa.lista_o_patron")
        column = tuple(c.strip() for c in column)
    elif column is not None and not (isinstance(column, str) and column.strip()):
        raise refuse("column", "config.capa.columna_un_texto", column=column)
    pattern = isinstance(column, str) and YEAR_FIELD in column
    panel_year = item.get("panel_year")
    if panel_year is not None and not (isinstance(panel_year, str) and panel_year.strip()):
        raise refuse("panel_year", "config.capa.panel_year_columna", panel_year=panel_year)
    year, years = item.get("year"), item.get("years")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)
                             or not 1800 <= year <= 2200):
        raise refuse("year", "config.capa.year_entero", year=year)
    if table and years is not None and (
            not isinstance(years, list) or len(years) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            or years[0] > years[1]):
        raise refuse("years", "config.capa.years_rango", years=years)
    combine = item.get("combine", "sum")
    if combine not in COMBINES:
        raise refuse("combine", "config.capa.combine_no_existe", combine=combine)
    missing = item.get("missing", MISSING_NAN if table else MISSING_ZERO)
    if missing not in MISSINGS:
        raise refuse("missing", "config.capa.missing_no_existe", missing=missing)
    if not table:
        used = [k for k in ("year", "panel_year", "combine") if k in item]
        if listed or pattern or used:
            keys = ", ".join(used + (["column (lista / list)"] if listed else [])
                             + (["column ({year})"] if pattern else []))
            raise refuse(keys, "config.capa.solo_tablas_valor", measure=measure)
        if missing == MISSING_NAN:
            raise refuse("missing", "config.capa.nan_solo_tablas", measure=measure)
        return {**out, "column": column, "missing": missing}
    if missing == MISSING_ZERO and not out["missing_reason"]:
        raise refuse("missing", "config.capa.zero_necesita_razon")
    if missing == MISSING_NAN and out["missing_reason"]:
        raise refuse("missing_reason", "config.capa.razon_solo_con_zero")
    if year is not None and years is not None:
        raise refuse("year", "config.capa.year_o_years")
    dated = year is not None or years is not None
    if (pattern or panel_year) and not dated:
        key = "column" if pattern else "panel_year"
        raise refuse(key, "config.capa.necesita_years")
    if dated and not (pattern or panel_year):
        raise refuse("year" if year is not None else "years", "config.capa.tabla_anos_como")
    if panel_year and (listed or pattern):
        raise refuse("column", "config.capa.panel_una_columna")
    return {**out, "column": column, "missing": missing, "combine": combine,
            "year": year, "panel_year": panel_year.strip() if panel_year else None,
            "years": (int(years[0]), int(years[1])) if years is not None else None}


def _parse_services(i: int, item: dict[str, Any], path: Path, check_files: bool
                    ) -> LayerSpec:
    """Parse a ``kind = "servicios"`` layer: points of services (CEM, prosecutors, police…).

    Keys: ``name``, ``path`` (one file or a list), optionally ``layer``, ``column`` (the
    column giving each point's type of service), ``where``, ``description``, ``simulated``.
    """
    where = f"layers[{i}]"
    allowed = _SERVICE_KEYS
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ConfigError("config.capa_servicios_kind_servicios", path=path, where=where,
                          unknown=', '.join(unknown), allowed=', '.join(sorted(allowed)))
    spec = _parse_layer(i, {**{k: v for k, v in item.items() if k != "kind"},
                            "sector": "otro", "measure": "count"}, path, check_files)
    return dataclasses.replace(spec, kind=KIND_SERVICES, sector=KIND_SERVICES,
                               measure=KIND_SERVICES)
