"""The model card (``evaluacion.json``) as each role may see it."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from dashboard.state.files import _read_json, _require, mtime, settings
from geo.trust.access import Principal, in_regions

EVALUATION_FILE = "evaluacion.json"


def evaluation() -> dict[str, Any]:
    """Read the model card ``workdir/evaluacion.json`` written by ``riskmap evaluate``."""
    path = _require(settings().workdir / EVALUATION_FILE, "tablero.evaluacion_modelo")
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
            kept = ["ubigeo", "distrito", "alerta", "motivo", "p", "cambio_capas"]
            frame = pd.DataFrame(alerts)
            drift["alertas"] = in_regions(frame[[c for c in kept if c in frame]],
                                          who.regions).to_dict("records")
        else:
            drift["n_alertas"] = len(alerts)
    return card
