"""What a role without record access may receive: scores with no way back to a hidden count.

Small counts (1 to ``k - 1`` inspections, findings, victims or workers) are blanked in every
output of a role that may not see records (:func:`suppress_small_counts`). On its own that
is not enough. A district's own record also moves its risk — through the model's district
effect (``contrib_historial``), its interval, its probability of being in the top ten and
its evidence label — and the model's code is public: from a published risk and history
term anyone can recompute which (inspections, findings) pair produced them. In the demo
world every one of the 84 suppressed cells was recovered exactly that way. This is the
*secondary disclosure* the SDC handbook warns about: a suppressed cell must not be
derivable from other published values (Hundepool et al., *Statistical Disclosure Control*,
Wiley 2012, §4.2 and §5.5; the Counter Trafficking Data Collaborative applies the same
principle to its k-anonymised victim data).

The rule (:func:`protect_scores`), for every district with a suppressed count:

* ``riesgo`` is what the model says of a district with the same features and **no record
  of its own** (the logit minus the history term), so it does not depend on the hidden
  counts;
* no interval, no top-ten probability and no history term (blank), and
  ``evidencia = "no publicada"``;

and for every district, risks are rounded to 0.1 percentage point and the rank (``rango``)
is recomputed on the published risks, so the neighbours' ranks do not tell where a hidden
risk falls. A column ``publicacion`` says which districts were treated.

Why this and not noise: it is deterministic (the same export twice is the same file),
explainable in a meeting ("for these districts the map shows what their characteristics
predict; their few records are not published"), and independent of the hidden counts by
construction — only the global weights were fitted with them, on thousands of records, where
one district's four records move a risk by far less than the rounding.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"ubigeo": ["1", "2"], "riesgo": [0.5, 0.2],
...                    "riesgo_p05": [0.3, 0.1], "riesgo_p95": [0.7, 0.3],
...                    "prob_top10": [0.9, 0.1], "contrib_historial": [1.0, 0.0],
...                    "evidencia": ["limitada", "suficiente"], "rango": [1, 2],
...                    "n_inspecciones": [3, 20], "n_hallazgos": [2, 6]})
>>> out = protect_scores(df, 5)
>>> out["riesgo"].round(3).tolist(), out["publicacion"].tolist()
([0.269, 0.2], ['sin historial', 'completa'])
>>> out["contrib_historial"].isna().tolist(), out["rango"].tolist()
([True, False], [1, 2])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from geo import columns as C

__all__ = [
    "COUNT_COLUMNS",
    "EVIDENCIA_NO_PUBLICADA",
    "PUBLICACION",
    "PUBLICACION_COMPLETA",
    "PUBLICACION_SIN_HISTORIAL",
    "protect_scores",
    "suppress_small_counts",
]

#: Count columns of a scores table whose small values are suppressed for non-planners.
COUNT_COLUMNS = (C.N_INSPECCIONES, C.N_HALLAZGOS, C.N_DENUNCIAS, C.VICTIMAS, C.TRABAJADORES,
                 "n_victimas")
#: Counts the model learns from: when one of them is suppressed, the record is withheld. The
#: complaints count too: with complaints as evidence the history term moves with each one
#: (a few complaints can point at who complained).
MODEL_COUNTS = (C.N_INSPECCIONES, C.N_HALLAZGOS, C.N_DENUNCIAS)
EVIDENCIA_NO_PUBLICADA = C.EVIDENCIA_NO_PUBLICADA
PUBLICACION = "publicacion"
PUBLICACION_COMPLETA = "completa"
PUBLICACION_SIN_HISTORIAL = "sin historial"
HISTORY = C.CONTRIB_PREFIX + "historial"
WITHHELD = (C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10, HISTORY)
RISK_DECIMALS = 3  # 0.1 percentage point


def suppress_small_counts(df: pd.DataFrame, threshold: int,
                          columns: Sequence[str] = COUNT_COLUMNS) -> pd.DataFrame:
    """Blank counts between 1 and ``threshold - 1`` (a small count can identify people).

    Zeros stay (they reveal nobody); suppressed cells become missing and the column
    ``<name>_suprimido`` says which were suppressed.

    >>> df = pd.DataFrame({"n_hallazgos": [0, 2, 7]})
    >>> out = suppress_small_counts(df, 5, ["n_hallazgos"])
    >>> out["n_hallazgos"].tolist(), out["n_hallazgos_suprimido"].tolist()
    ([0.0, nan, 7.0], [False, True, False])
    """
    out = df.copy()
    for col in columns:
        if col in out.columns:
            values = pd.to_numeric(out[col], errors="coerce")
            small = (values > 0) & (values < threshold)
            out[col] = values.astype(float).mask(small)
            out[f"{col}_suprimido"] = small.to_numpy()
    return out


def protect_scores(scores: pd.DataFrame, threshold: int,
                   columns: Sequence[str] = COUNT_COLUMNS,
                   published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return ``scores`` as a role without record access may receive them (module doc).

    Parameters
    ----------
    scores : DataFrame or GeoDataFrame
        As :func:`models.risk.score.score_districts` makes them (with ``contrib_historial``
        when the model has district effects).
    threshold : int
        The role's ``k``: counts from 1 to ``k - 1`` are suppressed.
    columns : sequence of str
        Count columns to suppress (those present).
    published : DataFrame, optional
        The role's district counts as every other table it gets publishes them
        (:func:`geo.records.indicators.protected_counts`: ``ubigeo``, the counts, blank where
        suppressed together with the other tables, and ``suprimido``). With it the
        inspections, findings and complaint-driven inspections are those counts, and a
        district any of whose counts is blank there — by a small count or to protect
        another one — also gets its risk without its record: otherwise the model's code
        would rebuild the blank from the published risk (``tests/models/risk/test_disclosure.py``).

    Returns
    -------
    DataFrame or GeoDataFrame
        The same rows and columns, counts suppressed (with ``<count>_suprimido`` flags),
        the districts with a suppressed model count treated as described, risks rounded,
        ranks recomputed, and a column ``publicacion``.
    """
    hidden = np.zeros(len(scores), dtype=bool)
    for col in MODEL_COUNTS:
        if col in scores.columns:
            values = pd.to_numeric(scores[col], errors="coerce")
            hidden |= ((values > 0) & (values < threshold)).fillna(False).to_numpy()
    out = suppress_small_counts(scores, threshold, columns)
    if published is not None:
        hidden |= _take_published(out, published)
    risk = pd.to_numeric(out[C.RIESGO], errors="coerce").to_numpy(float)
    if HISTORY in out.columns and hidden.any():
        history = pd.to_numeric(out[HISTORY], errors="coerce").fillna(0.0).to_numpy(float)
        clipped = np.clip(risk, 1e-9, 1 - 1e-9)
        features_only = special.expit(special.logit(clipped) - history)
        risk = np.where(hidden, features_only, risk)
    out[C.RIESGO] = np.round(risk, RISK_DECIMALS)
    for col in WITHHELD:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float).mask(hidden)
    for col in (C.RIESGO_P05, C.RIESGO_P95):
        if col in out.columns:
            out[col] = out[col].round(RISK_DECIMALS)
    # the change alert comes from the recent counts: only where the record is published, and
    # never its tail probability (with the counts shown it would pin the recent ones down)
    for col in ("alerta_deriva", "motivo_deriva"):
        if col in out.columns:
            out[col] = out[col].astype(object).where(~hidden, "")
    for col in ("p_deriva", "n_efectivas"):
        if col in out.columns:
            out[col] = np.nan if col == "p_deriva" else pd.to_numeric(
                out[col], errors="coerce").astype(float).mask(hidden)
    if C.EVIDENCIA in out.columns:
        out[C.EVIDENCIA] = out[C.EVIDENCIA].astype(object).where(~hidden,
                                                                 EVIDENCIA_NO_PUBLICADA)
    if C.RANGO in out.columns:
        out[C.RANGO] = out[C.RIESGO].rank(ascending=False, method="min").astype(int)
    out[PUBLICACION] = np.where(hidden, PUBLICACION_SIN_HISTORIAL, PUBLICACION_COMPLETA)
    # a map class stored with the scores was made from the raw risks: it goes (an export
    # classes the published risks again, models.risk.writing.export_frame)
    return out.drop(columns=["clase"], errors="ignore")


def _take_published(out: pd.DataFrame, published: pd.DataFrame) -> np.ndarray:
    """Put the published model counts into ``out``; True where one of them is blank.

    A district the publication does not list keeps its own (suppressed) counts.
    """
    table = pd.DataFrame(published).set_index(C.UBIGEO)
    keys = out[C.UBIGEO].astype(str)
    listed = keys.isin(table.index).to_numpy()
    marks = table["suprimido"].reindex(keys).fillna("").astype(str)
    hidden = np.zeros(len(out), dtype=bool)
    for col in MODEL_COUNTS:
        if col not in table.columns:
            continue
        blank = marks.map(lambda v, c=col: c in v.split(";")).to_numpy(bool) & listed
        hidden |= blank
        if col in out.columns:
            values = pd.to_numeric(table[col], errors="coerce").reindex(keys).to_numpy(float)
            current = pd.to_numeric(out[col], errors="coerce").to_numpy(float)
            out[col] = np.where(listed, values, current)
            flag = f"{col}_suprimido"
            if flag in out.columns:
                out[flag] = np.where(listed, blank, out[flag].to_numpy(bool))
    return hidden
