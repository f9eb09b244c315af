"""What the Datos page says about the records: counts a role may see, sources, progress.

Sentences only (the session's language); the counts they are given are already the ones
the role may read (:mod:`dashboard.state.disclosure`).
"""

from __future__ import annotations

import pandas as pd

from dashboard import state
from dashboard.i18n import t, tr
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
    return f"{n}"


def sources_text(n_history: int, history_name: str, n_store: int, k: int = 1,
                 who=None) -> str:
    """Plain words: where the model's inspection records come from (counts shown at ``k``)."""
    h, n = shown_count(n_history, k, who), shown_count(n_store, k, who)
    if history_name:
        es_file = (f"el archivo histórico de la configuración (`{history_name}`, "
                   f"{h} registros de sus regiones)")
        en_file = (f"the configured history file (`{history_name}`, {h} records of your "
                   "regions)")
    else:
        es_file = "ningún archivo histórico (la configuración no nombra ninguno)"
        en_file = "no history file (the settings name none)"
    return tr(
        f"**De dónde salen los registros del modelo:** {es_file} **más** el almacén de "
        f"inspecciones ({n} registros importados). Si un registro importado tiene el "
        "mismo `id` que uno del archivo, vale el importado (es la corrección).",
        f"**Where the model's records come from:** {en_file} **plus** the inspection store "
        f"({n} imported records). When an imported record has the same `id` as one "
        "in the file, the imported one is used (it is the correction).")


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
    fixed_es = (f"; {result.corrected} corrigen registros del archivo histórico"
                if result.corrected else "")
    fixed_en = (f"; {result.corrected} correct records of the history file"
                if result.corrected else "")
    return tr(
        f"Importado: {result.added} registros nuevos{fixed_es}, {result.already_present} ya "
        f"estaban en el almacén (no se duplican; {result.completed} completados con víctimas "
        f"por sexo, edad u origen que les faltaban). Huella del archivo: "
        f"{result.sha256[:12]}…",
        f"Imported: {result.added} new records{fixed_en}, {result.already_present} were "
        f"already in the store (not duplicated; {result.completed} completed with the "
        f"victims' sex, age or origin they lacked). File fingerprint: {result.sha256[:12]}…")
