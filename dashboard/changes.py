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
from dashboard.i18n import FEATURE_WORDS, t
from dashboard.layer_words import FALTA, feature_words
from geo import columns as C
from geo.formatting import format_field, format_percent
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
    st.markdown("#### " + t("cambios.cambio_ultimo_recalculo"))
    planner = who.role == ROL_PLANIFICADOR
    if not planner:
        st.caption(t("cambios.recalculo_modelo_ajusto_nuevo", lang=lang, when=when))
    else:
        st.caption(t("cambios.recalculo_distritos_cambiaron_clase", lang=lang, when=when,
                     moved=moved, total=total))
    rows = [d for d in changes.get("distritos", [])
            if regions is None or str(d[C.UBIGEO])[:2] in regions]
    if planner and rows:
        table = pd.DataFrame(rows)
        own = table["motivo"] == NUEVOS_REGISTROS
        st.caption(t("cambios.registros_nuevos_propio_distrito", own=int(own.sum()),
                     own_2=int((~own).sum())))
        shown = pd.DataFrame({
            t("comun.distrito"): table[C.DISTRITO],
            t("comun.departamento"): table[C.DEPARTAMENTO],
            t("cambios.clase"): table["clase_antes"].astype(str) + " → "
            + table["clase_despues"].astype(str),
            t("comun.riesgo"): [f"{format_percent(a)} → {format_percent(b)}" for a, b in
                                   zip(table["riesgo_antes"], table["riesgo_despues"],
                                       strict=True)],
            t("comun.inspecciones"): table["n_antes"].astype(str) + " → "
            + table["n_despues"].astype(str),
            t("cambios.why"): [t("cambios.registros_nuevos_propios", lang=lang)
                                   if m == NUEVOS_REGISTROS else
                                   t("cambios.reajuste_modelo", lang=lang)
                                   for m in table["motivo"]],
        })
        st.dataframe(shown, hide_index=True, width="stretch")
    weights = changes.get("pesos") or []
    if weights:
        moved_w = sorted(weights, key=lambda w: -abs(w["despues"] - w["antes"]))[:3]
        # as many decimals as it takes for the move to show ("+0.37 → +0.37" said nothing)
        digits = next((d for d in (2, 3, 4) if all(
            round(w["antes"], d) != round(w["despues"], d) for w in moved_w)), 4)
        sign = f"+.{digits}f"  # signed, with those decimals
        st.caption(t("cambios.pesos_movieron", lang=lang)
                   + "; ".join(f"{_weight_name(w, lang)} {format_field(w['antes'], sign)} → "
                               f"{format_field(w['despues'], sign)}" for w in moved_w) + ".")
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
