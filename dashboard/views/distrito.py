"""Distrito: the card a planner takes to a meeting."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import evidence_label, t, tr
from geo import columns as C

# Plain words for the base indicators; layers use their `description` from the settings.
FEATURE_WORDS = {
    C.POBREZA: ("Pobreza monetaria (%)", "Monetary poverty (%)"),
    C.POBLACION: ("Población", "Population"),
    C.IDH: ("Índice de desarrollo humano", "Human development index"),
    C.DENSIDAD: ("Densidad (hab./km²)", "Density (inhab./km²)"),
    C.ALTITUD: ("Altitud (m)", "Altitude (m)"),
    C.LEJANIA: ("Lejanía de la capital departamental (km)",
                "Distance to the department capital (km)"),
    C.AREA_KM2: ("Superficie (km²)", "Area (km²)"),
}


def feature_label(name: str, descriptions: dict[str, str]) -> str:
    if name in descriptions and descriptions[name]:
        return descriptions[name].split(" (")[0].split(":")[0]  # the short name only
    if name in FEATURE_WORDS:
        return tr(*FEATURE_WORDS[name])
    return name.replace("_", " ").capitalize()


ui.page_header(tr("Ficha del distrito", "District card"))

with ui.guard():
    settings = state.settings()
    scores = state.scores()
    options = scores.sort_values([C.DEPARTAMENTO, C.DISTRITO])
    labels = dict(zip(
        options[C.UBIGEO],
        options[C.DISTRITO] + " (" + options[C.PROVINCIA] + ", " + options[C.DEPARTAMENTO]
        + ") — " + options[C.UBIGEO], strict=True,
    ))

    wanted = st.session_state.pop("ubigeo", None) or st.query_params.get("ubigeo")
    if wanted in labels:
        st.session_state["distrito_sel"] = wanted
    query = st.text_input(
        tr("Buscar por nombre o UBIGEO", "Search by name or UBIGEO"), key="distrito_buscar",
        placeholder=tr("p. ej. Camanti o 081203", "e.g. Camanti or 081203"),
    )
    keys = list(labels)
    if query.strip():
        q = query.strip().lower()
        keys = [k for k in keys if q in labels[k].lower()]
        if not keys:
            st.warning(tr(f"Ningún distrito coincide con «{query}».",
                          f"No district matches '{query}'."))
            st.stop()
        if st.session_state.get("distrito_sel") not in keys:
            st.session_state["distrito_sel"] = keys[0]
    if st.session_state.get("distrito_sel") not in labels:
        st.session_state["distrito_sel"] = keys[0]
    ubigeo = st.selectbox(t("distrito"), keys, format_func=labels.get, key="distrito_sel")
    if st.query_params.get("ubigeo") != ubigeo:
        st.query_params["ubigeo"] = ubigeo

    row = scores[scores[C.UBIGEO] == ubigeo].iloc[0]
    same_dep = scores[scores[C.UBIGEO].str[:2] == ubigeo[:2]]
    st.subheader(f"{row[C.DISTRITO]} — {row[C.PROVINCIA]}, {row[C.DEPARTAMENTO]}")

    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("riesgo"), f"{100 * row[C.RIESGO]:.1f} %",
              help=tr("Probabilidad estimada de que una inspección encuentre indicios de "
                      "trabajo forzoso.", "Estimated probability that an inspection finds "
                      "forced-labour indicators."))
    m2.metric(t("intervalo"), f"{100 * row[C.RIESGO_P05]:.1f} – {100 * row[C.RIESGO_P95]:.1f} %")
    dep_rank = int((same_dep[C.RIESGO] > row[C.RIESGO]).sum()) + 1
    m3.metric(t("rango"), f"{int(row[C.RANGO])} / {len(scores)}",
              help=tr(f"Puesto {dep_rank} de {len(same_dep)} en {row[C.DEPARTAMENTO]}.",
                      f"Rank {dep_rank} of {len(same_dep)} in {row[C.DEPARTAMENTO]}."))
    m4.metric(t("evidencia"), evidence_label(row[C.EVIDENCIA]))
    st.caption(
        tr(f"Basado en {int(row[C.N_INSPECCIONES])} inspecciones con {int(row[C.N_HALLAZGOS])} "
           f"hallazgos. Probabilidad de estar entre el 10 % de mayor riesgo: "
           f"{100 * row[C.PROB_TOP10]:.0f} %.",
           f"Based on {int(row[C.N_INSPECCIONES])} inspections with {int(row[C.N_HALLAZGOS])} "
           f"findings. Probability of being in the top 10 % by risk: "
           f"{100 * row[C.PROB_TOP10]:.0f} %.")
    )
    if row[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE:
        st.info(tr("Hay pocas inspecciones en este distrito: la estimación se apoya sobre todo "
                   "en el conocimiento experto y en distritos parecidos. Una inspección aquí "
                   "enseñaría mucho al modelo.",
                   "There are few inspections in this district: the estimate rests mostly on "
                   "expert knowledge and on similar districts. An inspection here would teach "
                   "the model a lot."))

    descriptions = {spec.name: spec.description for spec in settings.layers}
    left, right = st.columns(2)
    with left:
        st.markdown("#### " + tr("Qué sube o baja el riesgo", "What raises or lowers the risk"))
        contrib_cols = [c for c in scores.columns if c.startswith(C.CONTRIB_PREFIX)]
        if contrib_cols:
            contrib = pd.DataFrame({
                "factor": [feature_label(c[len(C.CONTRIB_PREFIX):], descriptions)
                           for c in contrib_cols],
                "valor": [float(row[c]) for c in contrib_cols],
            })
            up, down = tr("sube el riesgo", "raises the risk"), tr("baja el riesgo",
                                                                     "lowers the risk")
            contrib["efecto"] = np.where(contrib["valor"] >= 0, up, down)
            chart = alt.Chart(contrib).mark_bar().encode(
                x=alt.X("valor:Q", title=tr("Contribución (escala logit)",
                                            "Contribution (logit scale)")),
                y=alt.Y("factor:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
                color=alt.Color("efecto:N", title=None,
                                scale=alt.Scale(domain=[up, down],
                                                range=["#d95f02", "#1b9e77"])),
                tooltip=["factor", alt.Tooltip("valor:Q", format=".2f"), "efecto"],
            ).properties(height=max(160, 28 * len(contrib)))
            st.altair_chart(chart, width="stretch")
            top_up = contrib.sort_values("valor", ascending=False).iloc[0]
            st.caption(tr(f"Lo que más sube el riesgo aquí: {top_up['factor'].lower()}.",
                          f"What raises the risk most here: {top_up['factor'].lower()}."))
        else:
            st.info(tr("La capa de riesgo no trae contribuciones por factor.",
                       "The risk layer carries no per-factor contributions."))

    with right:
        st.markdown("#### " + tr("Indicadores frente al promedio regional",
                                 "Indicators against the regional average"))
        try:
            table = state.district_table()
        except Exception as err:  # noqa: BLE001 - the card stays useful without this table
            ui.show_error(err)
            table = None
        if table is not None:
            feats = [f for f in settings.feature_names if f in table.columns]
            mine = table[table[C.UBIGEO] == ubigeo]
            region_rows = table[table[C.UBIGEO].str[:2] == ubigeo[:2]]
            if len(mine) and feats:
                comp = pd.DataFrame({
                    tr("Indicador", "Indicator"): [feature_label(f, descriptions) for f in feats],
                    tr("Distrito", "District"): [float(mine.iloc[0][f]) for f in feats],
                    tr(f"Promedio {row[C.DEPARTAMENTO]}", f"{row[C.DEPARTAMENTO]} average"):
                        [float(region_rows[f].mean()) for f in feats],
                })
                avg_col = comp.columns[2]
                comp[tr("Relación", "Ratio")] = comp[comp.columns[1]] / comp[avg_col].replace(
                    0, np.nan)
                st.dataframe(comp.round(2), hide_index=True, width="stretch")
                st.caption(tr("Relación > 1: por encima del promedio de su departamento.",
                              "Ratio > 1: above its department's average."))

    st.markdown("#### " + tr("Historial de inspecciones", "Inspection history"))
    try:
        records = state.inspection_records()
    except Exception as err:  # noqa: BLE001
        ui.show_error(err)
        records = pd.DataFrame()
    here = records[records[C.UBIGEO].astype(str) == ubigeo] if len(records) else records
    if len(here):
        by_year = here.assign(**{t("anio"): pd.to_datetime(here[C.FECHA]).dt.year}).groupby(
            t("anio")).agg(**{t("inspecciones"): (C.ID, "count"),
                              t("hallazgos"): (C.HALLAZGO, "sum")}).reset_index()
        long = by_year.melt(t("anio"), var_name="serie", value_name="n")
        st.altair_chart(
            alt.Chart(long).mark_bar().encode(
                x=alt.X(f"{t('anio')}:O"), y=alt.Y("n:Q", title=None),
                color=alt.Color("serie:N", title=None,
                                scale=alt.Scale(range=["#7570b3", "#d95f02"])),
                xOffset="serie:N",
            ).properties(height=220),
            width="stretch",
        )
        st.dataframe(by_year, hide_index=True)
    else:
        st.info(tr("No hay inspecciones registradas en este distrito.",
                   "There are no inspections recorded in this district."))

    with st.expander(t("fuentes"), expanded=False):
        meta = state.metadata()
        if meta:
            st.dataframe(pd.DataFrame({tr("Dato", "Item"): list(meta),
                                       tr("Valor", "Value"): [str(v) for v in meta.values()]}),
                         hide_index=True, width="stretch")
        sources = state.sources_table()
        if len(sources):
            st.dataframe(sources.astype(str), hide_index=True, width="stretch")
        st.caption(tr(f"Configuración: {settings.path}", f"Settings: {settings.path}"))
