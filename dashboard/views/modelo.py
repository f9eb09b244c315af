"""Modelo: the honest backtest against the baselines, calibration, coefficients, model card."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import get_lang, tr

METHODS = {
    "modelo": ("Modelo de riesgo", "Risk model"),
    "aleatorio": ("Al azar", "Random"),
    "tasa_pasada": ("Hallazgos pasados", "Past findings"),
    "pobreza": ("Pobreza", "Poverty"),
    "indice_experto": ("Índice experto", "Expert index"),
}
METRICS = {
    "acierto": ("Tasa de acierto en los {k} de mayor riesgo",
                "Hit rate in the top {k} by risk"),
    "lift": ("Mejora sobre el azar (lift) en los {k}", "Lift over random in the top {k}"),
    "brier": ("Brier (menor es mejor)", "Brier (lower is better)"),
    "captura_top10": ("Captura del 10 % de mayor riesgo verdadero",
                      "Capture of the true top 10 %"),
}


def method_label(name: str) -> str:
    return tr(*METHODS[name]) if name in METHODS else name


def metric_frame(metricas: dict) -> pd.DataFrame:
    rows = []
    for method, values in metricas.items():
        for metric, summary in values.items():
            ci = summary.get("ic95") or [None, None]
            rows.append({"metodo": method_label(method), "metrica": metric,
                         "valor": summary.get("valor"), "p025": ci[0], "p975": ci[1]})
    return pd.DataFrame(rows)


ui.page_header(
    tr("Cómo se comporta el modelo", "How the model performs"),
    tr("Evaluación honesta: se entrena con los años pasados y se puntúa el año siguiente (y, "
       "aparte, se retienen provincias enteras), comparado con reglas simples.",
       "Honest evaluation: trained on past years and scored on the next year (and, "
       "separately, whole provinces held out), compared with simple rules."),
)

with ui.guard():
    card = state.evaluation()
    st.caption(" · ".join(str(x) for x in (
        card.get("version_modelo"), card.get("generado"),
        tr("configuración ", "config ") + str(card.get("hash_configuracion", ""))[:12],
    ) if x))
    datos = card.get("datos") or {}
    if datos:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(tr("Distritos", "Districts"), datos.get("distritos", "—"))
        c2.metric(tr("Inspecciones", "Inspections"), datos.get("inspecciones", "—"))
        c3.metric(tr("Hallazgos", "Findings"), datos.get("hallazgos", "—"))
        c4.metric(tr("Periodo", "Period"),
                  f"{str(datos.get('desde', ''))[:4]}–{str(datos.get('hasta', ''))[:4]}")

    evaluations = card.get("evaluacion") or {}
    kinds = [k for k in ("temporal", "espacial") if evaluations.get(k, {}).get("metricas")]
    if not kinds:
        st.info(tr("La ficha no trae métricas de evaluación.",
                   "The model card carries no evaluation metrics."))
    else:
        lang = get_lang()  # bound now: format functions may be called outside the run
        kind = st.radio(
            tr("Evaluación", "Evaluation"), kinds, key="modelo_evaluacion", horizontal=True,
            format_func=lambda k: {
                "temporal": tr("En el tiempo (años siguientes)", "Over time (following years)",
                               lang=lang),
                "espacial": tr("En el espacio (provincias retenidas)",
                               "Over space (held-out provinces)", lang=lang)}[k],
        )
        ev = evaluations[kind]
        folds = ev.get("pliegues") or []
        if folds:
            st.caption(tr(f"Periodos evaluados: {', '.join(map(str, folds))} · "
                          f"{ev.get('inspecciones_prueba', '?')} inspecciones de prueba, "
                          f"{ev.get('hallazgos_prueba', '?')} hallazgos.",
                          f"Periods scored: {', '.join(map(str, folds))} · "
                          f"{ev.get('inspecciones_prueba', '?')} test inspections, "
                          f"{ev.get('hallazgos_prueba', '?')} findings."))
        frame = metric_frame(ev["metricas"])
        ks = sorted({int(m.split("_")[1]) for m in frame["metrica"]
                     if m.startswith("acierto_") and m.split("_")[1].isdigit()})
        st.markdown("### " + tr("Tasa de acierto en los k distritos de mayor riesgo",
                                "Hit rate in the top-k districts"))
        if ks:
            k = st.radio("k", ks, key="modelo_k", horizontal=True) if len(ks) > 1 else ks[0]
            hit = frame[frame["metrica"] == f"acierto_{k}"]
            base = alt.Chart(hit).encode(
                y=alt.Y("metodo:N", sort="-x", title=None),
            )
            chart = base.mark_bar(color="#7570b3").encode(
                x=alt.X("valor:Q", title=tr(*METRICS["acierto"]).format(k=k),
                        axis=alt.Axis(format="%")),
                tooltip=["metodo", alt.Tooltip("valor:Q", format=".1%"),
                         alt.Tooltip("p025:Q", format=".1%"), alt.Tooltip("p975:Q", format=".1%")],
            ) + base.mark_rule(color="#222").encode(x="p025:Q", x2="p975:Q")
            st.altair_chart(chart.properties(height=220), width="stretch")
            st.caption(tr("Barras: proporción de inspecciones con hallazgo en los k distritos que "
                          "cada método pone primero; líneas: intervalo bootstrap del 95 %.",
                          "Bars: share of inspections with findings in the k districts each "
                          "method ranks first; lines: 95 % bootstrap interval."))
        wide = frame.pivot_table(index="metodo", columns="metrica", values="valor")
        st.dataframe(wide.round(3), width="stretch", key="modelo_metricas")
        diffs = ev.get("diferencias") or {}
        if diffs:
            st.markdown("#### " + tr("Modelo menos cada referencia", "Model minus each baseline"))
            dframe = metric_frame(diffs)
            dframe = dframe[dframe["metrica"].str.startswith(("acierto", "brier"))]
            dframe["ic95"] = dframe.apply(lambda r: f"[{r.p025:.3f}, {r.p975:.3f}]"
                                          if pd.notna(r.p025) else "", axis=1)
            st.dataframe(dframe[["metodo", "metrica", "valor", "ic95"]].round(3),
                         hide_index=True, width="stretch")
            st.caption(tr("Positivo: el modelo acierta más (en Brier, negativo es mejor). Un "
                          "intervalo que cruza 0 no muestra diferencia clara.",
                          "Positive: the model hits more (for Brier, negative is better). An "
                          "interval crossing 0 shows no clear difference."))

        c1, c2 = st.columns(2)
        with c1:
            st.markdown("### " + tr("Calibración", "Calibration"))
            cal = pd.DataFrame(ev.get("calibracion") or [])
            if {"riesgo_medio", "tasa_observada"} <= set(cal.columns):
                top = float(max(cal["riesgo_medio"].max(), cal["tasa_observada"].max()))
                diag = pd.DataFrame({"x": [0, top], "y": [0, top]})
                st.altair_chart(
                    alt.Chart(diag).mark_line(strokeDash=[4, 4], color="#888").encode(
                        x="x:Q", y="y:Q")
                    + alt.Chart(cal).mark_line(point=True, color="#d95f02").encode(
                        x=alt.X("riesgo_medio:Q", title=tr("Riesgo predicho", "Predicted risk"),
                                axis=alt.Axis(format="%")),
                        y=alt.Y("tasa_observada:Q", title=tr("Tasa observada", "Observed rate"),
                                axis=alt.Axis(format="%")),
                        tooltip=list(cal.columns)),
                    width="stretch",
                )
                st.caption(tr("Sobre la diagonal, lo predicho coincide con lo observado.",
                              "On the diagonal, predicted matches observed."))
            else:
                st.info(tr("Sin datos de calibración.", "No calibration data."))

    with (c2 if kinds else st.container()):
        st.markdown("### " + tr("Coeficientes", "Coefficients"))
        coefs = pd.DataFrame((card.get("modelo") or {}).get("coeficientes") or [])
        if len(coefs):
            st.dataframe(coefs.round(3), hide_index=True, width="stretch",
                         key="modelo_coeficientes")
            st.caption(tr("Peso en la escala estandarizada (positivo sube el riesgo) frente al "
                          "peso experto del que parte.",
                          "Weight on the standardised scale (positive raises the risk) against "
                          "the expert weight it starts from."))
        else:
            st.info(tr("Sin tabla de coeficientes.", "No coefficient table."))

    caveats = card.get("advertencias") or []
    if caveats:
        st.markdown("### " + tr("Advertencias", "Caveats"))
        st.markdown("\n".join(f"- {c}" for c in caveats))
    with st.expander(tr("Ficha del modelo completa", "Full model card")):
        st.json(card, expanded=False)
    st.download_button(
        tr("Descargar la ficha del modelo (JSON)", "Download the model card (JSON)"),
        data=json.dumps(card, ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        file_name="ficha_modelo.json", mime="application/json", key="modelo_descargar",
    )
    try:
        from models.evaluation import card_to_markdown

        markdown = card_to_markdown(card)
    except Exception:  # noqa: BLE001 - the JSON download is enough if this fails
        markdown = None
    if markdown:
        st.download_button(
            tr("Descargar la ficha del modelo (Markdown)", "Download the model card (Markdown)"),
            data=markdown.encode("utf-8"), file_name="ficha_modelo.md", mime="text/markdown",
            key="modelo_descargar_md",
        )
