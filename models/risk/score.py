"""Scores as a product: fit the risk model on a deployment and write one row per district.

:func:`score_districts` reads the district table (``riskmap build``) and the inspection
records, fits the deployed :class:`models.risk.model.RiskModel` (``clone`` of
:meth:`~models.risk.model.RiskModel.from_settings`, as every backtest fold does), and returns the
contract of ``docs/ARCHITECTURE.md`` §5. :func:`write_scores` writes it as a
GeoPackage (layer ``riesgo`` + table ``metadatos``), GeoJSON or CSV, atomically.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sklearn.base import clone

from geo import columns as C
from geo.config import Settings
from geo.records.inspections import load_records
from models.risk.complaints import (
    DENUNCIAS,
    complaint_counts,
    complaint_intensity,
    complaint_records,
    complaints_for,
    offices_of,
    population_of,
    reads_complaints,
    with_complaints,
)
from models.risk.features import (
    FALTA_PREFIX,
    district_counts,
    feature_matrix,
    features_in,
    fill_missing,
    history_features,
    hold_in_range,
    layer_history_of,
    learnt_range,
    log_features,
    missing_features,
    model_history,
    read_district_table,
    training_rows,
)
from models.risk.metadata import (
    ALERTA_DERIVA,
    BASE_FEATURE_SOURCES,
    COLUMN_DESCRIPTIONS,
    CONTRIB_HISTORIAL,
    EVIDENCIA_LIMITADA,
    EVIDENCIA_SUFICIENTE,
    FUERA_RANGO,
    MODEL_VERSION,
    MOTIVO_DERIVA,
    N_EFECTIVAS,
    P_DERIVA,
    SCORE_COLUMNS,
    SIN_DATO,
    feature_sources,
    model_metadata,
    portable_path,
)
from models.risk.model import RiskModel
from models.risk.scorer import RiskScorer
from models.risk.writing import describe_columns, export_frame, write_scores

__all__ = [
    "ALERTA_DERIVA",
    "BASE_FEATURE_SOURCES",
    "COLUMN_DESCRIPTIONS",
    "CONTRIB_HISTORIAL",
    "DENUNCIAS",
    "EVIDENCIA_LIMITADA",
    "EVIDENCIA_SUFICIENTE",
    "FALTA_PREFIX",
    "FUERA_RANGO",
    "MODEL_VERSION",
    "MOTIVO_DERIVA",
    "N_EFECTIVAS",
    "P_DERIVA",
    "SCORE_COLUMNS",
    "SIN_DATO",
    "complaint_counts",
    "complaint_intensity",
    "complaint_records",
    "complaints_for",
    "describe_columns",
    "district_counts",
    "evidence_labels",
    "export_frame",
    "feature_matrix",
    "feature_sources",
    "features_in",
    "fill_missing",
    "history_features",
    "hold_in_range",
    "layer_history_of",
    "learnt_range",
    "log_features",
    "make_scorer",
    "missing_features",
    "model_history",
    "model_metadata",
    "offices_of",
    "population_of",
    "portable_path",
    "read_district_table",
    "reads_complaints",
    "score_districts",
    "training_rows",
    "with_complaints",
    "write_scores",
]

def score_districts(
    settings: Settings,
    districts: gpd.GeoDataFrame | None = None,
    inspections: pd.DataFrame | None = None,
    *,
    n_bootstrap: int | None = None,
) -> gpd.GeoDataFrame:
    """Fit the risk model on all records and score every district.

    Parameters
    ----------
    settings : geo.config.Settings
        Features (``settings.feature_names``), expert prior and bootstrap settings.
    districts : GeoDataFrame, optional
        The district table (default: layer ``distritos`` of ``settings.districts_gpkg``).
    inspections : DataFrame, optional
        Records in the inspection contract (default:
        :func:`geo.records.inspections.load_records`). An empty table scores on the expert prior
        alone.
    n_bootstrap : int, optional
        Replicates for the intervals (default ``settings.model.n_bootstrap``).

    Returns
    -------
    GeoDataFrame
        :data:`SCORE_COLUMNS`, one ``contrib_<feature>`` per feature, ``contrib_historial``
        and geometry, sorted by ``rango``. ``logit(riesgo)`` equals
        ``attrs["logit_base"]`` plus the sum of the ``contrib_*`` columns.
        ``attrs["metadatos"]`` holds the model metadata.
    """
    if districts is None:
        districts = read_district_table(settings)
    if inspections is None:
        inspections = load_records(settings)
    X = feature_matrix(districts, settings)
    history = model_history(districts, settings)
    model = clone(RiskModel.from_settings(settings)).fit(
        X, inspections, population=population_of(districts), offices=offices_of(districts),
        history=history)
    keys = X.index.to_numpy()
    scorer, counts, complaints = model.scorer_, model.counts_, model.complaints_
    alerts = model.drift_alerts(X, inspections, history=history)  # on the undiscounted record
    _, outside = model.held_features(X)
    risk = model.predict_risk(X)
    expl = model.explain(X)
    unc = model.simulate_uncertainty(
        X, n_draws=int(n_bootstrap if n_bootstrap is not None else settings.model.n_bootstrap),
        top_k=10, random_state=settings.model.seed)
    out = pd.DataFrame({C.UBIGEO: keys})
    for col in (C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO):
        out[col] = districts[col].to_numpy() if col in districts else ""
    out[C.RIESGO] = risk
    # the interval always contains the point estimate (the bootstrap median may not)
    out[C.RIESGO_P05] = np.minimum(unc[C.RIESGO_P05].to_numpy(), risk)
    out[C.RIESGO_P95] = np.maximum(unc[C.RIESGO_P95].to_numpy(), risk)
    out[C.PROB_TOP10] = unc[C.PROB_TOP10].to_numpy()
    n = counts["n"].to_numpy()
    # the evidence is what the record still weighs: old inspections count less when the
    # records say risk moves (models.risk.recency), and the interval is as wide as that
    effective = scorer.group_counts_["n"].reindex(keys).fillna(0.0).to_numpy() \
        if not scorer.group_counts_.empty else n
    out[C.EVIDENCIA] = evidence_labels(effective, settings.model.min_inspections)
    out[C.RANGO] = pd.Series(-risk).rank(method="first").astype(int).to_numpy()
    out[C.N_INSPECCIONES] = n.astype(int)
    out[C.N_HALLAZGOS] = counts["k"].to_numpy().astype(int)
    if complaints is not None:  # the model read them: a protected count like the others
        out[C.N_DENUNCIAS] = complaints["c"].reindex(keys).fillna(0.0).to_numpy().astype(int)
    out[N_EFECTIVAS] = np.round(effective, 2)
    out[ALERTA_DERIVA] = alerts["alerta_deriva"].reindex(keys).to_numpy()
    out[MOTIVO_DERIVA] = alerts["motivo_deriva"].reindex(keys).to_numpy()
    out[P_DERIVA] = alerts["p_deriva"].reindex(keys).to_numpy()
    out[SIN_DATO] = missing_features(districts, settings)
    out[FUERA_RANGO] = outside.to_numpy()
    for name in expl.contributions.columns:
        out[C.CONTRIB_PREFIX + name] = expl.contributions[name].to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=districts.geometry.to_numpy(), crs=districts.crs)
    gdf = gdf.sort_values(C.RANGO).reset_index(drop=True)
    gdf.attrs["logit_base"] = expl.base
    gdf.attrs["metadatos"] = model_metadata(settings, scorer, inspections, counts)
    # each falta_* factor and the layers it stands for (fill_missing)
    gdf.attrs["metadatos"]["faltantes"] = {k: list(v) for k, v in
                                           X.attrs.get("faltantes", {}).items()}
    gdf.attrs["metadatos"]["vida_media_anios"] = model.recency_.get("vida_media_anios")
    gdf.attrs["metadatos"]["correccion_seleccion"] = model.selection_effect(X)
    gdf.attrs["metadatos"]["alertas_deriva"] = {
        "al_alza": int((alerts["alerta_deriva"] == "al alza").sum()),
        "a_la_baja": int((alerts["alerta_deriva"] == "a la baja").sum())}
    if model.recency_.get("verosimilitud_por_vida_media"):
        gdf.attrs["metadatos"]["verosimilitud_por_vida_media"] = \
            model.recency_["verosimilitud_por_vida_media"]
    return gdf


def make_scorer(settings: Settings) -> RiskScorer:
    """Build the :class:`RiskScorer` the settings describe (prior, its strength), unfitted.

    The statistical core of :meth:`models.risk.model.RiskModel.from_settings`.

    Raises
    ------
    ConfigError
        The prior names a feature the model does not use.
    """
    return RiskModel.from_settings(settings).scorer()


def evidence_labels(n, min_inspections: int) -> np.ndarray:
    """``evidencia insuficiente`` below ``min_inspections``, ``limitada`` below three times it.

    >>> evidence_labels([0, 3, 10], 3).tolist()
    ['evidencia insuficiente', 'limitada', 'suficiente']
    """
    n = np.asarray(n, dtype=float)
    lab = np.where(n < min_inspections, C.EVIDENCIA_INSUFICIENTE,
                   np.where(n < 3 * min_inspections, EVIDENCIA_LIMITADA, EVIDENCIA_SUFICIENTE))
    return lab.astype(object)
