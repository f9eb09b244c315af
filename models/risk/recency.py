"""Risk that moves: old findings weigh less, by a half-life the records themselves choose.

A district's own record (stage 2 of :class:`models.risk.scorer.RiskScorer`) is a discounted sum:
an inspection ``a`` years old counts ``0.5 ** (a / h)`` of one. This is the discount-factor
form of a random walk in the district effect (West & Harrison, *Bayesian Forecasting and
Dynamic Models*, 1997, §6.3): each year the information of the past decays by a factor
``δ = 0.5 ** (1 / h)``, so where risk has moved, recent records dominate and the interval
widens as the record ages. The feature weights (stage 1) use every record unweighted: what a
mining concession or poverty means for risk is taken as stable.

``h`` is chosen from the data by forward chaining (:func:`choose_half_life`): for each of the
last years with records, the district effects are estimated from the earlier records,
discounted with each candidate ``h``, and scored on how well they predict that year's
findings (the posterior predictive log-likelihood). On a world that stands still the longest
half-life wins (no discount, nothing lost); where a frontier opened, a short one.

Examples
--------
>>> recs = pd.DataFrame({"ubigeo": ["a", "a"], "hallazgo_tf": [1, 0],
...                      "fecha": pd.to_datetime(["2020-01-01", "2024-01-01"])})
>>> c = weighted_counts(recs, ["a"], pd.Timestamp("2024-01-01"), half_life=4.0)
>>> round(float(c.loc["a", "n"]), 3), round(float(c.loc["a", "k"]), 3)
(1.5, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from geo import columns as C
from models.risk.complaints import complaint_records
from models.risk.features import district_counts, history_features
from models.risk.likelihood import S_NODES, ComplaintTable, effect_loglik, logsumexp_rows
from models.risk.scorer import RiskScorer

__all__ = ["ALZA", "BAJA", "HALF_LIVES", "choose_half_life", "drift_alerts", "recency_fit",
           "weighted_counts"]

#: Candidate half-lives in years (``inf`` = no discount): from "risk stands still" to "a
#: frontier can open within two years".
HALF_LIVES: tuple[float, ...] = (math.inf, 8.0, 5.0, 3.0, 2.0)
#: Years at the end of the record used to choose the half-life.
CHOICE_YEARS = 3
#: Predictive log-likelihood a half-life must gain over no discount to be chosen: half the
#: 95 % point of a chi-square with one degree of freedom (a likelihood-ratio test of one
#: parameter), so that noise in a world that stands still does not shorten its memory.
MIN_GAIN = 1.92
DAYS_PER_YEAR = 365.25


def weighted_counts(records: pd.DataFrame, keys: Sequence[str], today: pd.Timestamp,
                    half_life: float) -> pd.DataFrame:
    """Inspections ``n`` and findings ``k`` per district, each weighted by ``0.5 ** (age/h)``.

    ``age`` is in years before ``today`` (records after it count fully). ``half_life`` inf:
    plain counts.
    """
    index = pd.Index([str(k) for k in keys], name=C.UBIGEO)
    if records is None or len(records) == 0:
        return pd.DataFrame({"n": 0.0, "k": 0.0}, index=index)
    age = (pd.Timestamp(today) - pd.to_datetime(records[C.FECHA])).dt.days.to_numpy(float)
    age = np.maximum(age, 0.0) / DAYS_PER_YEAR
    w = np.ones_like(age) if not math.isfinite(half_life) else 0.5 ** (age / half_life)
    frame = pd.DataFrame({C.UBIGEO: records[C.UBIGEO].astype(str).to_numpy(), "n": w,
                          "k": w * pd.to_numeric(records[C.HALLAZGO]).to_numpy(float)})
    out = frame.groupby(C.UBIGEO).sum().reindex(index, fill_value=0.0)
    return out[["n", "k"]].astype(float)


def _log_marginal(eta, n, k, tau) -> np.ndarray:
    """Log ∫ Binomial(k | n, expit(eta + u)) Normal(u | 0, tau²) du per district (no constant)."""
    return logsumexp_rows(effect_loglik(eta, n, k, tau))


def choose_half_life(eta: np.ndarray, tau: float, records: pd.DataFrame, keys: Sequence[str],
                     candidates: Sequence[float] = HALF_LIVES, years: int = CHOICE_YEARS
                     ) -> tuple[float, dict[str, float]]:
    """Choose the half-life whose discounted records best predict each following year.

    Parameters
    ----------
    eta : ndarray
        Each district's logit from its features (stage 1), in the order of ``keys``.
    tau : float
        Spread of the district effects.
    records : DataFrame
        ``ubigeo, fecha, hallazgo_tf``.

    Returns
    -------
    (float, dict)
        The half-life (``inf``: none) and the summed predictive log-likelihood of each
        candidate (keys as text: ``"inf"``, ``"8"``…). Ties go to the longer half-life, and
        no discount stays unless the best gains :data:`MIN_GAIN` over it.
    """
    if tau <= 0 or records is None or len(records) == 0:
        return math.inf, {}
    index = pd.Index([str(k) for k in keys])
    pos = index.get_indexer(records[C.UBIGEO].astype(str))
    keep = pos >= 0
    pos = pos[keep]
    dates = pd.to_datetime(records[C.FECHA]).to_numpy()[keep]
    found = pd.to_numeric(records[C.HALLAZGO]).to_numpy(float)[keep]
    year_of = pd.DatetimeIndex(dates).year.to_numpy()
    last = sorted(set(year_of.tolist()))[-years:]
    size = len(index)
    scores = {h: 0.0 for h in candidates}
    for t in last:
        past, now = year_of < t, year_of == t
        if not past.any() or not now.any():
            continue
        nc = np.bincount(pos[now], minlength=size).astype(float)
        kc = np.bincount(pos[now], weights=found[now], minlength=size)
        used = nc > 0
        age = (np.datetime64(f"{t}-01-01") - dates[past]).astype("timedelta64[D]").astype(
            float) / DAYS_PER_YEAR
        e = eta[used]
        for h in candidates:
            w = np.ones_like(age) if not math.isfinite(h) else 0.5 ** (np.maximum(age, 0) / h)
            n_p = np.bincount(pos[past], weights=w, minlength=size)[used]
            k_p = np.bincount(pos[past], weights=w * found[past], minlength=size)[used]
            scores[h] += float(np.sum(_log_marginal(e, n_p + nc[used], k_p + kc[used], tau)
                                      - _log_marginal(e, n_p, k_p, tau)))
    best = max(candidates, key=lambda h: (round(scores[h], 6), h))
    if math.inf in scores and scores[best] - scores[math.inf] < MIN_GAIN:
        best = math.inf  # not enough evidence that risk moves: keep every record
    return best, {("inf" if not math.isfinite(h) else f"{h:g}"): v for h, v in scores.items()}


def recency_fit(scorer: RiskScorer, X: pd.DataFrame, keys: Sequence[str], records: pd.DataFrame,
                half_life: float | str = "auto", today: pd.Timestamp | None = None,
                history: pd.DataFrame | None = None) -> tuple[RiskScorer, dict[str, Any]]:
    """Discount each district's record on a fitted scorer; return it and what was done.

    ``half_life``: ``"auto"`` (chosen by :func:`choose_half_life`), a number of years, or
    ``inf``/``0`` for none. ``today``: the date ages count from (default: the last record).
    ``history``: the dated layers' past states; the features each district's records saw
    are then averaged with the same age weights as its counts (recent findings were made
    under recent layers).

    Returns
    -------
    (RiskScorer, dict)
        The scorer (its district records replaced) and ``{"vida_media_anios": h or None,
        "verosimilitud_por_vida_media": {...}, "hoy": date}``.
    """
    info: dict[str, Any] = {"vida_media_anios": None}
    if records is None or len(records) == 0 or scorer.re_sd_ <= 0 or \
            scorer.group_counts_.empty:
        return scorer, info
    today = pd.Timestamp(today) if today is not None else pd.to_datetime(
        records[C.FECHA]).max() + pd.Timedelta(days=1)
    # the records read with the layers they were made under
    _, eta = scorer.logits(X.to_numpy(float), np.asarray(keys))
    if half_life == "auto":
        h, table = choose_half_life(eta, scorer.re_sd_, records, keys)
        info["verosimilitud_por_vida_media"] = table
    else:
        h = float(half_life) if half_life else math.inf
        h = math.inf if h <= 0 else h
    info["hoy"] = str(today.date())
    if not math.isfinite(h):
        return scorer, info
    info["vida_media_anios"] = h
    counts = weighted_counts(records, keys, today, h)
    scorer = scorer.refit_effects(X, counts)
    if history is not None and getattr(scorer, "group_z_", None) is not None:
        age = (today - pd.to_datetime(records[C.FECHA])).dt.days.to_numpy(float)
        weights = 0.5 ** (np.maximum(age, 0.0) / DAYS_PER_YEAR / h)
        seen = history_features(X, history, records, weights=weights)
        z = (seen.to_numpy(float) - scorer.mean_) / scorer.scale_
        frame = pd.DataFrame(z, index=pd.Index(np.asarray(keys)))
        scorer.group_z_ = frame.reindex(scorer.group_z_.index).fillna(scorer.group_z_)
    _discount_complaints(scorer, records, keys, today, h)
    return scorer, info


def _discount_complaints(scorer: RiskScorer, records: pd.DataFrame, keys: Sequence[str],
                         today: pd.Timestamp, half_life: float) -> None:
    """Age the complaints the scorer reads as evidence like its findings (in place).

    Each complaint-driven inspection counts ``0.5 ** (age / h)``; what is expected of each
    district shrinks by the region's same share, so a district whose complaints are old
    says less about its effect today, while ``g`` and the complaints' spread stay those
    every record measured (as ``tau`` does).
    """
    asked = complaint_records(records)
    if getattr(scorer, "complaints_", None) is None or asked is None or len(asked) == 0:
        return
    frame = scorer.complaints_.copy()
    aged = weighted_counts(asked.assign(**{C.HALLAZGO: 0}), list(frame.index), today,
                           half_life)["n"].to_numpy(float)
    raw = frame["c"].to_numpy(float)
    if raw.sum() <= 0 or aged.sum() <= 0:
        return
    frame["c"] = aged
    frame["log_mu"] = frame["log_mu"] + np.log(aged.sum() / raw.sum())
    scorer.complaints_ = frame


#: Years of recent records a drift alert looks at, and the tail probability that raises it.
ALERT_YEARS = 2
ALERT_LEVEL = 0.05
ALZA, BAJA = "al alza", "a la baja"
#: A district whose dated layers moved its logit by this much since its records (the odds
#: doubled or halved: a concession claimed, forest lost after its inspections) is flagged
#: even without recent findings: its record says less about today than its evidence label.
LAYER_ALERT = float(np.log(2.0))
#: Why a district is flagged: its recent findings, or its layers' change since its records.
MOTIVO_HALLAZGOS, MOTIVO_CAPAS = "hallazgos", "capas"


def drift_alerts(scorer: RiskScorer, X: pd.DataFrame, keys: Sequence[str], records: pd.DataFrame,
                 years: int = ALERT_YEARS, level: float = ALERT_LEVEL,
                 history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Districts whose recent findings or layer change disagree with their long-run estimate.

    For each district, the findings of the last ``years`` years are compared with the
    posterior predictive distribution given its features and its *earlier* records (the
    district effect integrated over its posterior): ``al alza`` when so many findings had
    probability below ``level``, ``a la baja`` when so few did. A district flagged rising
    deserves a visit even with thin evidence (the plan's exploration draw favours it).

    Where the layers are dated (:func:`models.risk.features.history_features`), a district whose
    layers moved its logit by :data:`LAYER_ALERT` or more since the records it has (a
    concession claimed, forest lost after them) is flagged too, in that direction: what
    its inspections found was found under other layers. With ``history`` (the dated
    layers' past states) the earlier and the recent records are each read with the layers
    of their own years.

    Returns
    -------
    DataFrame
        Index = keys: ``alerta_deriva`` (``""``, ``al alza``, ``a la baja``),
        ``motivo_deriva`` (``hallazgos``, ``capas`` or ``""``), ``p_deriva`` (the smaller
        tail probability; NaN without recent records), ``cambio_capas`` (today's logit
        minus the one of the layers its records saw; 0 where nothing is dated),
        ``n_recientes``, ``k_recientes``.
    """
    index = pd.Index([str(k) for k in keys], name=C.UBIGEO)
    out = pd.DataFrame({"alerta_deriva": "", "motivo_deriva": "", "p_deriva": np.nan,
                        "cambio_capas": 0.0, "n_recientes": 0.0, "k_recientes": 0.0},
                       index=index)
    if records is None or len(records) == 0:
        return out
    eta, seen = scorer.logits(X.to_numpy(float), np.asarray(keys))
    change = eta - seen
    out["cambio_capas"] = np.round(change, 4)
    moved = np.abs(change) >= LAYER_ALERT
    out.loc[moved, "alerta_deriva"] = np.where(change[moved] > 0, ALZA, BAJA)
    out.loc[moved, "motivo_deriva"] = MOTIVO_CAPAS
    if scorer.re_sd_ <= 0:
        return out
    dates = pd.to_datetime(records[C.FECHA])
    start = pd.Timestamp(f"{int(dates.dt.year.max()) - years + 1}-01-01")
    recent, earlier = records[dates >= start], records[dates < start]
    # plain counts: no age discount here
    rc, ec = district_counts(recent, keys), district_counts(earlier, keys)
    tau = float(scorer.re_sd_)
    # each part of the record read against the layers it was made under
    def logit_of(part: pd.DataFrame) -> np.ndarray:
        if history is None:
            return seen
        return scorer.logits(history_features(X, history, part).to_numpy(float),
                              np.asarray(keys))[0]

    eta_earlier, eta_recent = logit_of(earlier), logit_of(recent)
    logw = effect_loglik(eta_earlier, ec["n"].to_numpy(), ec["k"].to_numpy(), tau,
                          _earlier_complaints(scorer, earlier, records, keys))
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    p = special.expit(eta_recent[:, None] + tau * S_NODES[None, :])  # (D, S)
    n_r = rc["n"].to_numpy().round().astype(int)
    k_r = rc["k"].to_numpy().round().astype(int)
    upper = np.sum(w * stats.binom.sf(k_r[:, None] - 1, n_r[:, None], p), axis=1)  # P(K >= k)
    lower = np.sum(w * stats.binom.cdf(k_r[:, None], n_r[:, None], p), axis=1)  # P(K <= k)
    visited = n_r > 0
    out["n_recientes"], out["k_recientes"] = n_r, k_r
    out["p_deriva"] = np.where(visited, np.minimum(upper, lower), np.nan)
    found = np.where(visited & (upper < level), ALZA,
                     np.where(visited & (lower < level), BAJA, ""))
    # the findings speak first; the layers' change where they say nothing
    out["alerta_deriva"] = np.where(found != "", found, out["alerta_deriva"])
    out["motivo_deriva"] = np.where(found != "", MOTIVO_HALLAZGOS, out["motivo_deriva"])
    return out


def _earlier_complaints(scorer: RiskScorer, earlier: pd.DataFrame, records: pd.DataFrame,
                        keys: Sequence[str]) -> np.ndarray | None:
    """Return each district's complaints' term from the complaints *before* the recent years.

    The score reads every complaint as evidence about a district's own effect
    (:meth:`models.risk.scorer.RiskScorer._fit_complaint_sd`); the alert's baseline reads the
    earlier ones the same way (what is expected of each district scaled to the region's
    earlier share of complaints), so a district raised by its complaints is not flagged for
    findings its score already expected, and the recent complaints are not counted twice.
    ``None`` when the scorer does not read complaints.
    """
    every, asked = complaint_records(records), complaint_records(earlier)
    if getattr(scorer, "complaints_", None) is None or getattr(scorer, "complaint_sd_", 0) <= 0 \
            or every is None or asked is None or len(every) == 0 or len(asked) == 0:
        return None
    total, before = len(every), asked[C.UBIGEO].astype(str).value_counts()
    index = pd.Index([str(k) for k in keys])
    c = before.reindex(index).fillna(0.0).to_numpy(float)
    log_mu = scorer.complaints_["log_mu"].reindex(index).to_numpy(float) + \
        np.log(before.sum() / total)
    return ComplaintTable(c, log_mu, scorer.complaint_spread_).loglik(scorer.complaint_sd_)
