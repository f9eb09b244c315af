"""Planificación: the month's inspection trips from the risk scores, beside the naive plan."""

from __future__ import annotations

import dataclasses

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import mapview, state, ui
from dashboard.i18n import get_lang, tr
from dashboard.state.planning import compute_plan, read_uploaded_table
from geo import columns as C
from models.planning import plan as P

_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#000000")  # Okabe-Ito (colour-blind safe), as the printable page
_EXPLORE = "#7B3294"
MAP_HEIGHT = mapview.MAP_HEIGHT


def plan_map(plan: P.Plan, layer, lang: str) -> folium.Map:
    """Districts of the plan coloured by trip (exploration in purple), offices as dots."""
    bounds = layer.total_bounds
    m = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
                   zoom_start=6, tiles=None, control_scale=False, height=MAP_HEIGHT,
                   zoom_snap=mapview.ZOOM_SNAP, zoom_delta=0.5,
                   keyboard=False)  # no focus-scroll on click (see mapview.risk_map)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    mapview.metric_scale(m)  # metres and kilometres only, no miles
    folium.GeoJson(
        layer[[C.UBIGEO, "geometry"]].to_json(),
        name=tr("Distritos", "Districts", lang),
        style_function=lambda _f: {"fillColor": "#f0f0f0", "fillOpacity": 0.6,
                                   "color": "#999999", "weight": 0.5},
        interactive=False,
    ).add_to(m)
    visits = layer[[C.UBIGEO, "geometry"]].merge(
        pd.DataFrame(plan.visits.drop(columns="geometry")), on=C.UBIGEO)
    if len(visits):
        trips = list(dict.fromkeys(visits[P.VIAJE]))
        colour = {tid: _PALETTE[i % len(_PALETTE)] for i, tid in enumerate(trips)}
        visits["_color"] = [_EXPLORE if k == P.TIPO_EXPLORACION else colour[v]
                            for v, k in zip(visits[P.VIAJE], visits[P.TIPO], strict=True)]
        visits["_tipo"] = visits[P.TIPO].map({
            P.TIPO_EXPLORACION: tr("exploración", "exploration", lang),
            P.TIPO_PLAN: tr("optimizado", "optimised", lang)})
        visits["_riesgo"] = visits[C.RIESGO].map(lambda v: f"{v:.1%}")
        name = C.DISTRITO if C.DISTRITO in visits else C.UBIGEO
        fields = [P.VIAJE, name, C.UBIGEO, "_tipo", "_riesgo", P.DIAS_IDA]
        aliases = [tr("Viaje", "Trip", lang), tr("Distrito", "District", lang), "UBIGEO",
                   tr("Tipo", "Kind", lang), tr("Riesgo", "Risk", lang),
                   tr("Días de ida", "Days out", lang)]
        folium.GeoJson(
            visits[[*fields, "_color", "geometry"]].to_json(),
            name=tr("Plan", "Plan", lang),
            style_function=lambda f: {"fillColor": f["properties"]["_color"],
                                      "fillOpacity": 0.75, "color": "#222222", "weight": 1},
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        ).add_to(m)
    for office in plan.spec.offices:
        # a circle, not folium.Marker: the default marker icon is an image from a CDN
        folium.CircleMarker([office.lat, office.lon], radius=8, color="#000000", weight=2,
                            fill=True, fill_color="#ffffff", fill_opacity=1.0,
                            tooltip=office.name).add_to(m)
    return mapview.localize_assets(m, ui.static_url())


ui.page_header(
    tr("Planificación de inspecciones", "Inspection planning"),
    tr("El plan del mes: qué distritos visitar, agrupados en viajes desde cada oficina, con los "
       "días inspector disponibles; comparado con el plan simple «los de mayor riesgo hasta "
       "agotar los días».",
       "The month's plan: which districts to visit, grouped into trips from each office, within "
       "the inspector-days available; compared with the simple plan \"highest risk until the "
       "days run out\"."),
)

with ui.guard():
    lang = get_lang()
    settings = state.settings()
    who = ui.principal()
    if not who.may_read_records:  # the page is not offered to other roles (app.py) either
        st.error(tr("La planificación es de Planificador/a de inspecciones.",
                    "Planning is for the Inspection planner."))
        st.stop()
    # the offices of the identity's regions only: a Cusco planner plans Cusco's month
    spec = dataclasses.replace(settings.planning, offices=tuple(
        o for o in settings.planning.offices if not o.department or who.sees(o.department)))
    if not spec.offices:
        st.info(tr("La configuración no tiene oficinas ([[planning.offices]]). Agréguelas para "
                   "planificar.",
                   "The settings have no offices ([[planning.offices]]). Add them to plan."))
        st.stop()
    scores = state.scores()

    with st.expander(tr("Parámetros del plan", "Plan inputs"), expanded=True):
        cols = st.columns(len(spec.offices))
        capacities = []
        for i, (col, office) in enumerate(zip(cols, spec.offices, strict=True)):
            capacities.append((office.name, float(col.number_input(
                tr(f"Días inspector — {office.name}", f"Inspector-days — {office.name}"),
                min_value=0.0, max_value=2000.0, value=float(office.capacity_days), step=1.0,
                key=f"plan_cap_{i}"))))
        c1, c2, c3, c4 = st.columns(4)
        share = c1.slider(
            tr("Exploración (proporción de días)", "Exploration (share of days)"),
            min_value=0.0, max_value=0.5, value=float(spec.exploration_share), step=0.05,
            key="plan_exploracion",
            help=tr("Días reservados a explorar: primero los distritos con alerta de cambio "
                    "al alza (por sus hallazgos recientes o por sus capas con fecha); lo que "
                    "queda, a distritos sorteados con evidencia insuficiente: un control "
                    "imparcial del modelo, como hace la inspección laboral neerlandesa.",
                    "Days kept for exploring: first the districts with a rising change alert "
                    "(from their recent findings or their dated layers); what is left, for "
                    "randomly drawn districts with insufficient evidence: an unbiased check on "
                    "the model, as the Dutch labour inspectorate keeps."))
        seed = c2.number_input(tr("Semilla del sorteo", "Draw seed"), min_value=0,
                               max_value=2**31 - 1, value=int(spec.seed), step=1,
                               key="plan_semilla")
        max_trip = c3.number_input(tr("Viaje más largo (días)", "Longest trip (days)"),
                                   min_value=1.0, max_value=60.0,
                                   value=float(spec.max_trip_days), step=0.5,
                                   key="plan_max_viaje")
        per_insp = c4.number_input(tr("Días por inspección", "Days per inspection"),
                                   min_value=0.5, max_value=20.0,
                                   value=float(spec.days_per_inspection), step=0.5,
                                   key="plan_dias_insp")
        upload = st.file_uploader(
            tr("Tabla de viajes propia (opcional): CSV con ubigeo, dias_viaje (ida) y "
               "opcionalmente oficina",
               "Your own travel table (optional): CSV with ubigeo, dias_viaje (one way) and "
               "optionally oficina"),
            type=["csv", "txt"], key="plan_viajes")

    run_spec = dataclasses.replace(spec, exploration_share=float(share), seed=int(seed),
                                   max_trip_days=float(max_trip),
                                   days_per_inspection=float(per_insp))
    table, table_hash = read_uploaded_table(upload, scores[C.UBIGEO].tolist(),
                                            [o.name for o in spec.offices])
    if table is not None:
        st.caption(tr(f"Tabla de viajes: {len(table)} filas reemplazan la estimación.",
                      f"Travel table: {len(table)} rows replace the estimate."))
    with st.spinner(tr("Calculando el plan…", "Computing the plan…")):
        plan = compute_plan(str(settings.scores_gpkg), state.mtime(settings.scores_gpkg),
                            repr(run_spec), run_spec, tuple(capacities), table_hash, table)

    total = plan.summary.iloc[-1]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(tr("Hallazgos esperados (plan)", "Expected findings (plan)"),
              f"{total[P.HALLAZGOS]:.2f}",
              help=tr(f"Intervalo {total[P.HALLAZGOS_P05]:.2f}–{total[P.HALLAZGOS_P95]:.2f} "
                      "(suma de los límites p05 y p95 de cada distrito: conservador).",
                      f"Interval {total[P.HALLAZGOS_P05]:.2f}–{total[P.HALLAZGOS_P95]:.2f} "
                      "(sum of each district's p05 and p95 bounds: conservative)."))
    m2.metric(tr("Plan simple", "Simple plan"), f"{total['hallazgos_ingenuo']:.2f}",
              help=tr("Los distritos de mayor riesgo, uno por viaje, hasta agotar los días "
                      "(mismos viajes de exploración y mismo modelo de viaje).",
                      "Highest-risk districts, one per trip, until the days run out (same "
                      "exploration trips and travel model)."))
    m3.metric(tr("Ganancia", "Gain"), f"{total['ganancia']:+.2f}",
              f"{total['ganancia_pct']:+.1f} %")
    m4.metric(tr("Hallazgos por día inspector", "Findings per inspector-day"),
              f"{total[P.HALLAZGOS_DIA]:.3f}",
              f"{total[P.HALLAZGOS_DIA] - total['hallazgos_por_dia_ingenuo']:+.3f}")
    st.caption(tr("**Plan simple**: los de mayor riesgo hasta agotar los días (un distrito por "
                  "viaje, con la misma exploración y el mismo modelo de viaje). La ganancia es "
                  "lo que el plan optimizado encuentra de más con los mismos días.",
                  "**Simple plan**: the highest-risk districts until the days run out (one "
                  "district per trip, same exploration and travel model). The gain is what "
                  "the optimised plan finds beyond it with the same days."))
    st.markdown(tr(
        f"**{len(plan.trips)} viajes**, {int(total['distritos_plan'])} distritos, "
        f"{total['dias_plan']:g} de {total['capacidad_dias']:g} días inspector "
        f"({total['dias_exploracion']:g} de exploración). Intervalo de hallazgos esperados: "
        f"{total[P.HALLAZGOS_P05]:.2f}–{total[P.HALLAZGOS_P95]:.2f}.",
        f"**{len(plan.trips)} trips**, {int(total['distritos_plan'])} districts, "
        f"{total['dias_plan']:g} of {total['capacidad_dias']:g} inspector-days "
        f"({total['dias_exploracion']:g} exploration). Expected findings interval: "
        f"{total[P.HALLAZGOS_P05]:.2f}–{total[P.HALLAZGOS_P95]:.2f}."))
    for msg in plan.messages(lang):
        st.warning(msg)

    st.subheader(tr("Plan frente al plan simple, por oficina", "Plan vs simple plan, by office"))
    summary = plan.summary[[P.OFICINA, "capacidad_dias", "dias_exploracion", "dias_plan",
                            "distritos_plan", P.HALLAZGOS, P.HALLAZGOS_P05, P.HALLAZGOS_P95,
                            "dias_ingenuo", "distritos_ingenuo", "hallazgos_ingenuo",
                            "ganancia"]]
    st.dataframe(summary.rename(columns={
        P.OFICINA: tr("Oficina", "Office"), "capacidad_dias": tr("Capacidad", "Capacity"),
        "dias_exploracion": tr("Días exploración", "Exploration days"),
        "dias_plan": tr("Días plan", "Plan days"), "distritos_plan": tr("Distritos", "Districts"),
        P.HALLAZGOS: tr("Hallazgos plan", "Plan findings"),
        P.HALLAZGOS_P05: tr("Mín. (p05)", "Low (p05)"),
        P.HALLAZGOS_P95: tr("Máx. (p95)", "High (p95)"),
        "dias_ingenuo": tr("Días simple", "Simple days"),
        "distritos_ingenuo": tr("Distritos simple", "Simple districts"),
        "hallazgos_ingenuo": tr("Hallazgos simple", "Simple findings"),
        "ganancia": tr("Ganancia", "Gain")}), hide_index=True, width="stretch",
        column_config={tr(*k): st.column_config.NumberColumn(format=f) for k, f in (
            (("Hallazgos plan", "Plan findings"), "%.2f"), (("Mín. (p05)", "Low (p05)"), "%.2f"),
            (("Máx. (p95)", "High (p95)"), "%.2f"),
            (("Hallazgos simple", "Simple findings"), "%.2f"), (("Ganancia", "Gain"), "%+.2f"),
            (("Días plan", "Plan days"), "%g"), (("Días simple", "Simple days"), "%g"),
            (("Capacidad", "Capacity"), "%g"),
            (("Días exploración", "Exploration days"), "%g"),
            (("Distritos", "Districts"), "%d"),
            (("Distritos simple", "Simple districts"), "%d"))})

    st.subheader(tr("Viajes", "Trips"))
    trips = plan.trips.copy()
    trips[P.TIPO] = trips[P.TIPO].map({P.TIPO_EXPLORACION: tr("exploración", "exploration"),
                                       P.TIPO_PLAN: tr("optimizado", "optimised")})
    motive = P.MOTIVO if lang == "es" else P.MOTIVO + "_en"
    legs = P.TRAMOS if lang == "es" else P.TRAMOS + "_en"
    st.dataframe(trips[[P.VIAJE, P.OFICINA, P.TIPO, P.DISTRITOS, P.DIAS_VIAJE, P.DIAS,
                        P.HALLAZGOS, P.HALLAZGOS_P05, P.HALLAZGOS_P95, P.HALLAZGOS_DIA,
                        legs, P.COSTO, motive]].rename(columns={
        legs: tr("Tramos (modo, desde → hasta, días)", "Legs (mode, from → to, days)"),
        P.COSTO: tr("Costo estimado (S/)", "Estimated cost (S/)"),
        P.VIAJE: tr("Viaje", "Trip"), P.OFICINA: tr("Oficina", "Office"),
        P.TIPO: tr("Tipo", "Kind"), P.DISTRITOS: tr("Distritos (en orden)", "Districts (in order)"),
        P.DIAS_VIAJE: tr("Días de viaje", "Travel days"), P.DIAS: tr("Días", "Days"),
        P.HALLAZGOS: tr("Hallazgos esperados", "Expected findings"),
        P.HALLAZGOS_P05: tr("Mín. (p05)", "Low (p05)"),
        P.HALLAZGOS_P95: tr("Máx. (p95)", "High (p95)"),
        P.HALLAZGOS_DIA: tr("Por día", "Per day"), motive: tr("Motivo", "Why")}),
        hide_index=True, width="stretch",
        column_config={tr(*k): st.column_config.NumberColumn(format=f) for k, f in (
            (("Hallazgos esperados", "Expected findings"), "%.2f"),
            (("Mín. (p05)", "Low (p05)"), "%.2f"), (("Máx. (p95)", "High (p95)"), "%.2f"),
            (("Por día", "Per day"), "%.3f"), (("Días de viaje", "Travel days"), "%.1f"),
            (("Días", "Days"), "%g"), (("Costo estimado (S/)", "Estimated cost (S/)"), "%.0f"))})

    st.subheader(tr("Mapa del plan", "Plan map"))
    plan_region = tuple(who.regions or settings.region or ())
    plan_layer = mapview.round_coordinates(state.map_layer(plan_region),
                                           state.map_digits(plan_region))
    st_folium(plan_map(plan, plan_layer, lang),
              key="plan_mapa", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
    st.caption(tr("Colores por viaje; morado = exploración; círculos = oficinas.",
                  "Colours by trip; purple = exploration; circles = offices."))

    d1, d2 = st.columns(2)
    csv_bytes = plan.csv_text(simulated=ui.is_simulated()).encode("utf-8")
    html_bytes = plan.to_html(lang, simulated=ui.is_simulated()).encode("utf-8")
    audit = state.store(who)

    def _audited(data: bytes, fmt: str):
        def download() -> bytes:  # runs on the click: each plan download is audited
            audit.record_event("exportacion", {"formato": fmt, "archivo": "plan_inspecciones",
                                               "distritos": len(plan.visits)})
            return data
        return download

    d1.download_button(tr("Descargar CSV", "Download CSV"), _audited(csv_bytes, "plan_csv"),
                       file_name="plan_inspecciones.csv", mime="text/csv", key="plan_csv",
                       on_click="ignore")
    d2.download_button(tr("Descargar página imprimible (HTML)", "Download printable page (HTML)"),
                       _audited(html_bytes, "plan_html"),
                       file_name="plan_inspecciones.html", mime="text/html", key="plan_html",
                       on_click="ignore")

    with st.expander(tr("Cómo se calcula", "How it is computed")):
        st.markdown(tr(
            "- **Viaje**: ida, saltos entre distritos cercanos y vuelta, más "
            f"{run_spec.days_per_inspection:g} días por inspección, redondeado a medio día; "
            f"máximo {run_spec.max_trip_days:g} días. El tiempo de viaje es una estimación "
            "(distancia en línea recta × factor de desvío, a la velocidad de carreteras andinas "
            "o de ríos amazónicos), salvo donde su tabla de viajes lo reemplaza.\n"
            "- **Elección**: programación entera mixta (HiGHS) que maximiza la suma del riesgo "
            "de los distritos inspeccionados con los días de cada oficina, cada distrito una "
            f"vez; demostrada a menos de {P.MIP_GAP:.1%} del óptimo.\n"
            "- **Exploración**: una parte de los días va primero a los distritos con alerta "
            "de cambio al alza (el modelo puede estar desactualizado allí) y el resto a "
            "distritos sorteados al azar, con igual probabilidad, entre los de evidencia "
            "insuficiente. Sus resultados dicen dónde se equivoca el modelo sin el sesgo de ir "
            "solo adonde apunta.",
            "- **Trip**: way out, hops between nearby districts and way back, plus "
            f"{run_spec.days_per_inspection:g} days per inspection, rounded up to half a day; "
            f"at most {run_spec.max_trip_days:g} days. Travel time is an estimate (straight "
            "distance × detour factor, at the speed of Andean roads or Amazon rivers) except "
            "where your travel table replaces it.\n"
            "- **Choice**: mixed-integer programming (HiGHS) maximising the summed risk of the "
            "inspected districts within each office's days, each district once; proven within "
            f"{P.MIP_GAP:.1%} of the optimum.\n"
            "- **Exploration**: part of the days goes first to the districts with a rising "
            "change alert (the model may be out of date there) and the rest to districts drawn "
            "at random, with equal chances, among those with insufficient evidence. Their "
            "results show where the model is wrong without the bias of only going where it "
            "points."))
