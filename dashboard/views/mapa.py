"""Mapa: the risk choropleth; a click on a district opens its card on the Distrito page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import mapview, state, ui
from dashboard.i18n import evidence_label, get_lang, t
from dashboard.layer_words import layer_choice, layer_name
from geo import columns as C
from geo.formatting import format_percent, printf_pattern

#: The classification schemes, each named by the catalogue key ``mapa.scheme.<scheme>``.
SCHEMES = ("quantiles", "fisher_jenks", "equal_interval")

ui.page_header(
    t("mapa.mapa_riesgo_distrito"),
    t("mapa.probabilidad_estimada_inspeccion_encuentre"),
)

with ui.guard():
    settings = state.settings()
    k = state.view(ui.principal())
    lang = get_lang()  # bound now: format functions may be called outside the run
    c1, c2, c3 = st.columns([4, 2, 3])
    chosen_region = ui.region_picker(c1, "mapa_region")
    scheme = c2.selectbox(
        t("mapa.clases"), list(SCHEMES), key="mapa_esquema",
        format_func=lambda k: t(f"mapa.scheme.{k}", lang),
        help=t("mapa.cuantiles_mismo_numero_distritos"),
    )
    # each layer says what it is: name, source, years, unit, real or simulated
    facts = state.layer_facts()
    layer_names = {name: layer_choice(f, lang) for name, f in facts.items()}
    chosen = c3.multiselect(
        t("comun.capas_sectoriales"), list(layer_names), key="mapa_capas",
        placeholder=t("mapa.elija_capas_dibujarlas"),
        format_func=lambda k: layer_names.get(k, k),
        help=t("mapa.capa_dice_fuente_anos"),
    )
    o1, o1b, o2, o3 = st.columns(4)
    show_hot = o1.toggle(
        t("mapa.puntos_calientes_gi"), key="mapa_hotspots",
        help=t("mapa.distritos_con_vecinos_tienen"))
    show_alerts = o1b.toggle(
        t("comun.alertas_cambio"), key="mapa_alertas",
        help=t("mapa.distritos_cuyos_hallazgos_ultimos"))
    show_outlines = o2.toggle(t("mapa.limites_provincias"), value=True,
                              key="mapa_limites")
    basemap = o3.toggle(
        t("mapa.mapa_base_internet"),
        key="mapa_base",
        help=t("mapa.necesita_internet_sin_mapa"),
    )

    region = chosen_region.codes
    layer = state.map_layer(region, k)
    if layer.empty:
        st.info(t("mapa.no_distritos_puntuados_region"))
        st.stop()
    payload = state.map_payload(region, scheme, lang, tuple(chosen), show_hot, show_outlines,
                                basemap, ui.static_url(), k, show_alerts)
    result = ui.folium_component(payload, key="mapa_folium", height=mapview.MAP_HEIGHT,
                                 returned_objects=["last_object_clicked",
                                                   "last_object_clicked_tooltip"])
    for name in payload.get("sin_dibujar", []):
        st.info(t("mapa.capa_no_puede_dibujar", get=layer_names.get(name, name)))
    for name, n_shown, n_missing in payload.get("capas_tabla", []):
        title = layer_name(facts[name], lang) if name in facts else name
        st.caption(t("mapa.capa_tabla_un_valor", title=title)
                   + (t("mapa.capa_tabla_sin_dato", n_missing=n_missing, n_shown=n_shown)
                      if n_missing else t("mapa.capa_tabla_todos_dato", n_shown=n_shown)))
    hot = state.hotspots(region, k)[C.UBIGEO].tolist() if show_hot else []
    n_alerts = len(state.alert_districts(layer))
    n_insuf = int((layer[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE).sum()) \
        if C.EVIDENCIA in layer else 0
    n_nopub = int((layer[C.EVIDENCIA] == C.EVIDENCIA_NO_PUBLICADA).sum()) \
        if C.EVIDENCIA in layer else 0
    st.caption(
        t("comun.n_distritos", n=len(layer)) + " · "
        + t("mapa.con_evidencia_insuficiente_rayados", n_insuf=n_insuf)
        + (" · " + t("mapa.con_pocos_registros_rayados", n_nopub=n_nopub) if n_nopub else "")
        + (" · " + t("mapa.puntos_calientes", n_hot=len(hot)) if show_hot
           else "")
        + (" · " + t("mapa.fuera_rango_aprendido_contorno", fuera_rango=payload['fuera_rango'])
           if payload.get("fuera_rango") else "")
        + (" · " + t("mapa.una_alerta_cambio" if n_alerts == 1 else "mapa.n_alertas_cambio",
                     n_alerts=n_alerts)
           if show_alerts else "")
    )
    ubigeo = mapview.ubigeo_from_click(result, layer)
    # A click is reported again on every rerun; only a new click opens the card.
    count = (result or {}).get("last_object_clicked")
    if ubigeo and count != st.session_state.get("_mapa_ultimo_clic"):
        st.session_state["_mapa_ultimo_clic"] = count
        ui.go_to("distrito", ubigeo=ubigeo)

    # a toggle, not an expander: an expander's table is sent (and the browser loads the
    # table's code) on every visit, before the map; this way only when asked for
    if st.toggle(t("mapa.ver_15_distritos_mayor"),
                 key="mapa_top15"):
        # the rank within the region on screen, as the district card says it
        top = layer.assign(**{C.RANGO: state.rank_in(layer)}).sort_values(
            [C.RANGO, C.DISTRITO]).head(15)
        rank_word = ui.rank_label(chosen_region)
        shown = pd.DataFrame({
            rank_word: top[C.RANGO],
            t("comun.distrito"): top[C.DISTRITO],
            t("comun.provincia"): top[C.PROVINCIA],
            t("comun.departamento"): top[C.DEPARTAMENTO],
            t("comun.riesgo"): 100 * top[C.RIESGO],
            t("comun.intervalo"): [f"{format_percent(lo)} – {format_percent(hi)}"
                             for lo, hi in zip(top[C.RIESGO_P05], top[C.RIESGO_P95],
                                               strict=True)],
            t("comun.evidencia"): top[C.EVIDENCIA].map(lambda v: evidence_label(v, lang)),
            t("comun.ubigeo"): top[C.UBIGEO],
        })
        if chosen_region.key != state.ALL_REGIONS:  # one department: said in the rank's name
            shown = shown.drop(columns=t("comun.departamento"))
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={t("comun.riesgo"): st.column_config.NumberColumn(
                         format=printf_pattern(1, percent=True))})
