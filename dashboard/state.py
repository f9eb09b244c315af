"""Cached loading of the artefacts the command line wrote; the dashboard computes nothing heavy.

Every reader is keyed on a file's path and modification time (``st.cache_data``), so a
page visit reads from memory, and a file rewritten by ``riskmap prepare`` or by an
import on the Datos page is picked up on the next run without restarting the app.
Read-only objects that are expensive to pickle (the prepared map layer) are held with
``st.cache_resource`` under the same keys.

A missing artefact raises :class:`MissingArtefactError`, whose message tells the user to
run ``riskmap prepare`` — pages show it with :func:`dashboard.ui.show_error`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import streamlit as st

from dashboard.i18n import STRINGS
from geo import columns as C
from geo import paths
from geo.config import Settings, load_settings
from geo.errors import RiskmapError
from geo.trust.access import Principal
from models.risk.hotspots import GI_P, GI_Q, GI_Z, HOTSPOT, hotspot_layer

__all__ = [
    "ALL_REGIONS",
    "EVALUATION_FILE",
    "Region",
    "MissingArtefactError",
    "departments",
    "district_aggregates",
    "district_table",
    "evaluation",
    "evaluation_for",
    "export_counts",
    "export_table",
    "export_metadata",
    "hotspots",
    "inspection_records",
    "in_region",
    "layer_facts",
    "map_digits",
    "map_features",
    "map_layer",
    "map_outlines",
    "map_payload",
    "metadata",
    "metadata_values",
    "missing_patterns",
    "mtime",
    "provinces",
    "region_label",
    "region_options",
    "regions_in",
    "scores",
    "sector_layer",
    "table_layer",
    "settings",
    "settings_path",
    "sources_table",
    "sources_tables",
    "store",
    "portable",
    "protected_counts",
    "shown_total",
    "suppress_small_counts",
    "typed_metadata",
    "view",
]

EVALUATION_FILE = "evaluacion.json"
MAP_COLUMNS = (
    C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO, C.RIESGO_P05, C.RIESGO_P95,
    C.EVIDENCIA, C.RANGO, "alerta_deriva", "motivo_deriva", "sin_dato", "fuera_rango",
)
# coverage_simplify tolerance (degrees) of the sector layers and boundaries read from files;
# the district map's own is chosen per region (map_layer).
SIMPLIFY_TOLERANCE = 0.006


class MissingArtefactError(RiskmapError):
    """An artefact the dashboard reads has not been produced yet (run ``riskmap prepare``)."""

    def __init__(self, what_es: str, what_en: str, path: Path) -> None:
        es, en = STRINGS["falta_preparar"]
        super().__init__(
            es=es.format(what=what_es, path=path), en=en.format(what=what_en, path=path)
        )


def mtime(path: Path) -> float:
    """Modification time of ``path`` (0.0 when it does not exist): the cache key."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def settings_path() -> Path:
    """Return the active settings file (``$RISKMAP_CONFIG`` or the demo world's)."""
    return paths.default_settings()


def settings() -> Settings:
    """Return the active :class:`geo.config.Settings` (cached on the file's mtime)."""
    path = settings_path()
    if not path.is_file():
        raise MissingArtefactError("archivo de configuración", "settings file", path)
    return _load_settings(str(path), mtime(path))


@st.cache_data(show_spinner=False)
def _load_settings(path: str, stamp: float) -> Settings:
    return load_settings(path, check_files=False)


def _require(path: Path, what_es: str, what_en: str) -> Path:
    if not path.exists():
        raise MissingArtefactError(what_es, what_en, path)
    return path


# --- scores ------------------------------------------------------------------------------
def view(who: Principal) -> int:
    """Return the disclosure view of ``who``: 0 (everything) for a planner, else its floor k.

    Every reader of the scores takes it: a role without record access gets the scores
    through :func:`models.risk.disclosure.protect_scores` (its small counts blanked, and no
    value from which a blanked count could be rebuilt), in pages, map and exports alike.
    """
    from geo.trust.access import floor

    return 0 if who.may_read_records else floor(who.role, settings().auth.suppression)


def scores(k: int = 0) -> gpd.GeoDataFrame:
    """Read the layer ``riesgo`` of ``settings.scores_gpkg`` as view ``k`` sees it (:func:`view`).

    All districts, full geometry; ``k = 0`` is the planner's (and the system's) full table.
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _view_scores(str(path), _stamp(path, k), int(k))


def _stamp(path: Path, k: int) -> float | tuple:
    """Return the cache key of view ``k`` of the scores.

    The file's mtime; for a protected view also the records' (its counts, and which risks
    keep their record, follow the records' protected tables: :func:`protected_counts`).
    """
    return mtime(path) if not k else (mtime(path), *_indicator_source())


def _scores_stamp(stamp: float | tuple) -> float:
    return stamp[0] if isinstance(stamp, tuple) else stamp


@st.cache_resource(show_spinner=False, max_entries=8)
def _view_scores(path: str, stamp: float | tuple, k: int) -> gpd.GeoDataFrame:
    if not k:
        return _read_scores(path, _scores_stamp(stamp))
    from models.risk.disclosure import protect_scores

    return protect_scores(_read_scores(path, _scores_stamp(stamp)), k,
                          published=protected_counts(k))


def protected_counts(k: int, regions: tuple[str, ...] = ()) -> pd.DataFrame:
    """Inspections, findings, complaint-driven inspections and victims per district at ``k``.

    The district rows of the one disclosure-control pass over every table a role without
    record access gets (:func:`geo.records.indicators.protected_tables`, on the records the model
    uses, every department of the district table): the same blanks in the scores, the
    map, the district card, the exports and the Indicadores page. ``regions`` keeps some
    departments (``()`` = all).
    """
    from geo.records.indicators import protected_counts as counts
    from geo.trust.access import in_regions

    records = _classified_records(*_indicator_source())
    districts = district_table().drop(columns="geometry")
    return in_regions(counts(records, districts, max(int(k), 2)), regions)


@st.cache_resource(show_spinner=False, max_entries=4)
def _read_scores(path: str, stamp: float) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(path, layer="riesgo")
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str).str.zfill(6)
    return gdf.sort_values(C.RANGO).reset_index(drop=True)


def metadata() -> dict[str, Any]:
    """Read the ``metadatos`` table of the scores GeoPackage as a flat dict (``{}`` if absent)."""
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _read_metadata(str(path), mtime(path))


@st.cache_data(show_spinner=False)
def _read_metadata(path: str, stamp: float) -> dict[str, Any]:
    table = _read_table(path, "metadatos")
    if table is None or table.empty:
        return {}
    cols = list(table.columns)
    if len(cols) == 2:  # key/value layout
        return {str(k): v for k, v in zip(table[cols[0]], table[cols[1]], strict=True)}
    return {str(k): v for k, v in table.iloc[0].items()}  # one wide row


def metadata_values() -> dict[str, Any]:
    """Return the scores' metadata with its values decoded (see :func:`typed_metadata`)."""
    return typed_metadata(metadata())


def typed_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Decode the text values of a ``metadatos`` table back into what ``write_scores`` stored.

    The table keeps every value as text (JSON for lists, numbers and flags). Text that is
    not JSON (a version, a path, a date) stays text; so do the hashes, whatever they look like.

    >>> meta = typed_metadata({"n": "1193", "simulado": "true", "fuentes": '[{"a": 1}]',
    ...                        "version_modelo": "riskmap-1.0", "desde": "2016-01-08",
    ...                        "hash_configuracion": "1234", "intercepto": "-2.5"})
    >>> meta["n"], meta["simulado"], meta["fuentes"], meta["intercepto"]
    (1193, True, [{'a': 1}], -2.5)
    >>> meta["version_modelo"], meta["desde"], meta["hash_configuracion"]
    ('riskmap-1.0', '2016-01-08', '1234')
    """
    out: dict[str, Any] = {}
    for key, value in meta.items():
        out[key] = value
        if not isinstance(value, str) or key.startswith("hash"):
            continue
        text = value.strip()
        if text[:1] in ("[", "{") or text in ("true", "false", "null") or _NUMBER.fullmatch(text):
            try:
                out[key] = json.loads(text)
            except ValueError:
                pass
    return out


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def export_table(region: tuple[str, ...], k: int, protected: bool,
                 counts: tuple[str, ...], floor_k: int | None = None) -> gpd.GeoDataFrame:
    """Return the scores an export of ``region`` carries, suppressed at ``k``.

    For a role without record access (``protected``) they go through
    :func:`models.risk.disclosure.protect_scores` with the district counts of the role's one
    publication at its floor ``floor_k`` (default ``k``; :func:`protected_counts`); a
    higher ``k`` it asks for only blanks more of that publication
    (:func:`geo.records.indicators.coarsen`), so two exports never show two patterns of blanks
    to set side by side.
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _export_table(str(path), mtime(path), tuple(region), int(k), protected, counts,
                         _indicator_source(), int(floor_k or k))


#: Prefix of the export's indicator columns (``oit_engano``: inspections where found).
OIT_PREFIX = "oit_"


@st.cache_resource(show_spinner=False, max_entries=8)
def _export_table(path: str, stamp: float, region: tuple[str, ...], k: int, protected: bool,
                  counts: tuple[str, ...], records_key: tuple[str, float, float] = ("", 0, 0),
                  floor_k: int = 0) -> gpd.GeoDataFrame:
    from geo.records.indicators import coarsen
    from models.risk.disclosure import protect_scores

    full = _read_scores(path, stamp)
    floor_k = min(floor_k or k, k)
    # protected on the whole table, then cut: ranks stay those of the whole area
    if protected:
        published = coarsen(protected_counts(floor_k), k) if records_key[0] else None
        table = protect_scores(full, k, published=published)
    else:
        table = suppress_small_counts(full, k, counts)
    return indicator_columns(in_region(table, region), k, records_key, protected, floor_k)


def indicator_columns(table: gpd.GeoDataFrame, k: int,
                      records_key: tuple[str, float, float], protected: bool = True,
                      floor_k: int | None = None) -> gpd.GeoDataFrame:
    """Add each district's ILO indicator profile to an export, counts suppressed at ``k``.

    ``oit_<code>`` per indicator, ``n_trabajo_forzoso_oit``, ``n_indicios``,
    ``n_inconsistentes`` (not for a ``protected`` role), ``n_victimas_mujeres``,
    ``n_victimas_menores`` (nullable integers; blank where 1 to k-1 or to protect such a
    count: :func:`geo.records.indicators.protected_profile`, at the role's floor ``floor_k`` and
    then :func:`geo.records.indicators.coarsen` to ``k``) and ``indicadores_suprimidos``.
    """
    from geo.records.indicators import N_VICTIMAS, coarsen, protected_profile
    from geo.records.inspections import ILO_INDICATORS

    records = _classified_records(*records_key) if records_key[0] else None
    if records is None or records.empty:
        return table
    deps = tuple(sorted(set(table[C.UBIGEO].astype(str).str[:2])))
    districts = in_region(district_table().drop(columns="geometry"), deps)
    floor_k = min(floor_k or k, k) if protected else k
    profile = protected_profile(in_region(records, deps), C.UBIGEO, districts,
                                max(floor_k, 1), aggregate_role=protected)
    if protected and k > floor_k:
        profile = coarsen(profile, k)
    profile = profile.drop(columns=[C.N_INSPECCIONES, N_VICTIMAS]).rename(
        columns={**{c: OIT_PREFIX + c for c in ILO_INDICATORS},
                 "suprimido": "indicadores_suprimidos"})
    profile["indicadores_suprimidos"] = profile["indicadores_suprimidos"].str.replace(
        r"(^|;)(?!n_)", r"\1" + OIT_PREFIX, regex=True)
    profile = profile[profile[C.UBIGEO].isin(table[C.UBIGEO].astype(str))]
    out = table.merge(profile, on=C.UBIGEO, how="left")
    out.attrs = dict(table.attrs)
    return out


#: Metadata that describes individual records or the whole area's totals: not for a role
#: without record access, nor for one limited to some regions.
RECORD_METADATA = ("inspecciones_desde", "inspecciones_hasta", "n_inspecciones",
                   "n_hallazgos",
                   # breaks of the whole file's raw risks (an export recomputes its own)
                   "clases_cortes")


def export_metadata(stored: dict[str, Any], region: tuple[str, ...],
                    threshold: int, columns: tuple[str, ...] | None = None,
                    protected: bool = False, scoped: bool = False) -> dict[str, Any]:
    """Return the scores file's metadata plus what an export chose (region, suppression).

    ``models.risk.score.write_scores`` stamps its own write time in ``escrito``; the time the
    risk was computed travels on as ``riesgo_calculado``. For a role without record access
    (``protected``) or one limited to some regions (``scoped``) the dates of the first and
    last records and the whole area's totals are left out, and ``proteccion`` says how the
    scores were protected (:mod:`models.risk.disclosure`).

    >>> meta = export_metadata({"n_inspecciones": 1193, "escrito": "2026-11-28T04:15"},
    ...                        ("08",), 5)
    >>> meta["n_inspecciones"], meta["riesgo_calculado"], meta["region_exportada"]
    (1193, '2026-11-28T04:15', ['08'])
    >>> meta["conteos_suprimidos_menores_que"]
    5
    """
    meta = {key: portable(value) for key, value in stored.items()
            if not ((protected or scoped) and key in RECORD_METADATA)}
    if "escrito" in meta:
        meta["riesgo_calculado"] = meta.pop("escrito")
    meta["region_exportada"] = list(region)
    meta["conteos_suprimidos_menores_que"] = int(threshold)
    if columns is not None:
        meta["columnas_con_conteos_suprimidos"] = list(columns)
    if protected:
        meta["proteccion"] = (
            "Conteos de 1 a k-1 suprimidos, y con ellos los que permitirían deducirlos de "
            "cualquier tabla que este rol obtiene (distritos, provincias, sectores, años, "
            "totales, páginas y exportaciones): supresión secundaria de tablas enlazadas, "
            "comprobada con el programa entero de un atacante (ninguna celda vacía se "
            "acota a menos de k-1 valores; una celda vacía nunca es cero). Distritos con "
            "algún conteo suprimido (publicacion = 'sin historial'): riesgo predicho solo "
            "por sus características, sin intervalo, sin prob_top10 ni contrib_historial, "
            "evidencia 'no publicada'; riesgos redondeados a 0,1 puntos; rango recalculado "
            "sobre los riesgos publicados. Hundepool et al., Statistical Disclosure "
            "Control, 2012, cap. 4-5; de Wolf y Giessing, linked tables, 2009.")
    return meta


def portable(value: Any) -> Any:
    """Return an absolute path as text relative to the data folder (or its name); else as is.

    Metadata shown on screen or written into an export never carries a server's path.

    >>> portable("/no/such/server/folder/distritos.gpkg")
    'distritos.gpkg'
    >>> portable(1193), portable("v1.2")
    (1193, 'v1.2')
    >>> portable([{"ruta": "/srv/capas/a.gpkg"}])  # inside lists and tables too
    [{'ruta': 'a.gpkg'}]
    """
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [portable(v) for v in value]
    if not isinstance(value, (str, Path)) or not str(value).startswith(("/", "\\")) \
            and not (len(str(value)) > 2 and str(value)[1:3] in (":\\", ":/")):
        return value
    p = Path(str(value))
    try:
        return p.resolve().relative_to(paths.data_dir()).as_posix()
    except (ValueError, OSError):
        return p.name


def export_counts(planner: bool) -> tuple[str, ...]:
    """Return the count columns an export suppresses below the threshold for a role.

    The planner may export exact inspection totals (only findings, victims and workers are
    sensitive for them); for every other role each count column is suppressed, since a
    district with 1 to 4 inspections can identify the workplaces inspected.

    >>> C.N_INSPECCIONES in export_counts(False), C.N_INSPECCIONES in export_counts(True)
    (True, False)
    """
    return SENSITIVE_COUNTS if planner else ALL_COUNTS


def _read_table(path: str, layer: str) -> pd.DataFrame | None:
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
        if layer not in layers:
            return None
        return pd.DataFrame(pyogrio.read_dataframe(path, layer=layer, read_geometry=False))
    except pyogrio.errors.DataSourceError:
        return None


def in_region(gdf: pd.DataFrame, region: tuple[str, ...]) -> pd.DataFrame:
    """Rows of ``gdf`` whose UBIGEO lies in the departments ``region`` (``()`` = all).

    >>> df = pd.DataFrame({"ubigeo": ["080101", "160101", "150101"]})
    >>> in_region(df, ("08", "16"))["ubigeo"].tolist()
    ['080101', '160101']
    """
    if not region:
        return gdf
    return gdf[gdf[C.UBIGEO].astype(str).str[:2].isin(region)]


def map_layer(region: tuple[str, ...], k: int = 0) -> gpd.GeoDataFrame:
    """Return the prepared map layer for ``region`` (view ``k``): the map's columns, simplified.

    The districts are made an exact coverage once per scores file
    (:func:`dashboard.mapview.clean_coverage`); each region is then simplified as a
    coverage (topology kept: neighbours still share their borders) with a tolerance chosen
    from its extent on screen (:func:`dashboard.mapview.display_tolerance`), once.
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _map_layer(str(path), _stamp(path, k), tuple(region), int(k))


def map_digits(region: tuple[str, ...]) -> int:
    """Return the decimals worth sending for ``region`` (see ``mapview.display_digits``)."""
    from dashboard.mapview import display_digits

    return display_digits(map_layer(region).total_bounds)


def map_features(region: tuple[str, ...], scheme: str, lang: str, k: int = 0
                 ) -> tuple[list[float], dict]:
    """Class breaks and the GeoJSON the map sends for ``region`` (view ``k``), cached.

    See :func:`dashboard.mapview.risk_features`.
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _map_features(str(path), _stamp(path, k), tuple(region), scheme, lang, int(k),
                         _layers_key())


def map_outlines(region: tuple[str, ...]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Province and department borders of ``region`` as lines on the districts' own borders.

    Province lines leave out the department borders (drawn once, thicker, on their own).
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _map_outlines(str(path), mtime(path), tuple(region))


@st.cache_resource(show_spinner=False, max_entries=4)
def _clean_scores(path: str, stamp: float) -> gpd.GeoDataFrame:
    from geo.geography.display import clean_coverage, read_display_layer

    stored = read_display_layer(path)  # made with the scores (geo.geography.display), else here
    if stored is not None:
        return stored
    gdf = _read_scores(path, stamp)
    return clean_coverage(gdf[[C.UBIGEO, "geometry"]])


@st.cache_resource(show_spinner=False, max_entries=16)
def _map_layer(path: str, stamp: float | tuple, region: tuple[str, ...], k: int = 0
               ) -> gpd.GeoDataFrame:
    """Join the map's columns of view ``k`` to the districts' cleaned, simplified borders."""
    shapes = _simple_shapes(path, _scores_stamp(stamp), region)
    table = _view_scores(path, stamp, k)
    cols = [c for c in MAP_COLUMNS if c in table.columns]
    values = pd.DataFrame(table[cols]).set_index(C.UBIGEO)
    return shapes.join(values, on=C.UBIGEO)[[*cols, "geometry"]]


@st.cache_resource(show_spinner=False, max_entries=16)
def _simple_shapes(path: str, stamp: float, region: tuple[str, ...]) -> gpd.GeoDataFrame:
    from geo.geography.display import display_tolerance, read_display_layer, simplify_coverage

    codes = region or tuple(sorted(_read_scores(path, stamp)[C.UBIGEO].str[:2].unique()))
    stored = read_display_layer(path, codes)
    if stored is not None:
        return stored
    layer = in_region(_clean_scores(path, stamp), region)
    return simplify_coverage(layer, display_tolerance(layer.total_bounds))


@st.cache_data(show_spinner=False, max_entries=32)
def _map_features(path: str, stamp: float | tuple, region: tuple[str, ...], scheme: str,
                  lang: str, k: int = 0, layers_key: tuple = ()) -> tuple[list[float], dict]:
    from dashboard.layer_words import district_note
    from dashboard.mapview import class_breaks, display_digits, risk_features

    layer = _map_layer(path, stamp, region, k)
    breaks = class_breaks(layer[C.RIESGO], scheme)
    notes = None
    if "sin_dato" in layer or "fuera_rango" in layer:
        facts, patterns = layer_facts(), missing_patterns()
        notes = {u: district_note(a, b, facts, lang, patterns) for u, a, b in zip(
            layer[C.UBIGEO].astype(str), layer.get("sin_dato", pd.Series("", index=layer.index)),
            layer.get("fuera_rango", pd.Series("", index=layer.index)), strict=True)}
    return breaks, risk_features(layer, breaks, lang, display_digits(layer.total_bounds),
                                 notes=notes)


@st.cache_resource(show_spinner=False, max_entries=16)
def _map_outlines(path: str, stamp: float, region: tuple[str, ...]):
    from dashboard.mapview import boundary_lines

    layer = _map_layer(path, stamp, region)
    deps = boundary_lines(layer, 2)
    provs = boundary_lines(layer, 4)
    if len(provs) and len(deps):
        provs = provs.set_geometry(provs.geometry.difference(deps.geometry.iloc[0]))
        provs = provs[~provs.geometry.is_empty]
    return provs, deps


def map_payload(region: tuple[str, ...], scheme: str, lang: str, layers: tuple[str, ...] = (),
                show_hot: bool = False, show_outlines: bool = True, basemap: bool = False,
                static_url: str = "/app/static", k: int = 0, show_alerts: bool = False
                ) -> dict:
    """Return the Mapa page's rendered map (``mapview.folium_payload``), cached per input.

    ``k`` is the viewer's disclosure view (:func:`view`); a rescored file is a new map.
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _map_payload(str(path), _stamp(path, k), tuple(region), scheme, lang, tuple(layers),
                        bool(show_hot), bool(show_outlines), bool(basemap), static_url, int(k),
                        bool(show_alerts), _layers_key())


def _layers_key() -> tuple:
    """Return the cache key of the layers' words and values: the settings and district table."""
    s = settings()
    return (str(s.path), mtime(s.path), str(s.districts_gpkg), mtime(s.districts_gpkg))


@st.cache_data(show_spinner=False, max_entries=16)
def _map_payload(path: str, stamp: float | tuple, region: tuple[str, ...], scheme: str, lang: str,
                 layers: tuple[str, ...], show_hot: bool, show_outlines: bool, basemap: bool,
                 static_url: str, k: int, show_alerts: bool = False, layers_key: tuple = ()
                 ) -> dict:
    """Render the map once per input; the payload also says what each chosen layer drew.

    ``capas_tabla``: per table layer drawn from the district table, ``(name, districts
    shown, districts without a value)``; ``sin_dibujar``: the chosen layers with neither a
    geometry nor a column in the district table.
    """
    from dashboard import mapview
    from dashboard.layer_words import layer_choice

    breaks, features = _map_features(path, stamp, region, scheme, lang, k, layers_key)
    facts = layer_facts()
    sectors, tables, drawn, undrawn = {}, [], [], []
    for name in layers:
        if name not in facts:
            undrawn.append(name)
            continue
        gdf = sector_layer(name, region)
        if gdf is not None and len(gdf):
            sectors[layer_choice(facts[name], lang)] = gdf
            continue
        values = table_layer(name, region, scheme, lang)
        if values is None:
            undrawn.append(name)
            continue
        tables.append(values)
        shown = _map_layer(path, stamp, region, k)[C.UBIGEO]
        numbers = values.values.reindex(shown.astype(str).to_numpy())
        drawn.append((name, int(len(shown)), int(numbers.isna().sum())))
    province_lines, department_lines = _map_outlines(path, _scores_stamp(stamp), region)
    layer = _map_layer(path, stamp, region, k)
    beyond = layer.loc[layer["fuera_rango"].fillna("").astype(str).ne(""), C.UBIGEO].tolist() \
        if "fuera_rango" in layer else []
    fmap = mapview.risk_map(
        _map_layer(path, stamp, region, k),
        breaks,
        lang=lang,
        provinces=province_lines if show_outlines else None,
        departments=department_lines,
        sectors=sectors,
        hotspots=_hotspots(path, stamp, region, k)[C.UBIGEO].tolist() if show_hot else [],
        basemap=basemap,
        static_url=static_url,
        features=features,
        ndigits=mapview.display_digits(_map_layer(path, _scores_stamp(stamp),
                                                  region).total_bounds),
        alerts=alert_districts(_map_layer(path, stamp, region, k)) if show_alerts else (),
        tables=tables,
        out_of_range=beyond,
    )
    return {**mapview.folium_payload(fmap), "capas_tabla": drawn, "sin_dibujar": undrawn,
            "fuera_rango": len(beyond)}


def table_layer(name: str, region: tuple[str, ...], scheme: str = "quantiles",
                lang: str = "es"):
    """Return table layer ``name``'s district values in ``region`` for the map, or None.

    The values are the district table's column (``distritos.gpkg``: NaN where the source
    is silent), written in the layer's unit (:func:`dashboard.layer_words.value_text`),
    classed by ``scheme`` over the districts that have one. None when the district table
    is not built or has no such column. See :class:`dashboard.mapview.DistrictValues`.
    """
    from dashboard.layer_words import layer_byline, layer_name, value_text
    from dashboard.mapview import DistrictValues, class_breaks
    from geo.formatting import no_public_data

    facts = layer_facts().get(name)
    if facts is None or not settings().districts_gpkg.is_file():
        return None
    table = district_table()
    if name not in table.columns:
        return None
    rows = in_region(table, region)
    values = pd.Series(pd.to_numeric(rows[name], errors="coerce").to_numpy(float),
                       index=rows[C.UBIGEO].astype(str).to_numpy())
    texts = pd.Series([value_text(facts, v, lang) for v in values], index=values.index)
    return DistrictValues(
        title=layer_name(facts, lang), byline=layer_byline(facts, lang), values=values,
        texts=texts, breaks=class_breaks(values.dropna(), scheme),
        format_value=lambda v: value_text(facts, v, lang), no_value=no_public_data(lang))


def alert_districts(layer: pd.DataFrame) -> list[str]:
    """UBIGEOs whose recent findings rise above their record (``alerta_deriva``)."""
    if "alerta_deriva" not in layer:
        return []
    return layer.loc[layer["alerta_deriva"].astype(str).eq("al alza"), C.UBIGEO].tolist()


def warm_map(static_url: str) -> None:
    """Make the maps first visits ask for, before anyone asks (the server's warm-up).

    The Mapa page opens on the first region choice (all the scores' departments, or the
    visitor's own), quantiles, Spanish, no sector layer, province borders on: those maps
    are drawn here for every disclosure view the roles have, so the first visit after a
    server start reads them from the cache like every later one. With a few departments
    (Cusco and Loreto) each one's map too; with all of Peru only the whole.
    """
    from geo.trust.access import DATA_ROLES, floor

    if not settings().scores_gpkg.exists():
        return
    views = sorted({0, *(floor(role, settings().auth.suppression) for role in DATA_ROLES)})
    options = list(region_options().values())
    for region in options if len(options) <= 4 else options[:1]:
        for k in views:
            map_payload(region.codes, "quantiles", "es", static_url=static_url, k=k)


# --- regions -----------------------------------------------------------------------------
ALL_REGIONS = "todo"


@dataclass(frozen=True)
class Region:
    """A choice of the region switch: a key, its department codes, its plain name, its size."""

    key: str
    codes: tuple[str, ...]
    name: str
    n: int


def regions_in(scores: pd.DataFrame) -> list[Region]:
    """List the regions a scores table can show: all of it first, then each department.

    Cusco and Loreto come first when present (the inspectorate's pilot regions), the other
    departments after them by name. With a single department only that one is offered.

    >>> df = pd.DataFrame({"ubigeo": ["160101", "080101", "080102", "150101"],
    ...                    "departamento": ["Loreto", "Cusco", "Cusco", "Lima"]})
    >>> [(r.key, r.codes, r.name, r.n) for r in regions_in(df)]  # doctest: +NORMALIZE_WHITESPACE
    [('todo', ('08', '15', '16'), '', 4), ('cusco', ('08',), 'Cusco', 2),
     ('loreto', ('16',), 'Loreto', 1), ('lima', ('15',), 'Lima', 1)]
    """
    codes = scores[C.UBIGEO].astype(str).str.zfill(6).str[:2]
    names = scores[C.DEPARTAMENTO].astype(str) if C.DEPARTAMENTO in scores else codes
    table = pd.DataFrame({"code": codes, "name": names})
    counts = table.groupby("code").agg(name=("name", "first"), n=("name", "size"))
    first = [c for c in C.DEFAULT_DEPARTMENTS if c in counts.index]
    rest = sorted((c for c in counts.index if c not in first), key=lambda c: counts.at[c, "name"])
    deps = [Region(_slug(counts.at[c, "name"]) or c, (c,), str(counts.at[c, "name"]),
                   int(counts.at[c, "n"])) for c in [*first, *rest]]
    if len(deps) <= 1:
        return deps
    return [Region(ALL_REGIONS, tuple(sorted(counts.index)), "", len(scores)), *deps]


def _slug(name: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def region_options(allowed: tuple[str, ...] = ()) -> dict[str, Region]:
    """Return the regions of the active scores by key (see :func:`regions_in`).

    ``allowed`` (department codes; ``()`` = all) keeps the choices an identity may see:
    its departments, and all of them together when there are several.
    """
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    options = _region_options(str(path), mtime(path))
    if not allowed:
        return options
    mine = {k: r for k, r in options.items()
            if k != ALL_REGIONS and set(r.codes) <= set(allowed)}
    if len(mine) <= 1:
        return mine
    codes = tuple(sorted(c for r in mine.values() for c in r.codes))
    together = Region(ALL_REGIONS, codes, "", sum(r.n for r in mine.values()))
    return {ALL_REGIONS: together, **mine}


@st.cache_data(show_spinner=False, max_entries=4)
def _region_options(path: str, stamp: float) -> dict[str, Region]:
    return {r.key: r for r in regions_in(_read_scores(path, stamp))}


def region_label(region: Region, lang: str | None = None) -> str:
    """Plain name of a region choice, e.g. ``"Cusco y Loreto (169 distritos)"`` or ``"Cusco"``.

    >>> region_label(Region("todo", ("08", "16"), "", 169), "es")
    'Cusco y Loreto (169 distritos)'
    >>> region_label(Region("todo", ("01", "02", "03"), "", 300), "en")
    'Whole area (300 districts)'
    >>> region_label(Region("cusco", ("08",), "Cusco", 116), "en")
    'Cusco'
    """
    from dashboard.i18n import get_lang, t, tr

    lang = lang or get_lang()
    if region.key != ALL_REGIONS:
        return region.name
    n = t("n_distritos", lang=lang, n=f"{region.n:,}".replace(",", "," if lang == "en" else " "))
    if region.codes == tuple(sorted(C.DEFAULT_DEPARTMENTS)):
        return tr(f"Cusco y Loreto ({n})", f"Cusco and Loreto ({n})", lang)
    return tr(f"Todo el ámbito ({n})", f"Whole area ({n})", lang)


def hotspots(region: tuple[str, ...], k: int = 0) -> pd.DataFrame:
    """Hot spots of view ``k``'s risk in ``region``: Gi* with its FDR cut (:func:`_hotspots`)."""
    path = _require(settings().scores_gpkg, "capa de riesgo", "risk layer")
    return _hotspots(str(path), _stamp(path, k), region, int(k))


@st.cache_data(show_spinner=False)
def _hotspots(path: str, stamp: float | tuple, region: tuple[str, ...], k: int = 0) -> pd.DataFrame:
    """Districts of ``region`` whose neighbourhood risk is significantly high.

    :func:`models.risk.hotspots.hotspot_layer` on view ``k``'s risk within the region
    (Getis-Ord Gi*, Queen contiguity, Benjamini–Hochberg false-discovery rate 5 %): the
    rows it calls ``caliente``, with ``ubigeo, gi_z, gi_p, gi_q``. Fewer than three
    districts have no hot spot.
    """
    gdf = in_region(_view_scores(path, stamp, k), region).reset_index(drop=True)
    if len(gdf) < 3:
        return pd.DataFrame(columns=[C.UBIGEO, GI_Z, GI_P, GI_Q])
    layer = hotspot_layer(gdf)
    hot = layer[layer[HOTSPOT] == "caliente"]
    return pd.DataFrame(hot[[C.UBIGEO, GI_Z, GI_P, GI_Q]]).reset_index(drop=True)


# --- district table, boundaries, layers ----------------------------------------------------
def district_table() -> gpd.GeoDataFrame:
    """Read the built district table (``settings.districts_gpkg``, layer ``distritos``)."""
    path = _require(settings().districts_gpkg, "tabla de distritos", "district table")
    return _read_districts(str(path), mtime(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _read_districts(path: str, stamp: float) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(path, layer="distritos")
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str).str.zfill(6)
    return gdf


def layer_facts():
    """Return what each sector layer is (origin, source, years, unit, licence), by name.

    :func:`dashboard.layer_words.layer_facts` on the settings and the ``fuentes`` table of
    the built district table (when it exists); cached on both files.
    """
    s = settings()
    path = s.districts_gpkg
    return _layer_facts(str(s.path), mtime(s.path), str(path), mtime(path))


@st.cache_data(show_spinner=False, max_entries=4)
def _layer_facts(settings_file: str, settings_stamp: float, path: str, stamp: float):
    from dashboard.layer_words import layer_facts as facts_of
    from geo.geography.build import read_fuentes

    fuentes = None
    if stamp:
        try:
            fuentes = read_fuentes(path)
        except Exception:  # noqa: BLE001 - a table without 'fuentes': the settings say it all
            fuentes = None
    return facts_of(settings().layers, fuentes)


def missing_patterns() -> dict[str, tuple[str, ...]]:
    """Each missing-value indicator of the model and the features it stands for.

    ``{"falta_mineria": ("mineria", "agricultura", "coca")}``: the model's own grouping
    (:func:`models.risk.score.fill_missing` on the district table's features), so a page names
    every layer an indicator stands for. Empty when the table is not built yet.
    """
    s = settings()
    path = s.districts_gpkg
    if not path.is_file():
        return {}
    return _missing_patterns(str(s.path), mtime(s.path), str(path), mtime(path))


@st.cache_data(show_spinner=False, max_entries=4)
def _missing_patterns(settings_file: str, settings_stamp: float, path: str, stamp: float
                      ) -> dict[str, tuple[str, ...]]:
    from models.risk.score import fill_missing

    table = _read_districts(path, stamp)
    names = [n for n in settings().feature_names if n in table.columns]
    if not names:
        return {}
    X = table[names].apply(pd.to_numeric, errors="coerce").astype(float)
    return {k: tuple(v) for k, v in fill_missing(X).attrs.get("faltantes", {}).items()}


def sources_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the ``fuentes`` tables of the district table (sector layers) and of the base.

    Either is an empty DataFrame when its GeoPackage or table does not exist.
    """
    s = settings()
    out = []
    for path in (s.districts_gpkg, s.base):
        table = _read_fuentes(str(path), mtime(path)) if path.exists() else None
        out.append(table if table is not None else pd.DataFrame())
    return out[0], out[1]


def sources_table() -> pd.DataFrame:
    """Stack the ``fuentes`` tables of the district table and of the base GeoPackage."""
    s = settings()
    frames = []
    for path in (s.districts_gpkg, s.base):
        if path.exists():
            table = _read_fuentes(str(path), mtime(path))
            if table is not None:
                frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@st.cache_data(show_spinner=False)
def _read_fuentes(path: str, stamp: float) -> pd.DataFrame | None:
    return _read_table(path, "fuentes")


def provinces(region: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Province outlines of ``region`` from the base GeoPackage (empty if it lacks them)."""
    return _boundary("provincias", region)


def departments(region: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Department outlines of ``region`` from the base GeoPackage (empty if it lacks them)."""
    return _boundary("departamentos", region)


def _boundary(layer: str, region: tuple[str, ...]) -> gpd.GeoDataFrame:
    base = settings().base
    if not base.exists():
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    return _read_boundary(str(base), mtime(base), layer, region)


@st.cache_resource(show_spinner=False, max_entries=8)
def _read_boundary(path: str, stamp: float, layer: str, region: tuple[str, ...]):
    from dashboard.mapview import simplify_coverage

    table = _read_table(path, layer)
    if table is None:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    where = f"{C.COD_DEP} IN ({','.join(repr(r) for r in region)})" if region else None
    gdf = pyogrio.read_dataframe(path, layer=layer, where=where)
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    gdf = gdf.to_crs(4326)
    keep = [c for c in (C.COD_DEP, C.COD_PROV, C.PROVINCIA, C.DEPARTAMENTO) if c in gdf]
    return simplify_coverage(gdf[[*keep, "geometry"]], SIMPLIFY_TOLERANCE)


def sector_layer(name: str, region: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """Read the geometry of sector layer ``name`` (from ``settings.layers``) clipped to ``region``.

    Returns None for layers without geometry (tables keyed by UBIGEO), whose values are
    already in the district table.
    """
    spec = next((layer for layer in settings().layers if layer.name == name), None)
    if spec is None or not spec.path.exists():
        return None
    return _read_sector(str(spec.path), mtime(spec.path), spec.layer, region)


@st.cache_resource(show_spinner=False, max_entries=16)
def _read_sector(path: str, stamp: float, layer: str | None, region: tuple[str, ...]):
    from dashboard.mapview import simplify_coverage

    if Path(path).suffix.lower() == ".csv":
        return None
    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception:  # noqa: BLE001 - an unreadable layer is simply not drawn
        return None
    if gdf.crs is None or gdf.geometry.isna().all():
        return None
    gdf = gdf.to_crs(4326)
    if region:
        outline = _read_scores(str(settings().scores_gpkg), mtime(settings().scores_gpkg))
        area = in_region(outline, region).total_bounds
        gdf = gdf.cx[area[0]:area[2], area[1]:area[3]]
    gdf = gdf[["geometry"]].copy()
    if gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        gdf = simplify_coverage(gdf, SIMPLIFY_TOLERANCE / 2)
    return gdf


# --- model card, inspections ---------------------------------------------------------------
def evaluation() -> dict[str, Any]:
    """Read the model card ``workdir/evaluacion.json`` written by ``riskmap evaluate``."""
    path = _require(settings().workdir / EVALUATION_FILE, "evaluación del modelo",
                    "model evaluation")
    return _read_json(str(path), mtime(path))


#: Model-card entries that describe the whole area's records (dates of the first and last
#: record, totals): left out for a role without record access or limited to some regions.
CARD_RECORD_KEYS = {"datos": ("inspecciones", "hallazgos", "desde", "hasta",
                              "inspecciones_fuente", "distritos_inspeccionados"),
                    "evaluacion": ("inspecciones_prueba", "hallazgos_prueba")}


def evaluation_for(who: Principal) -> dict[str, Any]:
    """Return the model card as ``who`` may see it (see :data:`CARD_RECORD_KEYS`).

    The card's metrics are the model's, over every region (one model serves them all);
    what describes the records themselves stays with planners of every region.
    """
    import copy

    card = evaluation()
    if who.may_read_records and not who.regions:
        return card
    card = copy.deepcopy(card)
    for key in CARD_RECORD_KEYS["datos"]:
        (card.get("datos") or {}).pop(key, None)
    for ev in (card.get("evaluacion") or {}).values():
        if isinstance(ev, dict):
            for key in CARD_RECORD_KEYS["evaluacion"]:
                ev.pop(key, None)
    drift = (card.get("modelo") or {}).get("deriva")
    if isinstance(drift, dict) and "alertas" in drift:
        # district by district they come from recent counts: a planner's, in its regions
        alerts = drift.pop("alertas")
        if who.may_read_records:
            from geo.trust.access import in_regions

            kept = ["ubigeo", "distrito", "alerta", "motivo", "p", "cambio_capas"]
            frame = pd.DataFrame(alerts)
            drift["alertas"] = in_regions(frame[[c for c in kept if c in frame]],
                                          who.regions).to_dict("records")
        else:
            drift["n_alertas"] = len(alerts)
    return card


@st.cache_data(show_spinner=False)
def _read_json(path: str, stamp: float) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RiskmapError(
            es=f"{path} no es un JSON válido ({err}). Vuelva a ejecutar `riskmap evaluate`.",
            en=f"{path} is not valid JSON ({err}). Run `riskmap evaluate` again.",
        ) from err


def store(who: Principal):
    """Open the inspection store at :func:`geo.paths.store_path` as ``who``.

    The store enforces what the identity may do (import and record-level reads only for
    ``planificador``, only in its regions) and writes every read, import and refusal to
    its audit trail under the authenticated identity.
    """
    from geo.records.store import InspectionStore

    return InspectionStore.for_principal(settings().store_path, who)


def inspection_records(who: Principal, ubigeo: str | None = None) -> pd.DataFrame:
    """Record-level inspections the model uses, of ``who``'s regions (and one district).

    The settings' history file plus the store (an id in both takes the store's version,
    :func:`geo.records.inspections.merge_records`). Only a planner may have them: any other
    identity raises :class:`geo.records.store.PermissionDenied` (and the refusal is audited). The
    store's records are read through :meth:`~geo.records.store.InspectionStore.records`, which
    audits the read; the history file's part is audited here, with the district asked for.
    """
    from geo.records.inspections import empty_records, merge_records
    from geo.trust.access import in_regions

    st_ = store(who)
    stored = st_.records() if st_.count() > 0 else empty_records()  # audited, or refused
    if not who.may_read_records:  # an empty store refuses nothing: refuse here
        from geo.records.store import PermissionDenied

        st_.record_event("denegado", {"accion": "leer_registros"})
        raise PermissionDenied(
            es=f"El rol '{who.label}' no puede ver registros individuales de inspección; "
            "solo totales por distrito.",
            en=f"Role '{who.label}' may not see individual inspection records; only totals "
            "by district.",
        )
    s = settings()
    history = in_regions(_file_records(str(s.path), mtime(s.inspections) if s.inspections
                                       else 0.0), who.regions)
    records = merge_records(history, stored, s.inspections.name if s.inspections else "")
    if ubigeo is not None:
        records = records[records[C.UBIGEO].astype(str) == ubigeo]
    if len(history):
        st_.record_event("lectura_registros", {
            "fuente": s.inspections.name if s.inspections else "", "filas": len(records),
            **({"distrito": ubigeo} if ubigeo else {})})
    return records


@st.cache_data(show_spinner=False, max_entries=4)
def _file_records(settings_file: str, stamp: float) -> pd.DataFrame:
    from geo.records.inspections import load_records

    return load_records(settings(), store=False, user="tablero")


def district_aggregates(who: Principal, ubigeo: str | None = None) -> pd.DataFrame:
    """Inspections, findings and victims per district of ``who``'s regions, suppressed.

    Counted on the records the model uses (the history file plus the store, as
    :func:`geo.records.inspections.load_records` joins them). A planner sees exact counts; any
    other role the district rows of its one protected publication
    (:func:`protected_counts`: small counts blank, and the cells blanked to protect them,
    the same as in every other table it gets). The read is audited. Columns ``ubigeo,
    n_inspecciones, n_hallazgos, n_victimas, suprimido``.
    """
    from geo.records.store import N_VICTIMAS, SUPRIMIDO
    from geo.trust.access import floor, in_regions

    s = settings()
    threshold = floor(who.role, s.auth.suppression)
    cols = (C.N_INSPECCIONES, C.N_HALLAZGOS, N_VICTIMAS)
    if who.may_read_records:
        counts = in_regions(_record_aggregates(*_indicator_source()), who.regions)
        out = suppress_small_counts(counts, threshold, cols)
        flags = out[[f"{c}_suprimido" for c in cols]].to_numpy()
        out[SUPRIMIDO] = [";".join(c for c, f in zip(cols, row, strict=True) if f)
                          for row in flags]
        out = out.drop(columns=[f"{c}_suprimido" for c in cols])
    else:
        out = protected_counts(threshold, who.regions)
        out = out[[C.UBIGEO, *cols, "suprimido"]].rename(columns={"suprimido": SUPRIMIDO})
        out[SUPRIMIDO] = out[SUPRIMIDO].map(
            lambda v: ";".join(c for c in str(v).split(";") if c in cols))
    if ubigeo is not None:
        out = out[out[C.UBIGEO].astype(str) == ubigeo]
    store(who).record_event("lectura_agregados", {
        "umbral": threshold, "filas": len(out), **({"distrito": ubigeo} if ubigeo else {})})
    return out.reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=4)
def _record_aggregates(settings_file: str, file_stamp: float, store_stamp: float
                       ) -> pd.DataFrame:
    from geo.records.store import N_VICTIMAS

    # the records the indicator views read too (file + store, as 'sistema'): read once
    records = _classified_records(settings_file, file_stamp, store_stamp)
    if records.empty:
        return pd.DataFrame(columns=[C.UBIGEO, C.N_INSPECCIONES, C.N_HALLAZGOS, N_VICTIMAS])
    victims = pd.to_numeric(records[C.VICTIMAS], errors="coerce") if C.VICTIMAS in records \
        else pd.Series(float("nan"), index=records.index)
    return (records.assign(_v=victims).groupby(C.UBIGEO, sort=True)
            .agg(**{C.N_INSPECCIONES: (C.HALLAZGO, "size"), C.N_HALLAZGOS: (C.HALLAZGO, "sum"),
                    N_VICTIMAS: ("_v", lambda v: v.sum(min_count=1))})
            .reset_index())


def shown_total(who: Principal, n: int) -> int:
    """Return a total of records as ``who`` may see it: exact for a planner, else to 5.

    A total shown on its own (the Datos page, the command line's summary) would tell,
    before and after one import, how many records it added exactly, and with the
    tables where they went: roles without record access see it rounded to the nearest
    multiple of 5 (:func:`geo.records.indicators.round_total`). Small totals (1 to k-1) are
    words, not numbers, wherever they are shown.
    """
    from geo.records.indicators import round_total

    return int(n) if who.may_read_records else round_total(n)


# --- exports -------------------------------------------------------------------------------
SENSITIVE_COUNTS = (C.N_HALLAZGOS, C.VICTIMAS, C.TRABAJADORES)
ALL_COUNTS = (C.N_INSPECCIONES, *SENSITIVE_COUNTS, "n_victimas")


def suppress_small_counts(df: pd.DataFrame, threshold: int,
                          columns: tuple[str, ...] = SENSITIVE_COUNTS) -> pd.DataFrame:
    """Blank sensitive counts between 1 and ``threshold - 1``.

    See :func:`models.risk.disclosure.suppress_small_counts`; the default columns here are the
    sensitive ones.

    >>> out = suppress_small_counts(pd.DataFrame({"n_hallazgos": [0, 2, 7]}), 5)
    >>> out["n_hallazgos"].tolist()
    [0.0, nan, 7.0]
    """
    from models.risk.disclosure import suppress_small_counts as suppress

    return suppress(df, threshold, columns)


# --- indicators, victims' routes, services (the Indicadores page, the card, exports) -------
def national_ubigeos() -> frozenset[str]:
    """Every district code of Peru in the base (what ``ubigeo_origen`` may name)."""
    from geo.geography.base import national_ubigeos as read

    base = settings().base
    return read(base) if Path(base).is_file() else frozenset()


def _indicator_source() -> tuple[str, float, float]:
    s = settings()
    return (str(s.path), mtime(s.inspections) if s.inspections else 0.0,
            mtime(s.store_path))


@st.cache_data(show_spinner=False, max_entries=4)
def _classified_records(settings_file: str, file_stamp: float, store_stamp: float
                        ) -> pd.DataFrame:
    """Every record the model uses (file + store, read as 'sistema'), classified (ICLS)."""
    from geo.records.indicators import classify_records
    from geo.records.inspections import load_records

    return classify_records(load_records(settings(), user="tablero"))


def _region_records(who: Principal, region: tuple[str, ...]) -> pd.DataFrame:
    """Return the classified records of ``region`` within ``who``'s regions: server side only."""
    from geo.trust.access import in_regions

    records = in_regions(_classified_records(*_indicator_source()), who.regions)
    return in_regions(records, region)


def _audit_read(who: Principal, what: str, region: tuple[str, ...], k: int, rows: int) -> None:
    store(who).record_event("lectura_indicadores", {
        "vista": what, "region": list(region), "umbral": k, "filas": rows})


def indicator_profiles(who: Principal, by: str, region: tuple[str, ...],
                       ubigeo: str | None = None) -> pd.DataFrame:
    """Return the ILO indicator profile by ``by`` in ``region``, suppressed at ``who``'s floor.

    :func:`geo.records.indicators.profiles` on the records the model uses; counts from 1 to k-1
    are blanked for roles without record access (``suprimido`` names them). Audited.
    """
    from geo.records.indicators import protected_profile
    from geo.trust.access import floor

    k = floor(who.role, settings().auth.suppression)
    districts = in_region(district_table().drop(columns="geometry"), region)
    records = _region_records(who, region)
    # suppressed over the whole department, then cut to one district: the card shows what
    # the map and the exports show
    table = protected_profile(records, by, districts, k, not who.may_read_records)
    if ubigeo is not None:
        table = table[table[C.UBIGEO].astype(str) == ubigeo].reset_index(drop=True)
    _audit_read(who, f"perfil_{by}" + (f"_{ubigeo}" if ubigeo else ""), region, k, len(table))
    return table


def indicator_cooccurrence(who: Principal, region: tuple[str, ...]) -> pd.DataFrame:
    """Inspections where two indicators were found together, small counts blanked."""
    from geo.records.indicators import cooccurrence, protected_cooccurrence, protected_matrix
    from geo.trust.access import floor

    k = floor(who.role, settings().auth.suppression)
    records = _region_records(who, region)
    if who.may_read_records:
        table = protected_matrix(records, k, cooccurrence)
    else:  # the role's one publication (the diagonal is each indicator's total)
        table = protected_cooccurrence(records, _region_districts(region), k)
    _audit_read(who, "coocurrencia", region, k, len(table))
    return table


def indicator_classes(who: Principal, region: tuple[str, ...]) -> pd.DataFrame:
    """Count records by ICLS class (rows) and ``hallazgo_tf`` (columns), small counts blanked.

    For a role without record access the table of its one protected publication
    (:func:`geo.records.indicators.protected_classes`): the records without indicators nor a
    finding are always blank (with them the six cells would add up to the total), and
    whatever else it takes so that no blank comes back from the other tables.
    """
    from geo.records.indicators import CLASE_OIT, CLASES, protected_classes
    from geo.trust.access import floor

    k = floor(who.role, settings().auth.suppression)
    records = _region_records(who, region)
    if who.may_read_records:
        table = pd.crosstab(records[CLASE_OIT], records[C.HALLAZGO]).reindex(
            index=list(CLASES), columns=[1, 0], fill_value=0).astype("Float64")
    else:
        table = protected_classes(records, _region_districts(region), k)
    _audit_read(who, "clasificacion", region, k, len(records))
    return table


def _region_districts(region: tuple[str, ...]) -> pd.DataFrame:
    """Return the district table of ``region`` (codes, provinces), without geometry."""
    return in_region(district_table().drop(columns="geometry"), region)


def victim_routes(who: Principal, region: tuple[str, ...]) -> pd.DataFrame:
    """Routes from the district of recruitment to the place of work, with coordinates.

    :func:`geo.records.indicators.routes` on the records of ``region``; for roles without record
    access a route with fewer than k inspections or victims is left out entirely (its
    line would reveal a small count) and ``attrs["ocultas"]`` counts them. Columns add
    ``origen_nombre``, ``destino_nombre`` and the two points (``x0, y0, x1, y1``).
    """
    from geo.records.indicators import protected_routes, routes, suppress_routes
    from geo.trust.access import floor

    k = floor(who.role, settings().auth.suppression)
    records = _region_records(who, region)
    if who.may_read_records:
        table = suppress_routes(routes(records), k)
    else:  # women and minors blanked with the districts' (one publication)
        table = protected_routes(records, _region_districts(region), k)
    hidden = table.attrs["ocultas"]
    places = _places(tuple(sorted(set(table[C.UBIGEO_ORIGEN]) | set(table[C.UBIGEO]))))
    out = table.reset_index(drop=True)
    for end, code in (("0", C.UBIGEO_ORIGEN), ("1", C.UBIGEO)):
        joined = places.reindex(out[code].astype(str))
        out[f"x{end}"] = joined["x"].to_numpy()
        out[f"y{end}"] = joined["y"].to_numpy()
        out["origen_nombre" if end == "0" else "destino_nombre"] = joined["nombre"].to_numpy()
    out.attrs["ocultas"] = hidden
    _audit_read(who, "rutas", region, k, len(out))
    return out


@st.cache_data(show_spinner=False, max_entries=8)
def _places(codes: tuple[str, ...]) -> pd.DataFrame:
    """Name ("District (Province, Department)") and a point inside each district of Peru."""
    frame = pd.DataFrame(columns=["x", "y", "nombre"])
    if not codes or not Path(settings().base).is_file():
        return frame
    from geo.geography.base import read_districts

    gdf = read_districts(settings().base, tuple(sorted({c[:2] for c in codes})))
    gdf = gdf[gdf[C.UBIGEO].isin(codes)]
    pts = gdf.geometry.representative_point()
    return pd.DataFrame({
        "x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
        "nombre": (gdf[C.DISTRITO] + " (" + gdf[C.PROVINCIA] + ", " + gdf[C.DEPARTAMENTO]
                   + ")").to_numpy(),
    }, index=pd.Index(gdf[C.UBIGEO].astype(str), name=C.UBIGEO))


def service_points(region: tuple[str, ...] = ()) -> gpd.GeoDataFrame | None:
    """Return the services layer of the built district table (None when none is declared)."""
    path = settings().districts_gpkg
    if not path.is_file():
        return None
    return _service_points(str(path), mtime(path), tuple(region))


@st.cache_resource(show_spinner=False, max_entries=8)
def _service_points(path: str, stamp: float, region: tuple[str, ...]):
    from geo.geography.services import read_stored

    gdf = read_stored(path)
    if gdf is None or not region:
        return gdf
    near = gdf[C.UBIGEO].astype(str).str[:2].isin(list(region)) | gdf[C.UBIGEO].eq("")
    return gdf[near].reset_index(drop=True)


def service_access(region: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """Days from each district of ``region`` to its nearest service.

    One row per district (:mod:`models.planning.services`).
    """
    path = settings().districts_gpkg
    if not path.is_file():
        return None
    table = settings().planning.travel_table
    return _service_access(str(path), mtime(path), str(table or ""),
                           mtime(table) if table else 0.0, tuple(region))


@st.cache_data(show_spinner=False, max_entries=8)
def _service_access(path: str, stamp: float, table: str, table_stamp: float,
                    region: tuple[str, ...]) -> pd.DataFrame | None:
    from models.planning.services import service_access as access

    points = _service_points(path, stamp, ())  # help across a department line counts
    if points is None:
        return None
    districts = in_region(district_table(), region)
    travel = None
    if table:
        from models.planning.travel import read_travel_table

        names = points["nombre"].astype(str).tolist() + [o.name for o in
                                                          settings().planning.offices]
        # the table covers the whole deployment: read against every district, then cut
        travel = read_travel_table(table, district_table()[C.UBIGEO].astype(str).tolist(),
                                   names)
        travel = in_region(travel, region)
    return access(districts, points, travel)


def service_gap(who: Principal, region: tuple[str, ...]) -> pd.DataFrame | None:
    """High-risk districts far from help (``models.planning.services.gap``) on ``who``'s view."""
    from models.planning.services import gap

    access = service_access(region)
    if access is None:
        return None
    layer = in_region(scores(view(who)), region)
    out = gap(layer, access)
    names = layer.set_index(C.UBIGEO)[[C.DISTRITO, C.PROVINCIA]]
    return out.join(names, on=C.UBIGEO)
