"""Refit and rescore after an import: the map, the cards and the model card follow the store.

What ``riskmap score`` and ``riskmap evaluate`` do, run by the system for a planner who
pressed the Datos page's button: the model learns from every region's records (read as
the system), the planner sees only the scores, never the other regions' records.
"""

from __future__ import annotations

from collections.abc import Callable

from dashboard.state.files import settings
from dashboard.state.loaders import store
from geo.records.inspections import load_records
from geo.records.store import ROL_SISTEMA, InspectionStore
from geo.trust.access import Principal
from models.evaluation.backtest import EVALUATION_FILE, evaluate, write_card
from models.risk.explain import record_rescoring
from models.risk.score import read_district_table, score_districts, write_scores

#: The steps of :func:`rescore`, as they are reported: ``(share done, step)``.
STEPS = {"leer": 0.0, "ajustar": 0.25, "guardar": 0.8, "evaluar": 0.85, "listo": 1.0}


def rescore(who: Principal, progress: Callable[[float, str, object], None]) -> None:
    """Refit and rescore on all records, then evaluate again, as ``who`` asked (audited).

    ``progress(share, step, detail)`` is called before each step (``STEPS``); at
    ``"ajustar"`` the detail is every record the model learns from, so the page can say how
    many of them are the planner's own. Writes the scores, what moved and why (for the
    Modelo page) and the model card of the model that now scores the map.
    """
    s = settings()
    progress(STEPS["leer"], "leer", None)
    store(who).record_event("recalculo", {})
    records = load_records(s, store=InspectionStore(s.store_path, role=ROL_SISTEMA,
                                                    user=who.user), user=who.user)
    progress(STEPS["ajustar"], "ajustar", records)
    districts = read_district_table(s)  # once, for the scores and the evaluation
    scores = score_districts(s, districts, records)
    progress(STEPS["guardar"], "guardar", None)
    record_rescoring(s, scores)  # what moved and why, for the Modelo page
    write_scores(scores, s.scores_gpkg, s)
    progress(STEPS["evaluar"], "evaluar", None)
    # the Modelo page shows the model that now scores the map, not the one before
    write_card(evaluate(s, districts, records), s.workdir / EVALUATION_FILE)
    progress(STEPS["listo"], "listo", None)
