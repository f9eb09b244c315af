"""Modelo: the honest backtest against the baselines, calibration, coefficients, model card."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import tr

# Accepted names for the sections of the model card (models.evaluation writes it).
BACKTEST_KEYS = ("backtest", "hit_rate", "tasa_acierto")
CALIBRATION_KEYS = ("calibracion", "calibration")
COEF_KEYS = ("coeficientes", "coefficients", "coef")


def section(card: dict[str, Any], keys: tuple[str, ...]) -> pd.DataFrame | None:
    for key in keys:
        value = card.get(key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return pd.DataFrame(value)
        if isinstance(value, dict) and value:
            try:
                return pd.DataFrame(value)
            except ValueError:
                return pd.DataFrame([value])
    return None


def pick(df: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in df.columns), None)


ui.page_header(
    tr("Cómo se comporta el modelo", "How the model performs"),
    tr("Evaluación honesta en el tiempo: se entrena con los años pasados y se puntúa el año "
       "siguiente, comparado con reglas simples.",
       "Honest evaluation over time: trained on past years, scored on the next year, compared "
       "with simple rules."),
)

with ui.guard():
    card = state.evaluation()
    meta_bits = [f"{k}: {card[k]}" for k in ("modelo", "model", "version", "fecha", "date")
                 if k in card and not isinstance(card[k], dict | list)]
    if meta_bits:
        st.caption(" · ".join(meta_bits))

    st.markdown("### " + tr("Tasa de acierto en los k distritos de mayor riesgo, por año",
                            "Hit rate in the top-k districts, by year"))
    bt = section(card, BACKTEST_KEYS)
    if bt is not None:
        year = pick(bt, "anio", "año", "year", "periodo")
        method = pick(bt, "metodo", "método", "method", "modelo", "model")
        value = pick(bt, "tasa_acierto", "hit_rate", "precision_at_k", "valor", "value")
        if year and method and value:
            ks = sorted(bt["k"].unique()) if "k" in bt else []
            if len(ks) > 1:
                k = st.select_slider("k", ks, key="modelo_k")
                bt = bt[bt["k"] == k]
            st.altair_chart(
                alt.Chart(bt).mark_line(point=True).encode(
                    x=alt.X(f"{year}:O", title=tr("Año evaluado", "Year scored")),
                    y=alt.Y(f"{value}:Q", title=tr("Tasa de acierto", "Hit rate"),
                            axis=alt.Axis(format="%")),
                    color=alt.Color(f"{method}:N", title=tr("Método", "Method"),
                                    scale=alt.Scale(scheme="dark2")),
                    strokeDash=alt.StrokeDash(f"{method}:N", legend=None),
                    tooltip=list(bt.columns),
                ).properties(height=320),
                use_container_width=True,
            )
            summary = bt.groupby(method)[value].mean().sort_values(ascending=False)
            st.dataframe(summary.rename(tr("Media", "Mean")).to_frame().style.format("{:.1%}"),
                         use_container_width=True)
        else:
            st.dataframe(bt, hide_index=True, use_container_width=True)
    else:
        st.info(tr("La evaluación no incluye backtest.", "The evaluation has no backtest."))

    c1, c2 = st.columns(2)
    with c1:
        st.markdown("### " + tr("Calibración", "Calibration"))
        cal = section(card, CALIBRATION_KEYS)
        pred = pick(cal, "predicho", "predicted", "mean_predicted") if cal is not None else None
        obs = pick(cal, "observado", "observed", "fraction_positive") if cal is not None else None
        if cal is not None and pred and obs:
            diag = pd.DataFrame({pred: [0, cal[pred].max()], obs: [0, cal[pred].max()]})
            st.altair_chart(
                alt.Chart(diag).mark_line(strokeDash=[4, 4], color="#888").encode(
                    x=f"{pred}:Q", y=f"{obs}:Q")
                + alt.Chart(cal).mark_line(point=True, color="#d95f02").encode(
                    x=alt.X(f"{pred}:Q", title=tr("Riesgo predicho", "Predicted risk")),
                    y=alt.Y(f"{obs}:Q", title=tr("Proporción observada", "Observed share")),
                    tooltip=list(cal.columns)),
                use_container_width=True,
            )
            st.caption(tr("Sobre la diagonal, el riesgo predicho coincide con lo observado.",
                          "On the diagonal, predicted risk matches what was observed."))
        elif cal is not None:
            st.dataframe(cal, hide_index=True)
        else:
            st.info(tr("Sin datos de calibración.", "No calibration data."))
    with c2:
        st.markdown("### " + tr("Coeficientes", "Coefficients"))
        coef = section(card, COEF_KEYS)
        if coef is not None:
            st.dataframe(coef.round(3), hide_index=True, use_container_width=True)
            st.caption(tr("Coeficientes en la escala estandarizada: positivo sube el riesgo.",
                          "Coefficients on the standardised scale: positive raises the risk."))
        else:
            st.info(tr("Sin tabla de coeficientes.", "No coefficient table."))

    other = {k: v for k, v in card.items()
             if k not in (*BACKTEST_KEYS, *CALIBRATION_KEYS, *COEF_KEYS)}
    with st.expander(tr("Ficha del modelo completa", "Full model card")):
        st.json(other, expanded=False)
    st.download_button(
        tr("Descargar la ficha del modelo (JSON)", "Download the model card (JSON)"),
        data=json.dumps(card, ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        file_name="ficha_modelo.json", mime="application/json", key="modelo_descargar",
    )
    md = state.settings().workdir / "evaluacion.md"
    if md.exists():
        st.download_button(
            tr("Descargar la ficha del modelo (Markdown)", "Download the model card (Markdown)"),
            data=md.read_bytes(), file_name="ficha_modelo.md", mime="text/markdown",
            key="modelo_descargar_md",
        )
