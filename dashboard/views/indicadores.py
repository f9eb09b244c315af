"""Indicadores: what inspections find (the 11 ILO indicators), where victims come from, help.

One view at a time (a slow link sends only what is looked at):

- **Mapa**: the share of inspections of each district where a chosen indicator was found
  (or where the record is forced labour under the ICLS rule), hatched where the district has
  too few inspections to say much, as on the Mapa page;
- **Sector y año**: the indicator mix by sector and by year, for a meeting;
- **Coocurrencia**: which indicators are found together;
- **Clasificación OIT**: the records' ICLS class against ``hallazgo_tf``;
- **Rutas**: from the district of recruitment to the place of exploitation;
- **Servicios**: days to the nearest service, and the gap (high risk, help far away).

Counts from 1 to k-1 are blanked for roles without record access; every read is audited.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import indicatormaps, mapview, state, ui
from dashboard.i18n import get_lang, tr
from dashboard.indicator_words import CLASS_WORDS as CLASS_NAMES
from dashboard.indicator_words import SECTOR_WORDS, VIEWS, indicator_name
from dashboard.indicator_words import SERVICE_WORDS as SERVICE_NAMES
from geo import columns as C
from geo.records.indicators import (
    CLASES,
    INDICIOS,
    N_INDICIOS,
    N_TF_OIT,
    SIN_INDICIOS,
    TRABAJO_FORZOSO,
    load_table,
    wilson,
)


def _suppressed_note(n: int, k: int) -> None:
    if n:
        st.caption(tr(f"{n} conteos no se muestran (celdas vacías): con su rol se ocultan los "
                      f"conteos de 1 a {k - 1}, que podrían identificar a personas, y los que "
                      "permitirían deducirlos de esta tabla o de otra (un total menos lo "
                      "que se ve). Una celda vacía no es siempre un conteo pequeño.",
                      f"{n} counts are not shown (empty cells): for your role, counts from 1 "
                      f"to {k - 1}, which could identify people, are hidden, and so are those "
                      "from which they could be worked out in this table or another (a total "
                      "minus what is shown). An empty cell is not always a small count."))


ui.page_header(
    tr("Indicadores de trabajo forzoso", "Forced-labour indicators"),
    tr("Qué encuentran las inspecciones (los 11 indicadores de la OIT), de dónde vienen las "
       "víctimas y qué ayuda tienen cerca.",
       "What inspections find (the 11 ILO indicators), where victims come from and what help "
       "is near."),
)

with ui.guard():
    settings = state.settings()
    who = ui.principal()
    k = state.view(who)
    floor_k = max(k, 1)
    lang = get_lang()
    c1, c2 = st.columns([3, 4])
    chosen_region = ui.region_picker(c1, "ind_region")
    region = chosen_region.codes
    choice = c2.radio(tr("Vista", "View"), list(VIEWS), horizontal=True, key="ind_vista",
                      format_func=lambda v: tr(*VIEWS[v], lang=lang))
    table = load_table()

    if choice == "mapa":
        codes = [N_TF_OIT, N_INDICIOS, *table.codes]
        code = st.selectbox(tr("Indicador", "Indicator"), codes, key="ind_indicador",
                            format_func=lambda c: indicator_name(c, lang))
        profile = state.indicator_profiles(who, C.UBIGEO, region)
        layer = state.map_layer(region, k)[[C.UBIGEO, C.DISTRITO, C.PROVINCIA, "geometry"]]
        layer = layer.merge(profile[[C.UBIGEO, C.N_INSPECCIONES, code, "suprimido"]],
                            on=C.UBIGEO, how="left")
        n = pd.to_numeric(layer[C.N_INSPECCIONES], errors="coerce").astype(float)
        x = pd.to_numeric(layer[code], errors="coerce").astype(float)
        rate = np.where(n > 0, x / n.where(n > 0), np.nan)
        lo, hi = wilson(np.nan_to_num(x), np.nan_to_num(n))
        hidden = layer["suprimido"].fillna("").str.contains(code) | \
            layer["suprimido"].fillna("").str.contains(C.N_INSPECCIONES)
        few = n.fillna(0) < settings.model.min_inspections
        layer[C.RIESGO] = np.where(hidden, np.nan, rate)
        layer[C.RIESGO_P05] = np.where(hidden | ~(n > 0), np.nan, lo)
        layer[C.RIESGO_P95] = np.where(hidden | ~(n > 0), np.nan, hi)
        layer[C.EVIDENCIA] = np.where(hidden, C.EVIDENCIA_NO_PUBLICADA, np.where(
            few, C.EVIDENCIA_INSUFICIENTE, "suficiente"))
        breaks = mapview.class_breaks(layer[C.RIESGO], "quantiles")
        name = indicator_name(code, lang)
        words = {
            "titulo": tr("Inspecciones con el indicador", "Inspections with the indicator",
                         lang=lang),
            "riesgo": tr("Proporción", "Share", lang=lang),
            "intervalo": tr("Intervalo 90 % (Wilson)", "90 % interval (Wilson)", lang=lang),
            "evidencia": tr("Evidencia", "Evidence", lang=lang),
            "insuf": tr(f"Menos de {settings.model.min_inspections} inspecciones u oculto "
                        "(rayado)", f"Fewer than {settings.model.min_inspections} "
                        "inspections or hidden (hatched)", lang=lang),
            "insuf_nopub": tr(f"Menos de {settings.model.min_inspections} inspecciones u "
                              "oculto (rayado)", f"Fewer than "
                              f"{settings.model.min_inspections} inspections or hidden "
                              "(hatched)", lang=lang),
            "evid": {C.EVIDENCIA_INSUFICIENTE: tr("pocas inspecciones", "few inspections",
                                                  lang=lang),
                     "suficiente": tr("suficiente", "sufficient", lang=lang),
                     C.EVIDENCIA_NO_PUBLICADA: tr("oculto (conteo pequeño)",
                                                  "hidden (small count)", lang=lang)},
        }
        _, deps = state.map_outlines(region)
        fmap = mapview.risk_map(layer, breaks, lang=lang, departments=deps,
                                static_url=ui.static_url(), labels=words,
                                ndigits=state.map_digits(region))
        ui.folium_component(mapview.folium_payload(fmap), key="ind_mapa",
                            height=mapview.MAP_HEIGHT, returned_objects=[])
        inspected = int((n > 0).sum())
        st.caption(
            tr(f"{name}: proporción de las inspecciones de cada distrito en que se halló. "
               f"{inspected} de {len(layer)} distritos tienen inspecciones; los grises no "
               "tienen ninguna.",
               f"{name}: share of each district's inspections where it was found. "
               f"{inspected} of {len(layer)} districts have inspections; grey ones have none.")
        )
        _suppressed_note(int(hidden.sum()), floor_k)

    elif choice == "mezcla":
        import altair as alt

        by = st.radio(tr("Por", "By"), [C.SECTOR, "anio"], horizontal=True, key="ind_por",
                      format_func=lambda b: tr("sector", "sector", lang=lang) if b == C.SECTOR
                      else tr("año", "year", lang=lang))
        profile = state.indicator_profiles(who, by, region)
        long = profile.melt(id_vars=[by], value_vars=list(table.codes), var_name="codigo",
                            value_name="n")
        long["indicador"] = long["codigo"].map(lambda c: indicator_name(c, lang))
        n_hidden = int(long["n"].isna().sum())
        long = long.dropna(subset=["n"])
        long[by] = long[by].astype(str)
        if by == C.SECTOR:
            long[by] = long[by].map(lambda v: tr(*SECTOR_WORDS.get(v, (v, v)), lang=lang))
        chart = alt.Chart(long).mark_bar().encode(
            x=alt.X(f"{by}:N", title=tr("Sector", "Sector", lang=lang) if by == C.SECTOR
                    else tr("Año", "Year", lang=lang)),
            y=alt.Y("n:Q", title=tr("Inspecciones con el indicador",
                                    "Inspections with the indicator", lang=lang)),
            color=alt.Color("indicador:N", title=tr("Indicador OIT", "ILO indicator",
                                                    lang=lang),
                            scale=alt.Scale(scheme="tableau20"),
                            legend=alt.Legend(labelLimit=320),
                            sort=[indicator_name(c, lang) for c in table.codes]),
            order=alt.Order("codigo:N"),
            tooltip=[alt.Tooltip(f"{by}:N"), alt.Tooltip("indicador:N"),
                     alt.Tooltip("n:Q", title="n")],
        ).properties(height=420)
        st.altair_chart(chart, width="stretch")
        shown = profile.copy()
        if by == C.SECTOR:
            shown[by] = shown[by].map(lambda v: tr(*SECTOR_WORDS.get(v, (v, v)), lang=lang))
        heads = {c: indicator_name(c, lang) for c in (*table.codes, N_TF_OIT, N_INDICIOS)}
        heads.update({C.SECTOR: tr("Sector", "Sector", lang=lang),
                      "anio": tr("Año", "Year", lang=lang),
                      C.N_INSPECCIONES: tr("Inspecciones", "Inspections", lang=lang),
                      "n_inconsistentes": tr("Inconsistentes", "Inconsistent", lang=lang),
                      "n_victimas": tr("Víctimas", "Victims", lang=lang),
                      "n_victimas_mujeres": tr("Víctimas mujeres", "Women victims", lang=lang),
                      "n_victimas_menores": tr("Víctimas menores", "Child victims", lang=lang)})
        st.dataframe(shown.drop(columns=["suprimido"]).rename(columns=heads), hide_index=True,
                     width="stretch")
        _suppressed_note(n_hidden, floor_k)

    elif choice == "coocurrencia":
        import altair as alt

        matrix = state.indicator_cooccurrence(who, region)
        names = {c: indicator_name(c, lang) for c in matrix.index}
        long = matrix.rename(index=names, columns=names).stack(future_stack=True).rename(
            "n").reset_index()
        long.columns = ["a", "b", "n"]
        n_hidden = int(long["n"].isna().sum())
        heat = alt.Chart(long.dropna()[lambda d: d["n"] > 0]).mark_rect().encode(
            x=alt.X("a:N", sort=list(names.values()), title=None,
                    axis=alt.Axis(labelLimit=240, labelAngle=-45, labelOverlap=False)),
            y=alt.Y("b:N", sort=list(names.values()), title=None,
                    axis=alt.Axis(labelLimit=300, labelOverlap=False)),
            color=alt.Color("n:Q", scale=alt.Scale(scheme="orangered"),
                            title=tr("Inspecciones", "Inspections", lang=lang)),
            tooltip=["a:N", "b:N", "n:Q"],
        ).properties(height=480)
        st.altair_chart(heat, width="stretch")
        st.caption(tr("Cada celda: inspecciones en que se hallaron ambos indicadores; la "
                      "diagonal, cuántas veces se halló cada uno; en blanco, nunca juntos "
                      "(u oculto, abajo).",
                      "Each cell: inspections where both indicators were found; the "
                      "diagonal, how often each one was found; blank, never together (or "
                      "hidden, below)."))
        _suppressed_note(n_hidden, floor_k)

    elif choice == "clasificacion":
        crosstab = state.indicator_classes(who, region)
        shown = pd.DataFrame({
            tr("Clase según la OIT (CIET 2018)", "Class under the ILO rule (ICLS 2018)",
               lang=lang): [tr(*CLASS_NAMES[c], lang=lang) for c in CLASES],
            tr("Con hallazgo anotado (hallazgo_tf = 1)", "Finding recorded (hallazgo_tf = 1)",
               lang=lang): crosstab[1].to_numpy(),
            tr("Sin hallazgo anotado (hallazgo_tf = 0)", "No finding recorded (hallazgo_tf = 0)",
               lang=lang): crosstab[0].to_numpy(),
        })
        st.dataframe(shown, hide_index=True, width="stretch")
        inconsistent = crosstab.loc[SIN_INDICIOS, 1], crosstab.loc[INDICIOS, 0], \
            crosstab.loc[TRABAJO_FORZOSO, 0]
        total = sum(0 if pd.isna(v) else int(v) for v in inconsistent)
        partial = any(pd.isna(v) for v in inconsistent)
        if partial and total == 0:
            st.markdown(tr(
                "**Registros inconsistentes** (hallazgo sin indicadores, o indicadores sin "
                "hallazgo): pocos, no se muestran con su rol.",
                "**Inconsistent records** (a finding with no indicator, or indicators with no "
                "finding): few, not shown for your role."))
        else:
            at_least = tr("al menos ", "at least ") if partial else ""
            st.markdown(tr(
                f"**{at_least}{total} registros inconsistentes** (hallazgo sin indicadores, o "
                "indicadores sin hallazgo): se importan y se cuentan, pero conviene revisarlos "
                "con quien inspeccionó.",
                f"**{at_least}{total} inconsistent records** (a finding with no indicator, or "
                "indicators with no finding): they are imported and counted, but worth "
                "checking with the inspector."))
        with st.expander(tr("La regla y la tabla de indicadores", "The rule and the "
                            "indicator table")):
            st.markdown(tr(
                "La OIT (20.ª CIET, 2018) cuenta un trabajo como **forzoso** cuando es a la "
                "vez *involuntario* y bajo *amenaza de una pena*. Cada indicador pertenece a "
                "una o ambas dimensiones:",
                "The ILO (20th ICLS, 2018) counts work as **forced** when it is both "
                "*involuntary* and under *threat of a penalty*. Each indicator belongs to one "
                "or both dimensions:"))
            frame = table.frame()
            yes = tr("sí", "yes", lang=lang)
            frame = pd.DataFrame({
                tr("Indicador OIT", "ILO indicator", lang=lang):
                    frame["codigo"].map(lambda c: indicator_name(c, lang)),
                tr("Involuntariedad", "Involuntary work", lang=lang):
                    frame["involuntariedad"].map(lambda v: yes if v else ""),
                tr("Amenaza o coacción", "Threat or menace", lang=lang):
                    frame["amenaza"].map(lambda v: yes if v else ""),
                tr("Base (párrafos de la CIET 2018, en inglés)",
                   "Basis (ICLS 2018 paragraphs)", lang=lang): frame["base"],
            })
            st.dataframe(frame, hide_index=True, width="stretch")
            st.caption(tr(table.source_es, table.source_en, lang=lang))
        _suppressed_note(int(crosstab.isna().to_numpy().sum()), floor_k)

    elif choice == "rutas":
        routes = state.victim_routes(who, region)
        districts = state.map_layer(region, k)
        _, deps = state.map_outlines(region)
        if routes.empty:
            st.info(tr("No hay registros con víctimas y distrito de origen en esta región "
                       "(columna ubigeo_origen)." if not routes.attrs.get("ocultas") else
                       "Todas las rutas de esta región tienen conteos pequeños y no se "
                       "muestran con su rol.",
                       "There are no records with victims and a district of origin in this "
                       "region (column ubigeo_origen)." if not routes.attrs.get("ocultas")
                       else "Every route of this region has small counts and is not shown "
                       "for your role."))
        fmap = indicatormaps.routes_map(districts, routes, lang=lang, departments=deps,
                                        static_url=ui.static_url(),
                                        ndigits=state.map_digits(region))
        ui.folium_component(mapview.folium_payload(fmap), key="ind_rutas",
                            height=mapview.MAP_HEIGHT, returned_objects=[])
        local = routes[routes[C.UBIGEO_ORIGEN] == routes[C.UBIGEO]]
        st.caption(tr(
            f"{len(routes)} rutas ({len(local)} de captación en el mismo distrito); el punto "
            "blanco es el distrito de captación y el grosor de la línea crece con las víctimas. "
            "Como el observatorio SmartLab del Brasil pone el lugar de nacimiento frente al de "
            "rescate, aquí el lugar de captación frente al de explotación.",
            f"{len(routes)} routes ({len(local)} recruited in the same district); the white "
            "dot is the district of recruitment and line width grows with the victims. As "
            "Brazil's SmartLab observatory sets birthplace against place of rescue, here the "
            "place of recruitment against the place of exploitation."))
        if routes.attrs.get("ocultas"):
            # a count of routes changes with each import: to 5 for a protected role
            n_hidden = state.shown_total(who, int(routes.attrs["ocultas"]))
            shown_n = str(n_hidden) if n_hidden >= floor_k else tr("Algunas", "Some")
            st.caption(tr(f"{shown_n} rutas con menos de {floor_k} "
                          "inspecciones o víctimas no se muestran con su rol.",
                          f"{shown_n} routes with fewer than {floor_k} "
                          "inspections or victims are not shown for your role."))
        if len(routes):
            st.dataframe(pd.DataFrame({
                tr("Origen (captación)", "Origin (recruitment)", lang=lang):
                    routes["origen_nombre"],
                tr("Lugar de explotación", "Place of exploitation", lang=lang):
                    routes["destino_nombre"],
                tr("Inspecciones", "Inspections", lang=lang): routes["n_inspecciones"],
                tr("Víctimas", "Victims", lang=lang): routes[C.VICTIMAS],
                tr("Mujeres", "Women", lang=lang): routes[C.VICTIMAS_MUJERES],
                tr("Menores", "Minors", lang=lang): routes[C.VICTIMAS_MENORES],
            }), hide_index=True, width="stretch")

    else:
        every_service = state.service_points(())
        services = state.service_points(region)
        access = state.service_access(region)
        if every_service is None or access is None or every_service.empty:
            st.info(tr(
                "No hay una capa de servicios. Declárela en la configuración como cualquier "
                "capa de puntos, con kind = \"servicios\" (ver config/settings.toml), y "
                "ejecute 'riskmap build'.",
                "There is no services layer. Declare it in the settings like any point "
                "layer, with kind = \"servicios\" (see config/settings.toml), and run "
                "'riskmap build'."))
            st.stop()
        from models.planning.services import FAR_DAYS, RISK_QUANTILE

        gap = state.service_gap(who, region)
        flagged = gap[gap["brecha"]].sort_values(C.RIESGO, ascending=False)
        type_names = {t: tr(*SERVICE_NAMES.get(t, (t, t)), lang=lang)
                      for t in every_service["tipo"].unique()}
        fmap = indicatormaps.services_map(
            state.map_layer(region, k), access, services, flagged[C.UBIGEO].tolist(),
            lang=lang, type_names=type_names, departments=state.map_outlines(region)[1],
            static_url=ui.static_url(), ndigits=state.map_digits(region))
        ui.folium_component(mapview.folium_payload(fmap), key="ind_servicios",
                            height=mapview.MAP_HEIGHT, returned_objects=[])
        simulated = any(spec.simulated for spec in settings.services)
        st.caption(tr(
            f"{len(services)} servicios" + (" (SIMULADOS)" if simulated else "") + ". Días "
            "de viaje de ida desde el centro del distrito con el modelo de viaje de la "
            "planificación (o la tabla de viajes de los planificadores). Brecha: riesgo en "
            "el cuarto más alto de su departamento (riesgo alto *para ese departamento*, "
            f"cuantil {RISK_QUANTILE:g}) y el servicio más cercano a {FAR_DAYS:g} día o más.",
            f"{len(services)} services" + (" (SIMULATED)" if simulated else "") + ". One-way "
            "travel days from the district's centre with the planning travel model (or the "
            "planners' travel table). Gap: risk in the top quarter of its department "
            f"(quantile {RISK_QUANTILE:g}) and the nearest service {FAR_DAYS:g} day or more "
            "away."))
        st.markdown("**" + tr(f"{len(flagged)} distritos en la brecha",
                              f"{len(flagged)} districts in the gap") + "**")
        st.dataframe(pd.DataFrame({
            tr("Distrito", "District", lang=lang): flagged[C.DISTRITO],
            tr("Provincia", "Province", lang=lang): flagged[C.PROVINCIA],
            tr("Riesgo", "Risk", lang=lang): 100 * flagged[C.RIESGO],
            tr("Días al servicio más cercano", "Days to the nearest service", lang=lang):
                flagged["dias_servicio"].round(1),
            tr("Servicio más cercano", "Nearest service", lang=lang):
                flagged["servicio_cercano"],
            "UBIGEO": flagged[C.UBIGEO],
        }), hide_index=True, width="stretch",
            column_config={tr("Riesgo", "Risk", lang=lang): st.column_config.NumberColumn(
                format="%.1f %%")})
