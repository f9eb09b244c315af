"""Planificación: the month's inspection trips from the risk scores, beside the naive plan."""

from __future__ import annotations

import dataclasses

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import mapview, state, ui
from dashboard.i18n import get_lang, t
from dashboard.state.fieldsheets import plan_sheets
from dashboard.state.planning import compute_plan, offices_in, read_uploaded_table
from dashboard.state.regions import region_label
from geo import columns as C
from geo.formatting import format_field, format_number, format_percent, printf_pattern
from models.planning import plan as P
from models.planning.fieldprint import sheets_document

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
        name=t("comun.distritos", lang=lang),
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
            P.TIPO_EXPLORACION: t("comun.exploracion", lang=lang),
            P.TIPO_PLAN: t("planificacion.optimizado", lang=lang)})
        visits["_riesgo"] = visits[C.RIESGO].map(lambda v: format_percent(v, lang))
        name = C.DISTRITO if C.DISTRITO in visits else C.UBIGEO
        fields = [P.VIAJE, name, C.UBIGEO, "_tipo", "_riesgo", P.DIAS_IDA]
        aliases = [t("planificacion.viaje", lang=lang), t("comun.distrito", lang=lang), "UBIGEO",
                   t("planificacion.tipo", lang=lang), t("comun.riesgo", lang=lang),
                   t("planificacion.dias_ida", lang=lang)]
        folium.GeoJson(
            visits[[*fields, "_color", "geometry"]].to_json(),
            name=t("planificacion.plan", lang=lang),
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
    t("planificacion.planificacion_inspecciones"),
    t("planificacion.plan_mes_distritos_visitar"),
)

with ui.guard():
    lang = get_lang()
    settings = state.settings()
    who = ui.principal()
    if not who.may_read_records:  # the page is not offered to other roles (app.py) either
        st.error(t("planificacion.planificacion_planificador_inspecciones"))
        st.stop()
    # the offices of the identity's regions only: a Cusco planner plans Cusco's month
    spec = dataclasses.replace(settings.planning, offices=tuple(
        o for o in settings.planning.offices if not o.department or who.sees(o.department)))
    if not spec.offices:
        st.info(t("planificacion.configuracion_no_tiene_oficinas"))
        st.stop()
    # the region chosen on Mapa or Distrito holds here: a Cusco planner reads Cusco's plan
    chosen_region = ui.region_picker(st.container(), "plan_region")
    spec = dataclasses.replace(spec, offices=offices_in(spec.offices, chosen_region))
    if not spec.offices:
        st.info(t("paginas.plan_sin_oficinas_region", region=region_label(chosen_region)))
        st.stop()
    if chosen_region.key != state.ALL_REGIONS:
        st.caption(t("paginas.plan_oficinas_region", region=region_label(chosen_region),
                     offices=", ".join(o.name for o in spec.offices)))
    scores = state.scores()

    with st.expander(t("planificacion.parametros_plan"), expanded=True):
        cols = st.columns(len(spec.offices))
        capacities = []
        for i, (col, office) in enumerate(zip(cols, spec.offices, strict=True)):
            capacities.append((office.name, float(col.number_input(
                t("planificacion.dias_inspector", name=office.name),
                min_value=0.0, max_value=2000.0, value=float(office.capacity_days), step=1.0,
                key=f"plan_cap_{i}"))))
        c1, c2, c3, c4 = st.columns(4)
        share = c1.slider(
            t("planificacion.exploracion_proporcion_dias"),
            min_value=0.0, max_value=0.5, value=float(spec.exploration_share), step=0.05,
            key="plan_exploracion",
            help=t("planificacion.dias_reservados_explorar_primero"))
        seed = c2.number_input(t("planificacion.semilla_sorteo"), min_value=0,
                               max_value=2**31 - 1, value=int(spec.seed), step=1,
                               key="plan_semilla")
        max_trip = c3.number_input(t("planificacion.viaje_largo_dias"),
                                   min_value=1.0, max_value=60.0,
                                   value=float(spec.max_trip_days), step=0.5,
                                   key="plan_max_viaje")
        per_insp = c4.number_input(t("planificacion.dias_inspeccion"),
                                   min_value=0.5, max_value=20.0,
                                   value=float(spec.days_per_inspection), step=0.5,
                                   key="plan_dias_insp")
        upload = ui.file_uploader(
            st, t("planificacion.tabla_viajes_propia_opcional"),
            ["csv", "txt"], key="plan_viajes")

    run_spec = dataclasses.replace(spec, exploration_share=float(share), seed=int(seed),
                                   max_trip_days=float(max_trip),
                                   days_per_inspection=float(per_insp))
    table, table_hash = read_uploaded_table(upload, scores[C.UBIGEO].tolist(),
                                            [o.name for o in spec.offices])
    if table is not None:
        st.caption(t("planificacion.tabla_viajes_filas_reemplazan", n_table=len(table)))
    with st.spinner(t("planificacion.calculando_plan")):
        plan = compute_plan(str(settings.scores_gpkg), state.mtime(settings.scores_gpkg),
                            repr(run_spec), run_spec, tuple(capacities), table_hash, table)

    total = plan.summary.iloc[-1]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("planificacion.hallazgos_esperados_plan"),
              format_number(total[P.HALLAZGOS], digits=2),
              help=t("planificacion.intervalo_suma_limites_p05",
                     hallazgos_p05=total[P.HALLAZGOS_P05], hallazgos_p95=total[P.HALLAZGOS_P95]))
    m2.metric(t("planificacion.plan_simple"), format_number(total["hallazgos_ingenuo"], digits=2),
              help=t("planificacion.distritos_mayor_riesgo_viaje"))
    m3.metric(t("planificacion.ganancia"), format_field(total["ganancia"], "+.2f"),
              format_field(total["ganancia_pct"] / 100, "+.1%"))
    m4.metric(t("planificacion.hallazgos_dia_inspector"),
              format_number(total[P.HALLAZGOS_DIA], digits=3),
              format_field(total[P.HALLAZGOS_DIA] - total["hallazgos_por_dia_ingenuo"], "+.3f"))
    st.caption(t("planificacion.plan_simple_mayor_riesgo"))
    st.markdown(t("planificacion.viajes_distritos_dias_inspector", n_trips=len(plan.trips),
                  distritos_plan=int(total['distritos_plan']), dias_plan=total['dias_plan'],
                  capacidad_dias=total['capacidad_dias'],
                  dias_exploracion=total['dias_exploracion'], hallazgos_p05=total[P.HALLAZGOS_P05],
                  hallazgos_p95=total[P.HALLAZGOS_P95]))
    for msg in plan.messages(lang):
        st.warning(msg)

    st.subheader(t("planificacion.plan_frente_plan_simple"))
    summary = plan.summary[[P.OFICINA, "capacidad_dias", "dias_exploracion", "dias_plan",
                            "distritos_plan", P.HALLAZGOS, P.HALLAZGOS_P05, P.HALLAZGOS_P95,
                            "dias_ingenuo", "distritos_ingenuo", "hallazgos_ingenuo",
                            "ganancia"]]
    # the office, its budget and what the plan and the naive plan find; the rest on demand
    ui.table(summary.rename(columns={
        P.OFICINA: t("planificacion.oficina"), "capacidad_dias": t("planificacion.capacidad"),
        "dias_exploracion": t("planificacion.dias_exploracion"),
        "dias_plan": t("planificacion.dias_plan"), "distritos_plan": t("comun.distritos"),
        P.HALLAZGOS: t("planificacion.hallazgos_plan"),
        P.HALLAZGOS_P05: t("planificacion.min_p05"),
        P.HALLAZGOS_P95: t("planificacion.max_p95"),
        "dias_ingenuo": t("planificacion.dias_simple"),
        "distritos_ingenuo": t("planificacion.distritos_simple"),
        "hallazgos_ingenuo": t("planificacion.hallazgos_simple"),
        "ganancia": t("planificacion.ganancia")}), key="plan_resumen",
        main=[t(k) for k in ("planificacion.oficina", "planificacion.capacidad",
                             "comun.distritos", "planificacion.hallazgos_plan",
                             "planificacion.hallazgos_simple", "planificacion.ganancia")],
        column_config={t(k): st.column_config.NumberColumn(format=f) for k, f in (
            ("planificacion.hallazgos_plan", printf_pattern(2)),
            ("planificacion.min_p05", printf_pattern(2)),
            ("planificacion.max_p95", printf_pattern(2)),
            ("planificacion.hallazgos_simple", printf_pattern(2)),
            ("planificacion.ganancia", printf_pattern(2, signed=True)),
            ("planificacion.dias_plan", printf_pattern(1)),
            ("planificacion.dias_simple", printf_pattern(1)),
            ("planificacion.capacidad", printf_pattern(1)),
            ("planificacion.dias_exploracion", printf_pattern(1)),
            ("comun.distritos", printf_pattern(0)),
            ("planificacion.distritos_simple", printf_pattern(0)))})

    st.subheader(t("planificacion.viajes"))
    trips = plan.trips.copy()
    trips[P.TIPO] = trips[P.TIPO].map({P.TIPO_EXPLORACION: t("comun.exploracion"),
                                       P.TIPO_PLAN: t("planificacion.optimizado")})
    motive = P.MOTIVO if lang == "es" else P.MOTIVO + "_en"
    legs = P.TRAMOS if lang == "es" else P.TRAMOS + "_en"
    # trip, districts in order, days, findings and legs (wrapped); the rest on demand; the
    # office only when several plan
    first_columns = [k for k in (
        "planificacion.viaje", "planificacion.oficina", "planificacion.tipo",
        "planificacion.distritos_orden", "planificacion.dias", "planificacion.hallazgos_esperados",
        "planificacion.tramos_modo_hasta_dias") if k != "planificacion.oficina"
        or len(spec.offices) > 1]
    ui.table(trips[[P.VIAJE, P.OFICINA, P.TIPO, P.DISTRITOS, P.DIAS_VIAJE, P.DIAS,
                        P.HALLAZGOS, P.HALLAZGOS_P05, P.HALLAZGOS_P95, P.HALLAZGOS_DIA,
                        legs, P.COSTO, motive]].rename(columns={
        legs: t("planificacion.tramos_modo_hasta_dias"),
        P.COSTO: t("planificacion.costo_estimado"),
        P.VIAJE: t("planificacion.viaje"), P.OFICINA: t("planificacion.oficina"),
        P.TIPO: t("planificacion.tipo"), P.DISTRITOS: t("planificacion.distritos_orden"),
        P.DIAS_VIAJE: t("planificacion.dias_viaje"), P.DIAS: t("planificacion.dias"),
        P.HALLAZGOS: t("planificacion.hallazgos_esperados"),
        P.HALLAZGOS_P05: t("planificacion.min_p05"),
        P.HALLAZGOS_P95: t("planificacion.max_p95"),
        P.HALLAZGOS_DIA: t("planificacion.dia"), motive: t("planificacion.motivo")}),
        key="plan_viajes_tabla", row_height=88,  # four lines: a trip of four legs
        main=[t(k) for k in first_columns],
        wrap=(t("planificacion.distritos_orden"), t("planificacion.tramos_modo_hasta_dias"),
              t("planificacion.oficina")),
        column_config={t(k): st.column_config.TextColumn(t(k), width=w) for k, w in (
            ("planificacion.tramos_modo_hasta_dias", 260), ("planificacion.oficina", 120))} | {
            t(k): st.column_config.NumberColumn(format=f) for k, f in (
            ("planificacion.hallazgos_esperados", printf_pattern(2)),
            ("planificacion.min_p05", printf_pattern(2)),
            ("planificacion.max_p95", printf_pattern(2)),
            ("planificacion.dia", printf_pattern(3)),
            ("planificacion.dias_viaje", printf_pattern(1)),
            ("planificacion.dias", printf_pattern(1)),
            ("planificacion.costo_estimado", printf_pattern(0)))})

    st.subheader(t("planificacion.mapa_plan"))
    plan_region = chosen_region.codes if chosen_region.key != state.ALL_REGIONS else tuple(
        who.regions or settings.region or ())
    plan_layer = mapview.round_coordinates(state.map_layer(plan_region),
                                           state.map_digits(plan_region))
    st_folium(plan_map(plan, plan_layer, lang),
              key="plan_mapa", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
    st.caption(t("planificacion.colores_viaje_morado_exploracion"))

    d1, d2, d3, d4 = st.columns(4)
    csv_bytes = plan.csv_text(simulated=ui.is_simulated()).encode("utf-8")
    xlsx_bytes = plan.xlsx_bytes(simulated=ui.is_simulated())  # sheet metadatos in `lang`
    audit = state.store(who)

    def printed() -> bytes:  # the plan with its districts' field sheets, on the click
        sheets = plan_sheets(who, plan)
        return plan.to_html(lang, simulated=ui.is_simulated(), sheets=sheets).encode("utf-8")

    def field_sheets() -> bytes:
        return sheets_document(plan_sheets(who, plan), lang).encode("utf-8")

    def _audited(data, fmt: str):
        def download() -> bytes:  # runs on the click: each plan download is audited
            audit.record_event("exportacion", {"formato": fmt, "archivo": "plan_inspecciones",
                                               "distritos": len(plan.visits)})
            return data() if callable(data) else data
        return download

    d1.download_button(t("planificacion.descargar_csv"), _audited(csv_bytes, "plan_csv"),
                       file_name="plan_inspecciones.csv", mime="text/csv", key="plan_csv",
                       on_click="ignore")
    d2.download_button(t("hoja.planificacion.descargar_xlsx"), _audited(xlsx_bytes, "plan_xlsx"),
                       file_name="plan_inspecciones.xlsx", mime=state.XLSX_MIME,
                       key="plan_xlsx", on_click="ignore",
                       help=t("hoja.planificacion.xlsx_ayuda"))
    d3.download_button(t("planificacion.descargar_pagina_imprimible_html"),
                       _audited(printed, "plan_html"),
                       file_name="plan_inspecciones.html", mime="text/html", key="plan_html",
                       on_click="ignore")
    d4.download_button(t("ficha.descargar_fichas"), _audited(field_sheets, "fichas_html"),
                       file_name="fichas_de_campo.html", mime="text/html", key="plan_fichas",
                       on_click="ignore", help=t("ficha.ayuda_fichas"))

    with st.expander(t("planificacion.calcula")):
        st.markdown(t("planificacion.viaje_ida_saltos_distritos",
                      days_per_inspection=run_spec.days_per_inspection,
                      max_trip_days=run_spec.max_trip_days, mip_gap=P.MIP_GAP))
