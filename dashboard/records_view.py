"""What the Datos page says about the records: counts a role may see, sources, progress.

Sentences only (the session's language); the counts they are given are already the ones
the role may read (:mod:`dashboard.state.disclosure`).
"""

from __future__ import annotations

import pandas as pd

from dashboard import state
from dashboard.i18n import t
from geo.formatting import format_number
from geo.messages import Message
from geo.trust.access import in_regions


def shown_count(n: int, k: int, who=None) -> str:
    """Return a count as the role may see it: "menos de k" from 1 to k-1 (k = 1: exact).

    With ``who``, any other count is :func:`dashboard.state.shown_total`'s (to the nearest
    5 for roles without record access), so that the page before and after one import does
    not say exactly what it added.
    """
    if 0 < n < k:
        return t("datos.menos", k=k)
    if n and who is not None and not who.may_read_records:
        total = state.shown_total(who, n)
        return t("datos.about", total=total)
    return format_number(n, digits=0)


def sources_text(n_history: int, history_name: str, n_store: int, k: int = 1,
                 who=None) -> str:
    """Plain words: where the model's inspection records come from (counts shown at ``k``)."""
    h, n = shown_count(n_history, k, who), shown_count(n_store, k, who)
    if history_name:
        history = Message("datos.archivo_historico_configuracion",
                          {"history_name": history_name, "h": h})
    else:
        history = Message("datos.ningun_archivo_historico")
    return t("datos.de_donde_salen_registros", history=history, n=n)


def fitting_text(records: pd.DataFrame, regions: tuple[str, ...]) -> str:
    """Return the rescore's progress text: the records of ``regions`` only (``()``: every one).

    The model learns from every region's records, but how many another region has is not
    a planner's to know (nor, by its change after an import, whether an id exists there).
    """
    n = len(in_regions(records, regions))
    if regions:
        return t("datos.ajustando_modelo_con_inspecciones_regiones_demas", n=n)
    return t("datos.ajustando_modelo_con_inspecciones", n=n)


def imported_text(result) -> str:
    """Say what an import did (no import number: that sequence counts every region's)."""
    fixed = (Message("datos.corrigen_registros_historico", {"n": result.corrected})
             if result.corrected else "")
    return t("datos.importado_registros_nuevos", added=result.added, fixed=fixed,
             present=result.already_present, completed=result.completed,
             sha=result.sha256[:12])
