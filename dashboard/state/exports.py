"""What an export carries: the scores of a region suppressed for a role, and its metadata.

Also the Indicadores page's download (:func:`indicator_xlsx`): the indicator profile as
``riskmap indicators --out FILE.xlsx`` writes it for the same role and region.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st

from dashboard.state.disclosure import (
    ALL_COUNTS,
    SENSITIVE_COUNTS,
    indicator_profiles,
    protected_counts,
    suppress_small_counts,
)
from dashboard.state.files import _require, in_region, mtime, settings
from dashboard.state.loaders import (
    _classified_records,
    _indicator_source,
    _read_scores,
    district_table,
    metadata_values,
)
from geo import columns as C
from geo import paths
from geo.messages import get_language, language
from geo.records.indicators import N_VICTIMAS, coarsen, protected_profile
from geo.records.indicators.export import profile_table, profile_xlsx
from geo.records.inspections import ILO_INDICATORS
from geo.trust.access import Principal, floor
from models.risk.disclosure import protect_scores
from models.risk.score import write_scores


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
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _export_table(str(path), mtime(path), tuple(region), int(k), protected, counts,
                         _indicator_source(), int(floor_k or k))


#: Prefix of the export's indicator columns (``oit_engano``: inspections where found).
OIT_PREFIX = "oit_"


@st.cache_resource(show_spinner=False, max_entries=8)
def _export_table(path: str, stamp: float, region: tuple[str, ...], k: int, protected: bool,
                  counts: tuple[str, ...], records_key: tuple[str, float, float] = ("", 0, 0),
                  floor_k: int = 0) -> gpd.GeoDataFrame:
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
            "evidencia 'no publicada'; riesgos redondeados a 0.1 puntos; rango recalculado "
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


#: The XLSX's media type (a spreadsheet's download).
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# GeoPackage keeps its metadata in table `metadatos` and XLSX in sheet `metadatos`; GeoJSON and
# CSV get a sidecar `<file>.metadatos.json` (models.risk.score.write_scores), so they are
# shipped together in a zip. The XLSX is the file for a spreadsheet (UBIGEO stays text).
FORMATS = {
    "geojson": ("GeoJSON", ".geojson", "application/zip"),
    "gpkg": ("GeoPackage", ".gpkg", "application/geopackage+sqlite3"),
    "csv": ("CSV", ".csv", "application/zip"),
    "xlsx": ("XLSX (Excel, LibreOffice)", ".xlsx", XLSX_MIME),
}
#: Formats downloaded as one file (their metadata inside), not as a zip.
SINGLE_FILE = ("gpkg", "xlsx")


@st.cache_data(show_spinner=False, max_entries=12)
def export_bytes(fmt: str, region: tuple[str, ...], k: int, key: tuple,
                 counts: tuple[str, ...], protected: bool, scoped: bool,
                 floor_k: int | None = None, lang: str | None = None) -> bytes:
    """Return the file for ``fmt`` (zip with its metadata for GeoJSON and CSV).

    ``key`` (the scores file's path and modification time) makes a rescored file a new
    export. The metadata is the scores file's own (:func:`dashboard.state.export_metadata`).
    ``counts`` are the count columns blanked below ``k`` (by role); ``protected``: the role
    has no record access (:mod:`models.risk.disclosure`); ``scoped``: it sees some regions only;
    ``floor_k``: the role's own floor (its one protected publication, blanked more up to
    ``k``: :func:`dashboard.state.export_table`); ``lang``: the language of an XLSX's
    ``metadatos`` sheet (part of the cache's key).
    """
    gdf = export_table(region, k, protected, counts, floor_k).copy()
    gdf.attrs["metadatos"] = export_metadata(metadata_values(), region, k,
                                             counts, protected, scoped)
    with tempfile.TemporaryDirectory() as tmp, language(lang or get_language()):
        out = Path(tmp) / f"riesgo{FORMATS[fmt][1]}"
        write_scores(gdf, out, settings())
        if fmt in SINGLE_FILE:
            return out.read_bytes()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(Path(tmp).iterdir()):
                zf.write(file, file.name)
        return buf.getvalue()


def indicator_xlsx(who: Principal, by: str, region: tuple[str, ...]) -> bytes:
    """Return the indicator profile by ``by`` as ``riskmap indicators --out FILE.xlsx`` does.

    The profile ``who`` may see (:func:`dashboard.state.indicator_profiles`: suppressed at
    the role's floor, the read audited), with the district names in front for ``ubigeo``,
    as an XLSX with its sheet ``metadatos`` in the current language
    (:mod:`geo.records.indicators.export`): the same cells as the command line's file for
    the same role and region.
    """
    profile = indicator_profiles(who, by, region)
    districts = in_region(district_table().drop(columns="geometry"), region)
    k = floor(who.role, settings().auth.suppression)
    return profile_xlsx(profile_table(profile, by, districts), by, k, settings().simulated,
                        protected=not who.may_read_records)
