"""What a role may read: its disclosure view of the scores, suppressed counts, audited reads.

A planner reads the scores and the records' counts as they are; a role without record
access reads its one protected publication (:mod:`models.risk.disclosure`,
:func:`geo.records.indicators.protected_tables`): the same blanks in the scores, the map,
the district card, the exports and the Indicadores page. Every read of records or counts is
written to the store's audit trail under the identity.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard.state.files import _require, in_region, mtime, settings
from dashboard.state.loaders import (
    _classified_records,
    _file_records,
    _indicator_source,
    _places,
    _read_scores,
    _record_aggregates,
    district_table,
    store,
)
from geo import columns as C
from geo.records.indicators import (
    CLASE_OIT,
    CLASES,
    cooccurrence,
    protected_classes,
    protected_cooccurrence,
    protected_matrix,
    protected_profile,
    protected_routes,
    round_total,
    routes,
    suppress_routes,
)
from geo.records.indicators import protected_counts as protected_count_table
from geo.records.inspections import empty_records, merge_records
from geo.records.store import N_VICTIMAS, SUPRIMIDO, PermissionDenied
from geo.trust.access import Principal, floor, in_regions
from models.risk.disclosure import protect_scores
from models.risk.disclosure import suppress_small_counts as suppress_counts


def view(who: Principal) -> int:
    """Return the disclosure view of ``who``: 0 (everything) for a planner, else its floor k.

    Every reader of the scores takes it: a role without record access gets the scores
    through :func:`models.risk.disclosure.protect_scores` (its small counts blanked, and no
    value from which a blanked count could be rebuilt), in pages, map and exports alike.
    """
    return 0 if who.may_read_records else floor(who.role, settings().auth.suppression)


def scores(k: int = 0) -> gpd.GeoDataFrame:
    """Read the layer ``riesgo`` of ``settings.scores_gpkg`` as view ``k`` sees it (:func:`view`).

    All districts, full geometry; ``k = 0`` is the planner's (and the system's) full table.
    """
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
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
    records = _classified_records(*_indicator_source())
    districts = district_table().drop(columns="geometry")
    return in_regions(protected_count_table(records, districts, max(int(k), 2)), regions)


def shown_total(who: Principal, n: int) -> int:
    """Return a total of records as ``who`` may see it: exact for a planner, else to 5.

    A total shown on its own (the Datos page, the command line's summary) would tell,
    before and after one import, how many records it added exactly, and with the
    tables where they went: roles without record access see it rounded to the nearest
    multiple of 5 (:func:`geo.records.indicators.round_total`). Small totals (1 to k-1) are
    words, not numbers, wherever they are shown.
    """
    return int(n) if who.may_read_records else round_total(n)


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
    return suppress_counts(df, threshold, columns)


def inspection_records(who: Principal, ubigeo: str | None = None) -> pd.DataFrame:
    """Record-level inspections the model uses, of ``who``'s regions (and one district).

    The settings' history file plus the store (an id in both takes the store's version,
    :func:`geo.records.inspections.merge_records`). Only a planner may have them: any other
    identity raises :class:`geo.records.store.PermissionDenied` (and the refusal is audited). The
    store's records are read through :meth:`~geo.records.store.InspectionStore.records`, which
    audits the read; the history file's part is audited here, with the district asked for.
    """
    st_ = store(who)
    stored = st_.records() if st_.count() > 0 else empty_records()  # audited, or refused
    if not who.may_read_records:  # an empty store refuses nothing: refuse here
        st_.record_event("denegado", {"accion": "leer_registros"})
        raise PermissionDenied("tablero.rol_no_puede_ver", label=who.label)
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


def district_aggregates(who: Principal, ubigeo: str | None = None) -> pd.DataFrame:
    """Inspections, findings and victims per district of ``who``'s regions, suppressed.

    Counted on the records the model uses (the history file plus the store, as
    :func:`geo.records.inspections.load_records` joins them). A planner sees exact counts; any
    other role the district rows of its one protected publication
    (:func:`protected_counts`: small counts blank, and the cells blanked to protect them,
    the same as in every other table it gets). The read is audited. Columns ``ubigeo,
    n_inspecciones, n_hallazgos, n_victimas, suprimido``.
    """
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


def _region_records(who: Principal, region: tuple[str, ...]) -> pd.DataFrame:
    """Return the classified records of ``region`` within ``who``'s regions: server side only."""
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
