"""Explanations a planner can read: percentage points, the district's own record, what changed.

The model adds up on the logit scale (:meth:`models.risk.scorer.RiskScorer.explain`); nobody reads
logits. :func:`points` turns a district's contributions into **percentage points of risk**
that add up exactly to the difference between its risk and the regional average district's
(each logit contribution times the slope of the secant between the two: signs and shares are
kept). :func:`record_words` says what the history term is — the district's own record against
what its characteristics predict — in plain words. :func:`what_changed` compares two score
tables (before and after a rescoring): the districts whose map class moved and why (new
records of their own, or the refit of the weights after other districts' records).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
from scipy import special

from geo import columns as C
from geo.config import Settings
from geo.formatting import format_number, format_percent
from geo.geography.styles import class_breaks, classify
from geo.messages import Message, t
from geo.private import write_private
from models.risk.scorer import HISTORIAL

__all__ = [
    "CHANGES_FILE",
    "points",
    "read_changes",
    "record_words",
    "what_changed",
    "write_changes",
]

#: Where the last rescoring's comparison is kept, in the settings' workdir.
CHANGES_FILE = "cambios.json"
NUEVOS_REGISTROS = "nuevos registros del distrito"
REAJUSTE = "reajuste del modelo (registros de otros distritos)"


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-9), 1 - 1e-9)
    return float(np.log(p) - np.log1p(-p))


def points(risk: float, contributions: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """Return the average district's risk and each contribution in percentage points.

    ``risk`` is the district's probability; ``contributions`` its logit contributions
    (``contrib_*`` without the prefix). The points add up to ``100 * (risk - base)``.

    Examples
    --------
    >>> base, pts = points(0.5, {"pobreza": 1.0, "lejania": -1.0})
    >>> round(base, 3), {k: round(v, 1) for k, v in pts.items()}
    (0.5, {'pobreza': 25.0, 'lejania': -25.0})
    >>> base, pts = points(0.3, {"a": 0.5, "b": 0.3})
    >>> round(sum(pts.values()), 6) == round(100 * (0.3 - base), 6)
    True
    """
    values = {k: float(v) for k, v in contributions.items() if pd.notna(v)}
    lp = _logit(risk)
    total = sum(values.values())
    base = float(special.expit(lp - total))
    if abs(total) < 1e-9:
        slope = risk * (1 - risk)  # the tangent when the secant has no length
    else:
        slope = (risk - base) / total
    return base, {k: 100 * v * slope for k, v in values.items()}


def record_words(row: Mapping[str, Any], lang: str | None = None) -> str | None:
    """Say what the district's own record does to its risk, in plain words.

    The history term compares the district's record with what its characteristics predict:
    a district whose features predict 85 % and whose inspections found 74 % is *lowered* by
    its record even with many findings. The record includes how many of its inspections
    answered complaints (complaints as evidence, :mod:`models.risk.scorer`): a district never
    inspected, where some complaint was to be expected, is lowered by that absence and
    told so. ``None`` when the term is withheld or absent.

    >>> print(record_words({"riesgo": 0.10, "contrib_historial": -0.2,
    ...                     "n_inspecciones": 0, "n_hallazgos": 0}, "en"))
    ... # doctest: +NORMALIZE_WHITESPACE
    From its characteristics, the model would expect a risk of 11.9%. It was never
    inspected, not even after a complaint, though its population and characteristics would
    lead one to expect some complaint-driven inspection: that lowers it by 1.9 points, to
    10.0%.

    >>> row = {"riesgo": 0.74, "contrib_historial": -0.5, "n_inspecciones": 53,
    ...        "n_hallazgos": 39}
    >>> print(record_words(row, "es"))  # doctest: +NORMALIZE_WHITESPACE
    Con sus características, el modelo esperaría un riesgo de 82.4%. Su propio historial (39
    hallazgos en 53 inspecciones, 73.6%) lo baja 8.4 puntos, a 74.0%.
    """
    col = C.CONTRIB_PREFIX + HISTORIAL
    term = row.get(col)
    if term is None or pd.isna(term) or pd.isna(row.get(C.RIESGO)):
        return None
    risk = float(row[C.RIESGO])
    features = float(special.expit(_logit(risk) - float(term)))
    n, k = row.get(C.N_INSPECCIONES), row.get(C.N_HALLAZGOS)
    diff = 100 * (risk - features)
    def pct(x: float) -> str:
        return format_percent(x, lang, digits=1)

    known = n is not None and k is not None and pd.notna(n) and pd.notna(k) and float(n) > 0
    c = row.get(C.N_DENUNCIAS)
    if known:
        # the inspections that answered a complaint are part of the record the model reads
        asked = c is not None and pd.notna(c)
        own = Message("modelo.explica.historial_denuncias" if asked
                      else "modelo.explica.historial",
                      {"k": int(k), "n": int(n), "rate": pct(float(k) / float(n)),
                       **({"c": int(c)} if asked else {})})
    else:
        own = Message("modelo.explica.historial_propio")
    if abs(diff) < 0.05:
        return t("modelo.explica.no_lo_cambia", lang=lang, features=pct(features), own=own)
    up = diff > 0
    amount = format_number(abs(diff), lang, digits=1)
    verb = Message("modelo.explica.sube" if up else "modelo.explica.baja")
    never = n is not None and pd.notna(n) and float(n) == 0
    if never:
        # no inspection, so no complaint either: where population and characteristics
        # would bring some, their absence is the record (complaints as evidence)
        return t("modelo.explica.nunca_inspeccionado", lang=lang, features=pct(features),
                 verb=verb, amount=amount, risk=pct(risk))
    # said from the term's sign alone: the raw rate of every year is context, not the
    # comparison the model makes (older records may weigh less, the effect is shrunk)
    return t("modelo.explica.historial_lo_mueve", lang=lang, features=pct(features), own=own,
             verb=verb, amount=amount, risk=pct(risk))


# --- what changed after a rescoring --------------------------------------------------------
def _classes(table: pd.DataFrame) -> pd.Series:
    """Map class (1-5) of each district within its department, as the map shows one."""
    out = pd.Series(0, index=table.index, dtype=int)
    dep = table[C.UBIGEO].astype(str).str[:2]
    for code in dep.unique():
        mask = dep == code
        risk = pd.to_numeric(table.loc[mask, C.RIESGO], errors="coerce").to_numpy(float)
        out[mask] = classify(risk, class_breaks(risk)) + 1
    return out


def what_changed(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, Any]:
    """Compare two score tables: which districts moved class, by how much, and why.

    Classes are the map's (five quantiles of risk within each department). A district moved
    because of **its own new records** when its inspection count changed, otherwise because
    the model was **refitted** on other districts' records (the weights moved). Quantile
    classes are relative: a district can change class when others move past it.

    Returns
    -------
    dict
        ``{"distritos": [{ubigeo, distrito, departamento, clase_antes, clase_despues,
        riesgo_antes, riesgo_despues, n_antes, n_despues, motivo}], "por_departamento":
        {code: {"distritos": int, "cambian_de_clase": int}}, "nuevas_inspecciones": int,
        "pesos": [{factor, antes, despues}] (when both tables carry their coefficients)}``.
    """
    keep = [C.UBIGEO, C.DISTRITO, C.DEPARTAMENTO, C.RIESGO, C.N_INSPECCIONES]
    a = pd.DataFrame(before)[[c for c in keep if c in before.columns]].copy()
    b = pd.DataFrame(after)[[c for c in keep if c in after.columns]].copy()
    for frame in (a, b):
        frame[C.UBIGEO] = frame[C.UBIGEO].astype(str)
        frame["clase"] = _classes(frame.reset_index(drop=True)).to_numpy()
    m = a.merge(b, on=C.UBIGEO, suffixes=("_antes", "_despues"))
    n_a = pd.to_numeric(m.get(f"{C.N_INSPECCIONES}_antes"), errors="coerce").fillna(0)
    n_b = pd.to_numeric(m.get(f"{C.N_INSPECCIONES}_despues"), errors="coerce").fillna(0)
    moved = m[m["clase_antes"] != m["clase_despues"]]
    rows = []
    for i, r in moved.iterrows():
        own = bool(n_b[i] != n_a[i])
        rows.append({
            C.UBIGEO: r[C.UBIGEO],
            C.DISTRITO: r.get(f"{C.DISTRITO}_despues", ""),
            C.DEPARTAMENTO: r.get(f"{C.DEPARTAMENTO}_despues", ""),
            "clase_antes": int(r["clase_antes"]), "clase_despues": int(r["clase_despues"]),
            "riesgo_antes": float(r[f"{C.RIESGO}_antes"]),
            "riesgo_despues": float(r[f"{C.RIESGO}_despues"]),
            "n_antes": int(n_a[i]), "n_despues": int(n_b[i]),
            "motivo": NUEVOS_REGISTROS if own else REAJUSTE,
        })
    dep = m[C.UBIGEO].str[:2]
    per_dep = {code: {"distritos": int((dep == code).sum()),
                      "cambian_de_clase": int(((dep == code)
                                               & (m["clase_antes"] != m["clase_despues"])).sum())}
               for code in sorted(dep.unique())}
    out: dict[str, Any] = {
        "distritos": sorted(rows, key=lambda r: (r[C.DEPARTAMENTO], -abs(
            r["riesgo_despues"] - r["riesgo_antes"]))),
        "por_departamento": per_dep,
        "nuevas_inspecciones": int((n_b - n_a).clip(lower=0).sum()),
        "distritos_con_registros_nuevos": int((n_b != n_a).sum()),
    }
    coef_a = (before.attrs.get("metadatos") or {}).get("coeficientes")
    coef_b = (after.attrs.get("metadatos") or {}).get("coeficientes")
    if coef_a and coef_b:
        old = {c["factor"]: c["peso"] for c in coef_a}
        out["pesos"] = [{"factor": c["factor"], "nombre": c.get("nombre", c["factor"]),
                         "antes": float(old.get(c["factor"], float("nan"))),
                         "despues": float(c["peso"])} for c in coef_b]
    return out


def write_changes(workdir: str | Path, changes: Mapping[str, Any]) -> Path:
    """Keep the last rescoring's comparison in ``<workdir>/cambios.json`` (atomically).

    It holds exact counts before and after: owner-only (0600, :mod:`geo.private`).
    """
    payload = {"fecha": dt.datetime.now().isoformat(timespec="seconds"), **changes}
    return write_private(Path(workdir) / CHANGES_FILE,
                         json.dumps(payload, ensure_ascii=False, indent=2, default=float))


def read_changes(workdir: str | Path) -> dict[str, Any] | None:
    """Return the last rescoring's comparison, or ``None`` before the first one."""
    path = Path(workdir) / CHANGES_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_rescoring(settings: Settings, new: pd.DataFrame) -> dict[str, Any] | None:
    """Compare ``new`` scores with the deployment's stored ones and keep the comparison.

    Call it before ``write_scores(new, settings.scores_gpkg, ...)`` replaces them. Returns
    the comparison (also in ``<workdir>/cambios.json``), or ``None`` on a first scoring.
    """
    path = Path(settings.scores_gpkg)
    if not path.is_file():
        return None
    try:
        old = pd.DataFrame(pyogrio.read_dataframe(path, layer="riesgo", read_geometry=False))
        meta = dict(pyogrio.read_dataframe(path, layer="metadatos").to_numpy())
    except Exception:  # noqa: BLE001 - an unreadable old layer: nothing to compare with
        return None
    try:
        old.attrs["metadatos"] = {"coeficientes": json.loads(meta.get("coeficientes", "null"))}
    except ValueError:
        pass
    changes = what_changed(old, new)
    write_changes(settings.workdir, changes)
    return changes
