"""``[model]``: the risk model's features, expert prior and fitting choices (:class:`ModelSpec`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.config.reading import _reject_unknown
from geo.errors import ConfigError

__all__ = ["ModelSpec", "SELECTION_CORRECTIONS"]


@dataclass(frozen=True)
class ModelSpec:
    """What the risk model uses: features and the expert prior."""

    features: tuple[str, ...] = ()  # base indicators used as features besides the layers
    prior: Mapping[str, float] = field(default_factory=dict)  # expert weight per feature
    prior_strength: float = 10.0  # cap of the empirical-Bayes prior strength (models.risk.scorer)
    min_inspections: int = 3  # fewer inspections than this -> "evidencia insuficiente"
    n_bootstrap: int = 200
    seed: int = 0
    # how a district's own records age (models.risk.recency): "auto" (chosen from the records),
    # a half-life in years, or 0 (never discounted)
    half_life: float | str = "auto"
    # how the weights are protected from risk-driven selection (models.risk.scorer): "joint"
    # (weights and district effects fitted together, a random-intercept GLMM), "design" (a
    # district informs the weights as much as its record can), "cluster" (every district
    # counted once), "none"
    selection_correction: str = "joint"
    # complaint-driven inspections a district drew against what is expected of it, as a
    # feature (models.risk.score.complaint_intensity): their number carries information on risk.
    # Off by default: measured on 80 worlds it lifts the complaint worlds' worst coverage
    # (0.761 -> 0.862) but costs the default demo world its coverage (0.947 -> 0.782)
    complaint_intensity: bool = False
    # the number of complaint-driven inspections as evidence about each district's own
    # effect, with a strength the data choose (models.risk.scorer, a shared-parameter model of
    # selection; needs selection_correction = "joint")
    complaint_evidence: bool = True
    # features entered as log(1 + x) (models.risk.score.feature_matrix): hectares and counts whose
    # few large values would otherwise decide the standardisation
    log_features: tuple[str, ...] = ()


#: How the model's weights are protected from risk-driven selection (models.risk.scorer
#: RiskScorer): weights and district effects fitted together, each district's rows weighted
#: by its design effect, every district counted once, or every inspection one row.
SELECTION_CORRECTIONS = ("joint", "design", "cluster", "none")

_MODEL_KEYS = {"features", "prior", "prior_strength", "min_inspections", "n_bootstrap", "seed",
               "half_life", "selection_correction", "complaint_intensity",
               "complaint_evidence", "log_features"}


def _parse_model(raw: dict[str, Any], path: Path) -> ModelSpec:
    _reject_unknown(raw, _MODEL_KEYS, path, "model")
    prior = raw.get("prior", {})
    if not isinstance(prior, dict) or not all(isinstance(v, int | float) for v in prior.values()):
        raise ConfigError("config.model_prior_debe_asignar", path=path)
    defaults = ModelSpec()
    half_life = raw.get("half_life", defaults.half_life)
    if not (half_life == "auto" or (isinstance(half_life, int | float)
                                    and not isinstance(half_life, bool) and half_life >= 0)):
        raise ConfigError("config.model_half_life_use", path=path, half_life=half_life)
    selection = raw.get("selection_correction", defaults.selection_correction)
    if selection not in SELECTION_CORRECTIONS:
        raise ConfigError("config.model_selection_correction_use", path=path, selection=selection)
    intensity = raw.get("complaint_intensity", defaults.complaint_intensity)
    if not isinstance(intensity, bool):
        raise ConfigError("config.model_complaint_intensity_use", path=path, intensity=intensity)
    evidence = raw.get("complaint_evidence", defaults.complaint_evidence)
    if not isinstance(evidence, bool):
        raise ConfigError("config.model_complaint_evidence_use", path=path, evidence=evidence)
    logs = raw.get("log_features", [])
    if not isinstance(logs, list) or not all(isinstance(n, str) and n for n in logs):
        raise ConfigError("config.model_log_features_debe", path=path)
    return ModelSpec(
        log_features=tuple(logs),
        complaint_intensity=intensity,
        complaint_evidence=evidence,
        selection_correction=selection,
        half_life=half_life if half_life == "auto" else float(half_life),
        features=tuple(raw.get("features", defaults.features)),
        prior={str(k): float(v) for k, v in prior.items()},
        prior_strength=float(raw.get("prior_strength", defaults.prior_strength)),
        min_inspections=int(raw.get("min_inspections", defaults.min_inspections)),
        n_bootstrap=int(raw.get("n_bootstrap", defaults.n_bootstrap)),
        seed=int(raw.get("seed", defaults.seed)),
    )
