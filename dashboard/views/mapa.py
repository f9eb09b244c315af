"""Mapa: the risk choropleth; a click on a district opens its card on the Distrito page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import mapview, state, ui
from dashboard.i18n import evidence_label, get_lang, t, tr
from dashboard.layer_words import layer_choice, layer_name
from geo import columns as C

SCHEME_LABELS = {
    "quantiles": ("Cuantiles", "Quantiles"),
    "fisher_jenks": ("Cortes naturales", "Natural breaks"),
    "equal_interval": ("Intervalos iguales", "Equal intervals"),
}

ui.page_header(
    tr("Mapa de riesgo por distrito", "Risk map by district"),
    tr("Probabilidad estimada de que una inspección encuentre indicios de trabajo forzoso. "
       "Haga clic en un distrito para abrir su ficha.",
       "Estimated probability that an inspection finds forced-labour indicators. "
       "Click a district to open its card."),
)

with ui.guard():
    settings = state.settings()
    k = state.view(ui.principal())
    lang = get_lang()  # bound now: format functions may be called outside the run
    c1, c2, c3 = st.columns([4, 2, 3])
    chosen_region = ui.region_picker(c1, "mapa_region")
    scheme = c2.selectbox(
        tr("Clases", "Classes"), list(SCHEME_LABELS), key="mapa_esquema",
        format_func=lambda k: tr(*SCHEME_LABELS[k], lang=lang),
        help=tr("Cuantiles: el mismo número de distritos en cada color. Cortes naturales "
                "(Fisher-Jenks): agrupa valores parecidos. Intervalos iguales: tramos de "
                "riesgo del mismo ancho.",
                "Quantiles: the same number of districts in each colour. Natural breaks "
                "(Fisher-Jenks): groups similar values. Equal intervals: risk bands of the "
                "same width."),
    )
    # each layer says what it is: name, source, years, unit, real or simulated
    facts = state.layer_facts()
    layer_names = {name: layer_choice(f, lang) for name, f in facts.items()}
    chosen = c3.multiselect(
        tr("Capas sectoriales", "Sector layers"), list(layer_names), key="mapa_capas",
        placeholder=tr("Elija capas para dibujarlas", "Choose layers to draw"),
        format_func=lambda k: layer_names.get(k, k),
        help=tr("Cada capa dice su fuente, sus años, su unidad y si es real o simulada. Una "
                "capa de tabla (un valor por distrito) se dibuja coloreando los distritos; "
                "los que su fuente no cubre quedan en gris rayado: «sin dato público».",
                "Each layer says its source, years, unit and whether it is real or "
                "simulated. A table layer (one value per district) is drawn by colouring the "
                "districts; those its source does not cover stay hatched grey: \"no public "
                "data\"."),
    )
    o1, o1b, o2, o3 = st.columns(4)
    show_hot = o1.toggle(
        tr("Puntos calientes (Gi*)", "Hot spots (Gi*)"), key="mapa_hotspots",
        help=tr("Distritos que, con sus vecinos, tienen un riesgo más alto de lo que daría el "
                "azar (Getis-Ord Gi*), con una tasa de falsos descubrimientos del 5 % "
                "(Benjamini-Hochberg): de los distritos marcados, se espera que a lo sumo "
                "1 de cada 20 lo sea por azar.",
                "Districts that, with their neighbours, have a higher risk than chance would "
                "give (Getis-Ord Gi*), at a 5 % false discovery rate (Benjamini-Hochberg): "
                "of the districts marked, at most 1 in 20 is expected to be there by chance."))
    show_alerts = o1b.toggle(
        tr("Alertas de cambio", "Change alerts"), key="mapa_alertas",
        help=tr("Distritos cuyos hallazgos de los 2 últimos años superan lo que predice su "
                "historial anterior (menos de 5 % de probabilidad), o cuyas capas con fecha "
                "cambiaron desde sus inspecciones (una concesión, dragas o pérdida de bosque "
                "nuevas que duplican sus odds): el riesgo pudo haber cambiado; merecen una "
                "visita aunque la evidencia sea escasa.",
                "Districts whose findings of the last 2 years exceed what their earlier "
                "record predicts (less than 5 % probability), or whose dated layers changed "
                "since their inspections (a concession, dredges or forest loss that double "
                "their odds): risk may have moved; they deserve a visit even with thin "
                "evidence."))
    show_outlines = o2.toggle(tr("Límites de provincias", "Province boundaries"), value=True,
                              key="mapa_limites")
    basemap = o3.toggle(
        tr("Mapa base (internet)", "Basemap (internet)"),
        key="mapa_base",
        help=tr("Necesita internet. Sin él, el mapa funciona igual sin fondo.",
                "Needs internet. Without it, the map works the same with no background."),
    )

    region = chosen_region.codes
    layer = state.map_layer(region, k)
    if layer.empty:
        st.info(tr("No hay distritos puntuados en esta región.",
                   "There are no scored districts in this region."))
        st.stop()
    payload = state.map_payload(region, scheme, lang, tuple(chosen), show_hot, show_outlines,
                                basemap, ui.static_url(), k, show_alerts)
    result = ui.folium_component(payload, key="mapa_folium", height=mapview.MAP_HEIGHT,
                                 returned_objects=["last_object_clicked",
                                                   "last_object_clicked_tooltip"])
    for name in payload.get("sin_dibujar", []):
        st.info(tr(f"La capa «{layer_names.get(name, name)}» no se puede dibujar: su archivo no "
                   "tiene geometría y la tabla de distritos no tiene su columna. Vuelva a "
                   "ejecutar `riskmap build` con esta configuración.",
                   f"Layer '{layer_names.get(name, name)}' cannot be drawn: its file has no "
                   "geometry and the district table has no column for it. Run `riskmap "
                   "build` again with these settings."))
    for name, n_shown, n_missing in payload.get("capas_tabla", []):
        title = layer_name(facts[name], lang) if name in facts else name
        st.caption(tr(
            f"{title}: un valor por distrito, coloreado sobre el riesgo (apáguelo en el "
            "control de capas, arriba a la derecha). "
            + (f"{n_missing} de {n_shown} distritos sin dato público (gris rayado): su fuente "
               "no los cubre; no es cero." if n_missing else
               f"Los {n_shown} distritos tienen dato."),
            f"{title}: one value per district, coloured over the risk (switch it off in the "
            "layer control, top right). "
            + (f"{n_missing} of {n_shown} districts without public data (hatched grey): its "
               "source does not cover them; it is not zero." if n_missing else
               f"All {n_shown} districts have a value.")))
    hot = state.hotspots(region, k)[C.UBIGEO].tolist() if show_hot else []
    n_alerts = len(state.alert_districts(layer))
    n_insuf = int((layer[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE).sum()) \
        if C.EVIDENCIA in layer else 0
    n_nopub = int((layer[C.EVIDENCIA] == C.EVIDENCIA_NO_PUBLICADA).sum()) \
        if C.EVIDENCIA in layer else 0
    st.caption(
        t("n_distritos", n=len(layer)) + " · "
        + tr(f"{n_insuf} con evidencia insuficiente (rayados): su riesgo se apoya sobre todo "
             "en el conocimiento experto, no en inspecciones.",
             f"{n_insuf} with insufficient evidence (hatched): their risk rests mostly on "
             "expert knowledge, not on inspections.")
        + (" · " + tr(f"{n_nopub} con pocos registros (rayados): para su rol se muestra lo "
                      "que predicen sus características, sin sus inspecciones, para que nadie "
                      "deduzca los conteos ocultos.",
                      f"{n_nopub} with few records (hatched): your role sees what their "
                      "characteristics predict, without their inspections, so that nobody "
                      "can work out the hidden counts.") if n_nopub else "")
        + (" · " + tr(f"{len(hot)} puntos calientes", f"{len(hot)} hot spots") if show_hot
           else "")
        + (" · " + tr(f"{payload['fuera_rango']} fuera del rango aprendido (contorno azul "
                      "punteado): sus capas superan lo que tenían los distritos inspeccionados; "
                      "se puntúan en el borde de ese rango.",
                      f"{payload['fuera_rango']} outside the learnt range (dotted blue "
                      "outline): their layers exceed what the inspected districts had; they "
                      "are scored at the edge of that range.")
           if payload.get("fuera_rango") else "")
        + (" · " + tr(f"{n_alerts} {'alerta' if n_alerts == 1 else 'alertas'} de cambio "
                      "(contorno morado)", f"{n_alerts} change "
                      f"{'alert' if n_alerts == 1 else 'alerts'} (purple outline)")
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
    if st.toggle(tr("Ver los 15 distritos de mayor riesgo", "Show the 15 highest-risk districts"),
                 key="mapa_top15"):
        top = layer.sort_values(C.RIESGO, ascending=False).head(15)
        shown = pd.DataFrame({
            t("rango"): top[C.RANGO].astype(int),
            t("distrito"): top[C.DISTRITO],
            t("provincia"): top[C.PROVINCIA],
            t("departamento"): top[C.DEPARTAMENTO],
            t("riesgo"): 100 * top[C.RIESGO],
            t("intervalo"): [f"{100 * lo:.1f} – {100 * hi:.1f} %"
                             for lo, hi in zip(top[C.RIESGO_P05], top[C.RIESGO_P95],
                                               strict=True)],
            t("evidencia"): top[C.EVIDENCIA].map(lambda v: evidence_label(v, lang)),
            t("ubigeo"): top[C.UBIGEO],
        })
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={t("riesgo"): st.column_config.NumberColumn(
                         format="%.1f %%")})
