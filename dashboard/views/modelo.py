"""Modelo: the honest backtest against the baselines, calibration, coefficients, model card.

The page lays out; what it shows of the card is computed in :mod:`dashboard.model_view`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.changes import show_changes
from dashboard.i18n import get_lang, t
from dashboard.layer_words import feature_words
from dashboard.model_view import (
    MISSING,
    alert_count,
    alerts_table,
    calibration_frame,
    card_byline,
    card_json,
    card_markdown,
    caveats_for,
    coefficient_table,
    dated_layer_names,
    differences_table,
    evaluated_on_other_records,
    half_life_text,
    layers_frame,
    metric_frame,
    metrics_table,
    per_year_frame,
    period_text,
    selection_key,
    top_ks,
)
from geo.formatting import format_number
from geo.messages import Message


def model_layers() -> None:
    """The model's sector layers, each saying what it is, and what a missing value does."""
    lang = get_lang()
    facts = state.layer_facts()
    if not facts:
        return
    st.markdown("### " + t("modelo.capas_modelo"))
    layers = layers_frame(facts, lang)
    licence = t("comun.layer_source_columns.licencia", lang=lang)
    ui.table(layers, key="modelo_capas", main=[c for c in layers.columns if c != licence],
             wrap=(t("comun.layer_source_columns.fuente", lang=lang), licence))
    patterns = state.missing_patterns()
    said = [feature_words(name, facts, lang, patterns) for name in patterns]
    st.caption(t("modelo.real_simulada_valor_vacio",
                 said=": " + "; ".join(said) + "." if said else "."))


ui.page_header(
    t("modelo.comporta_modelo"),
    t("modelo.evaluacion_honesta_entrena_con"),
)

with ui.guard():
    who = ui.principal()
    card = state.evaluation_for(who)
    st.caption(card_byline(card))
    datos = card.get("datos") or {}
    if datos:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(t("comun.distritos"), datos.get("distritos", "—"))
        c2.metric(t("comun.inspecciones"), datos.get("inspecciones", "—"))
        c3.metric(t("comun.meta.n_hallazgos"), datos.get("hallazgos", "—"))
        c4.metric(t("modelo.periodo"), period_text(datos))
        scored = state.metadata_values().get("n_inspecciones")
        if evaluated_on_other_records(datos, scored):
            st.warning(t("modelo.capa_riesgo_calculo_con", scored=scored,
                         inspecciones=datos['inspecciones']))
    show_changes(state.settings().workdir, who, get_lang())

    evaluations = card.get("evaluacion") or {}
    kinds = [k for k in ("temporal", "espacial") if evaluations.get(k, {}).get("metricas")]
    if not kinds:
        st.info(t("modelo.ficha_no_trae_metricas"))
    else:
        lang = get_lang()  # bound now: format functions may be called outside the run
        kind = st.radio(
            t("modelo.evaluacion"), kinds, key="modelo_evaluacion", horizontal=True,
            format_func=lambda k: {
                "temporal": t("modelo.tiempo_anos_siguientes", lang=lang),
                "espacial": t("modelo.espacio_provincias_retenidas", lang=lang)}[k],
        )
        ev = evaluations[kind]
        folds = ev.get("pliegues") or []
        if folds:
            st.caption(t("modelo.periodos_evaluados_inspecciones_prueba",
                         folds=', '.join(map(str, folds)),
                         inspecciones_prueba=ev.get('inspecciones_prueba', '?'),
                         hallazgos_prueba=ev.get('hallazgos_prueba', '?')))
        frame = metric_frame(ev["metricas"])
        ks = top_ks(frame)
        st.markdown("### " + t("modelo.tasa_acierto_distritos_mayor"))
        if ks:
            k = st.radio("k", ks, key="modelo_k", horizontal=True) if len(ks) > 1 else ks[0]
            hit = frame[frame["metrica"] == f"acierto_{k}"]
            hit_title = t("modelo.acierto")
            base = alt.Chart(hit).encode(
                y=alt.Y("metodo:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            )
            chart = base.mark_bar(color="#7570b3").encode(
                x=alt.X("valor:Q", title=t("modelo.parte_hallazgos_distritos_metodo", k=k),
                        axis=alt.Axis(format="%", tickCount=8)),
                tooltip=[alt.Tooltip("metodo:N", title=t("modelo.metodo")),
                         alt.Tooltip("valor:Q", format=".1%", title=hit_title),
                         alt.Tooltip("p025:Q", format=".1%", title=t("modelo.ic_95")),
                         alt.Tooltip("p975:Q", format=".1%", title=t("modelo.ic_95_hasta"))],
            ) + base.mark_rule(color="#222").encode(x="p025:Q", x2="p975:Q")
            st.altair_chart(chart.properties(height=220), width="stretch")
            st.caption(t("modelo.barras_parte_hallazgos_periodo"))
        yearly = per_year_frame(ev)
        if yearly is not None:
            st.markdown("#### " + t("modelo.acierto_10_primeros_ano"))
            st.altair_chart(
                alt.Chart(yearly).mark_line(point=True).encode(
                    x=alt.X("anio:O", title=t("modelo.ano_prueba")),
                    y=alt.Y("valor:Q", title=t("modelo.acierto"), axis=alt.Axis(format="%")),
                    color=alt.Color("metodo:N", title=t("modelo.metodo"),
                                    legend=alt.Legend(orient="bottom")),
                    tooltip=[alt.Tooltip("anio:O", title=t("comun.anio")),
                             alt.Tooltip("metodo:N", title=t("modelo.metodo")),
                             alt.Tooltip("valor:Q", format=".1%", title=t("modelo.acierto"))],
                ).properties(height=260),
                width="stretch",
            )
        st.markdown("#### " + t("modelo.todas_metricas"))
        table, config = metrics_table(ev["metricas"])
        ui.table(table, key="modelo_metricas", main=list(table.columns[:5]),
                 column_config=config)  # the method and hit rates; the rest on demand
        st.caption(t("modelo.pase_cursor_nombre_columna"))
        diffs = ev.get("diferencias") or {}
        if diffs:
            st.markdown("#### " + t("modelo.modelo_menos_referencia"))
            st.dataframe(differences_table(diffs), hide_index=True, width="stretch",
                         placeholder=MISSING)
            st.caption(t("modelo.diferencia_intervalo_95_positivo"))

        # the chart and the coefficient table side by side cut the table's last columns off
        c1, c2 = st.columns([2, 3])
        with c1:
            st.markdown("### " + t("modelo.calibracion"))
            cal = calibration_frame(ev)
            if cal is not None:
                top = float(max(cal["riesgo_medio"].max(), cal["tasa_observada"].max()))
                diag = pd.DataFrame({"x": [0, top], "y": [0, top]})
                predicted, observed = t("modelo.riesgo_predicho"), t("modelo.tasa_observada")
                tips = [alt.Tooltip("riesgo_medio:Q", format=".1%", title=predicted),
                        alt.Tooltip("tasa_observada:Q", format=".1%", title=observed)]
                if "inspecciones" in cal:
                    tips.append(alt.Tooltip("inspecciones:Q", title=t("comun.inspecciones")))
                if "hallazgos" in cal:
                    tips.append(alt.Tooltip("hallazgos:Q", title=t("comun.meta.n_hallazgos")))
                st.altair_chart(
                    alt.Chart(diag).mark_line(strokeDash=[4, 4], color="#888").encode(
                        x="x:Q", y="y:Q")
                    + alt.Chart(cal).mark_line(point=True, color="#d95f02").encode(
                        x=alt.X("riesgo_medio:Q", title=predicted, axis=alt.Axis(format="%")),
                        y=alt.Y("tasa_observada:Q", title=observed, axis=alt.Axis(format="%")),
                        tooltip=tips),
                    width="stretch",
                )
                st.caption(t("modelo.punto_agrupa_inspecciones_con"))
            else:
                st.info(t("modelo.sin_datos_calibracion"))

    with (c2 if kinds else st.container()):
        st.markdown("### " + t("modelo.coeficientes"))
        coefs = pd.DataFrame((card.get("modelo") or {}).get("coeficientes") or [])
        if len(coefs) and "factor" in coefs:
            shown, config = coefficient_table(coefs, state.layer_facts(),
                                              state.missing_patterns(), get_lang())
            # in 3/5 of the page: factor, weight and odds ratio; the rest on demand
            ui.table(shown, key="modelo_coeficientes", column_config=config,
                     main=[t(f"modelo.coef.{c}") for c in ("factor", "peso", "razon_de_odds")],
                     wrap=(shown.columns[0],))
            st.caption(t("modelo.peso_escala_estandarizada_positivo"))
        else:
            st.info(t("modelo.sin_tabla_coeficientes"))

    model_layers()

    model = card.get("modelo") or {}
    drift, selection = model.get("deriva") or {}, model.get("seleccion") or {}
    if drift or selection:
        st.markdown("### " + t("modelo.riesgo_mueve"))
        d1, d2, d3 = st.columns(3)
        half = drift.get("vida_media_anios")
        d1.metric(t("modelo.vida_media_historial"),
                  half_life_text(half),
                  help=t("modelo.inspeccion_pesa_edad_vida"))
        alerts = drift.get("alertas")
        n_alerts = alert_count(drift)
        d2.metric(t("comun.alertas_cambio"), n_alerts)
        if selection.get("spearman_con_sin") is not None:
            shared = selection.get("top10_compartidos", 0)
            d3.metric(t("modelo.ranking_con_sin_correccion"),
                      f"ρ = {format_number(selection['spearman_con_sin'], digits=3)}",
                      help=t("modelo.correlacion_spearman_dos_rankings", shared=shared))
        st.caption(t("modelo.vida_media_alertas_correccion",
                     method=Message(selection_key(selection))))
        strength = selection.get("denuncias_como_evidencia")
        spread = selection.get("dispersion_denuncias")
        if strength is not None:
            of = (Message("modelo.de_dispersion_total",
                          {"spread": format_number(spread, digits=2)}) if spread else "")
            st.caption(t("modelo.denuncias_como_evidencia", g=format_number(strength, digits=2),
                         of=of))
        descriptions = {spec.name: spec.description for spec in state.settings().layers}
        dated = dated_layer_names(drift, descriptions, get_lang())
        if dated:
            st.caption(t("modelo.capas_con_fecha_inspeccion", dated=', '.join(dated)))
        if alerts:
            st.dataframe(alerts_table(alerts, get_lang()),
                hide_index=True, width="stretch", key="modelo_alertas")
            st.caption(t("modelo.alerta_hallazgos_ultimos_anos"))

    caveats, untranslated = caveats_for(card, get_lang())
    if caveats:
        st.markdown("### " + t("modelo.advertencias"))
        if untranslated:
            st.caption("Caveats not translated yet are shown as written in the model "
                       "card (in Spanish).")
        st.markdown("\n".join(f"- {c}" for c in caveats))
    with st.expander(t("modelo.ficha_modelo_completa_json")):
        st.json(card, expanded=False)
    audit = state.store(who)

    def _audited(data: bytes, fmt: str):
        def download() -> bytes:  # runs on the click: each download is audited
            audit.record_event("exportacion", {"formato": fmt, "archivo": "ficha_modelo"})
            return data
        return download

    st.download_button(
        t("modelo.descargar_ficha_modelo_json"),
        data=_audited(card_json(card), "ficha_json"),
        file_name="ficha_modelo.json", mime="application/json", key="modelo_descargar",
        on_click="ignore",
    )
    markdown = card_markdown(card)
    if markdown:
        st.download_button(
            t("modelo.descargar_ficha_modelo_markdown"),
            data=_audited(markdown.encode("utf-8"), "ficha_md"), file_name="ficha_modelo.md",
            mime="text/markdown", key="modelo_descargar_md", on_click="ignore",
        )
