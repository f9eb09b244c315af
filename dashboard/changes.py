"""The "what changed" panel after a rescoring (Datos after the button, Modelo always).

Reads the comparison :func:`models.risk.explain.record_rescoring` kept
in ``<workdir>/cambios.json``.
What each role sees, decided here on the server:

- every role: when the model was refitted and how its weights moved (the model card
  publishes the weights to every role anyway);
- the planner (record access): how many districts of its regions changed map class, which,
  their classes and risks before and after, and whether the move came from their own new
  records or from the refit. The counts are made on the raw risks: for a role whose map
  shows protected risks they would tell which suppressed districts were inspected again, so
  nothing of them is sent to its browser.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.i18n import FEATURE_WORDS, tr
from dashboard.layer_words import FALTA, feature_words
from geo import columns as C
from geo.trust.access import ROL_PLANIFICADOR, Principal
from models.risk.explain import NUEVOS_REGISTROS, read_changes


def show_changes(workdir, who: Principal, lang: str) -> bool:
    """Draw the last rescoring's changes for ``who``; return False when there is none."""
    changes = read_changes(workdir)
    if not changes:
        return False
    regions = set(who.regions) if who.regions else None
    per_dep = {code: v for code, v in (changes.get("por_departamento") or {}).items()
               if regions is None or code in regions}
    moved = sum(v["cambian_de_clase"] for v in per_dep.values())
    total = sum(v["distritos"] for v in per_dep.values())
    when = str(changes.get("fecha", ""))[:16].replace("T", " ")
    st.markdown("#### " + tr("Qué cambió en el último recálculo", "What changed in the last "
                             "rescoring"))
    planner = who.role == ROL_PLANIFICADOR
    if not planner:
        st.caption(tr(f"Recálculo del {when}: el modelo se ajustó de nuevo con las "
                      "inspecciones registradas.",
                      f"Rescoring of {when}: the model was fitted again on the recorded "
                      "inspections.", lang))
    else:
        st.caption(tr(
            f"Recálculo del {when}: {moved} de {total} distritos cambiaron de clase en el mapa. "
            "Las clases son quintiles del riesgo de cada departamento: un distrito puede "
            "cambiar de clase porque otros lo pasan, aunque su riesgo cambie poco.",
            f"Rescoring of {when}: {moved} of {total} districts changed map class. Classes "
            "are quintiles of each department's risk: a district can change class because "
            "others pass it, even if its own risk barely moves.", lang))
    rows = [d for d in changes.get("distritos", [])
            if regions is None or str(d[C.UBIGEO])[:2] in regions]
    if planner and rows:
        table = pd.DataFrame(rows)
        own = table["motivo"] == NUEVOS_REGISTROS
        st.caption(tr(
            f"{int(own.sum())} por registros nuevos del propio distrito, {int((~own).sum())} por "
            "el reajuste del modelo (los registros nuevos de otros distritos movieron los "
            "pesos).",
            f"{int(own.sum())} because of the district's own new records, {int((~own).sum())} "
            "because the model was refitted (other districts' new records moved the weights)."))
        shown = pd.DataFrame({
            tr("Distrito", "District"): table[C.DISTRITO],
            tr("Departamento", "Department"): table[C.DEPARTAMENTO],
            tr("Clase", "Class"): table["clase_antes"].astype(str) + " → "
            + table["clase_despues"].astype(str),
            tr("Riesgo", "Risk"): [f"{100 * a:.1f} → {100 * b:.1f} %" for a, b in
                                   zip(table["riesgo_antes"], table["riesgo_despues"],
                                       strict=True)],
            tr("Inspecciones", "Inspections"): table["n_antes"].astype(str) + " → "
            + table["n_despues"].astype(str),
            tr("Por qué", "Why"): [tr("registros nuevos propios", "own new records", lang)
                                   if m == NUEVOS_REGISTROS else
                                   tr("reajuste del modelo", "model refit", lang)
                                   for m in table["motivo"]],
        })
        st.dataframe(shown, hide_index=True, width="stretch")
    weights = changes.get("pesos") or []
    if weights:
        moved_w = sorted(weights, key=lambda w: -abs(w["despues"] - w["antes"]))[:3]
        # as many decimals as it takes for the move to show ("+0.37 → +0.37" said nothing)
        digits = next((d for d in (2, 3, 4) if all(
            round(w["antes"], d) != round(w["despues"], d) for w in moved_w)), 4)
        st.caption(tr("Los pesos que más se movieron: ", "The weights that moved most: ", lang)
                   + "; ".join(f"{_weight_name(w, lang)} {w['antes']:+.{digits}f} → "
                               f"{w['despues']:+.{digits}f}" for w in moved_w) + ".")
    return True


def _weight_name(weight: dict, lang: str) -> str:
    """Name a weight's factor in the page's language (a layer, a missing-value indicator)."""
    name = str(weight["factor"])
    try:
        facts, patterns = state.layer_facts(), state.missing_patterns()
    except Exception:  # noqa: BLE001 - the stored name is still a name
        return str(weight.get("nombre", name))
    if name.startswith(FALTA) or name in facts or name in FEATURE_WORDS:
        return feature_words(name, facts, lang, patterns)
    return str(weight.get("nombre", name))
