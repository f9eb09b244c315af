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

import pandas as pd
import streamlit as st

from dashboard import indicatormaps, mapview, state, ui
from dashboard.i18n import get_lang, t
from dashboard.indicator_words import SECTOR_WORDS, VIEWS, indicator_name
from dashboard.indicator_words import SERVICE_WORDS as SERVICE_NAMES
from geo import columns as C
from geo.formatting import printf_pattern
from geo.messages import Message
from geo.records.indicators import (
    BY_OPTIONS,
    CLASES,
    INDICIOS,
    N_INDICIOS,
    N_TF_OIT,
    SIN_INDICIOS,
    TRABAJO_FORZOSO,
    load_table,
)


def _sector(value: str, lang: str) -> str:
    """The plain name of a sector code (the value itself if unknown)."""
    return t(f"indicadores.sector.{value}", lang) if value in SECTOR_WORDS else value


def _suppressed_note(n: int, k: int) -> None:
    if n:
        st.caption(t("indicadores.conteos_no_muestran_celdas", n=n, k=k - 1))


def _download_profile(who, region: tuple[str, ...], region_key: str, lang: str) -> None:
    """The profile as ``riskmap indicators --out FILE.xlsx`` writes it, for a spreadsheet."""
    with st.expander(t("hoja.indicadores.descargar_titulo")):
        by = st.radio(t("indicadores.by"), list(BY_OPTIONS), horizontal=True,
                      key="ind_xlsx_por",
                      format_func=lambda b: t(f"hoja.indicadores.por.{b}", lang))
        name = f"indicadores_{by}_{region_key}{'_SIMULADO' if ui.is_simulated() else ''}.xlsx"
        store = state.store(who)

        def _data() -> bytes:
            # made when the button is pressed (the profile's read is audited then), audited
            data = state.indicator_xlsx(who, by, region)
            store.record_event("exportacion", {"formato": "xlsx", "archivo": name, "por": by,
                                               "region": list(region)})
            return data

        st.download_button(t("hoja.indicadores.descargar_xlsx"), data=_data, file_name=name,
                           mime=state.XLSX_MIME, key="ind_xlsx", on_click="ignore")
        st.caption(t("hoja.indicadores.xlsx_ayuda"))


ui.page_header(
    t("indicadores.indicadores_trabajo_forzoso"),
    t("indicadores.encuentran_inspecciones_11_indicadores"),
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
    choice = c2.radio(t("indicadores.vista"), list(VIEWS), horizontal=True, key="ind_vista",
                      format_func=lambda v: t(f"indicadores.vista.{v}", lang))
    table = load_table()
    _download_profile(who, region, chosen_region.key, lang)

    if choice == "mapa":
        codes = [N_TF_OIT, N_INDICIOS, *table.codes]
        code = st.selectbox(t("comun.indicador"), codes, key="ind_indicador",
                            format_func=lambda c: indicator_name(c, lang))
        profile = state.indicator_profiles(who, C.UBIGEO, region)
        layer = state.map_layer(region, k)[[C.UBIGEO, C.DISTRITO, C.PROVINCIA, "geometry"]]
        layer, n, hidden = indicatormaps.indicator_rate_layer(
            layer, profile, code, settings.model.min_inspections)
        breaks = mapview.class_breaks(layer[C.RIESGO], "quantiles")
        name = indicator_name(code, lang)
        words = {
            "titulo": t("indicadores.inspecciones_con_indicador", lang=lang),
            "riesgo": t("indicadores.proporcion", lang=lang),
            "intervalo": t("indicadores.intervalo_90_wilson", lang=lang),
            "evidencia": t("comun.evidencia", lang=lang),
            "insuf": t("indicadores.menos_inspecciones_oculto_rayado", lang=lang,
                       min_inspections=settings.model.min_inspections),
            "insuf_nopub": t("indicadores.menos_inspecciones_oculto_rayado", lang=lang,
                             min_inspections=settings.model.min_inspections),
            "evid": {C.EVIDENCIA_INSUFICIENTE: t("indicadores.pocas_inspecciones", lang=lang),
                     "suficiente": t("comun.evidencia_suficiente", lang=lang),
                     C.EVIDENCIA_NO_PUBLICADA: t("indicadores.oculto_conteo_pequeno", lang=lang)},
        }
        _, deps = state.map_outlines(region)
        fmap = mapview.risk_map(layer, breaks, lang=lang, departments=deps,
                                static_url=ui.static_url(), labels=words,
                                ndigits=state.map_digits(region))
        ui.folium_component(mapview.folium_payload(fmap), key="ind_mapa",
                            height=mapview.MAP_HEIGHT, returned_objects=[])
        inspected = int((n > 0).sum())
        st.caption(
            t("indicadores.proporcion_inspecciones_distrito_hallo", name=name, inspected=inspected,
              n_layer=len(layer))
        )
        _suppressed_note(int(hidden.sum()), floor_k)

    elif choice == "mezcla":
        import altair as alt

        by = st.radio(t("indicadores.by"), [C.SECTOR, "anio"], horizontal=True, key="ind_por",
                      format_func=lambda b: t("indicadores.sector", lang=lang) if b == C.SECTOR
                      else t("indicadores.ano", lang=lang))
        profile = state.indicator_profiles(who, by, region)
        long = profile.melt(id_vars=[by], value_vars=list(table.codes), var_name="codigo",
                            value_name="n")
        long["indicador"] = long["codigo"].map(lambda c: indicator_name(c, lang))
        n_hidden = int(long["n"].isna().sum())
        long = long.dropna(subset=["n"])
        long[by] = long[by].astype(str)
        if by == C.SECTOR:
            long[by] = long[by].map(lambda v: _sector(v, lang))
        chart = alt.Chart(long).mark_bar().encode(
            x=alt.X(f"{by}:N", title=t("comun.record.sector", lang=lang) if by == C.SECTOR
                    else t("comun.anio", lang=lang)),
            y=alt.Y("n:Q", title=t("indicadores.inspecciones_con_indicador", lang=lang)),
            color=alt.Color("indicador:N", title=t("indicadores.indicador_oit", lang=lang),
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
            shown[by] = shown[by].map(lambda v: _sector(v, lang))
        heads = {c: indicator_name(c, lang) for c in (*table.codes, N_TF_OIT, N_INDICIOS)}
        heads.update({C.SECTOR: t("comun.record.sector", lang=lang),
                      "anio": t("comun.anio", lang=lang),
                      C.N_INSPECCIONES: t("comun.inspecciones", lang=lang),
                      "n_inconsistentes": t("indicadores.inconsistentes", lang=lang),
                      "n_victimas": t("comun.record.victimas", lang=lang),
                      "n_victimas_mujeres": t("comun.record.victimas_mujeres", lang=lang),
                      "n_victimas_menores": t("comun.record.victimas_menores", lang=lang)})
        # eleven indicators side by side: each headed by its number, its name on hover
        numbers = {heads[c]: heads[c].split(". ", 1)[0] for c in table.codes}
        st.dataframe(shown.drop(columns=["suprimido"]).rename(columns=heads)
                     .rename(columns=numbers), hide_index=True, width="stretch",
                     column_config={n: st.column_config.NumberColumn(n, help=name)
                                    for name, n in numbers.items()})
        st.caption(t("paginas.indicador_por_numero"))
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
                            title=t("comun.inspecciones", lang=lang)),
            tooltip=["a:N", "b:N", "n:Q"],
        ).properties(height=480)
        st.altair_chart(heat, width="stretch")
        st.caption(t("indicadores.celda_inspecciones_hallaron_ambos"))
        _suppressed_note(n_hidden, floor_k)

    elif choice == "clasificacion":
        crosstab = state.indicator_classes(who, region)
        shown = pd.DataFrame({
            t("indicadores.clase_segun_oit_ciet",
              lang=lang): [t(f"indicadores.clase.{c}", lang) for c in CLASES],
            t("indicadores.con_hallazgo_anotado_hallazgo", lang=lang): crosstab[1].to_numpy(),
            t("indicadores.sin_hallazgo_anotado_hallazgo", lang=lang): crosstab[0].to_numpy(),
        })
        st.dataframe(shown, hide_index=True, width="stretch")
        inconsistent = crosstab.loc[SIN_INDICIOS, 1], crosstab.loc[INDICIOS, 0], \
            crosstab.loc[TRABAJO_FORZOSO, 0]
        total = sum(0 if pd.isna(v) else int(v) for v in inconsistent)
        partial = any(pd.isna(v) for v in inconsistent)
        if partial and total == 0:
            st.markdown(t("indicadores.registros_inconsistentes_hallazgo_sin"))
        else:
            at_least = t("indicadores.menos") if partial else ""
            st.markdown(t("indicadores.registros_inconsistentes_hallazgo_sin_indicadore",
                          at_least=at_least, total=total))
        with st.expander(t("indicadores.regla_tabla_indicadores")):
            st.markdown(t("indicadores.oit_20_ciet_2018"))
            frame = table.frame()
            yes = t("indicadores.yes", lang=lang)
            frame = pd.DataFrame({
                t("indicadores.indicador_oit", lang=lang):
                    frame["codigo"].map(lambda c: indicator_name(c, lang)),
                t("indicadores.involuntariedad", lang=lang):
                    frame["involuntariedad"].map(lambda v: yes if v else ""),
                t("indicadores.amenaza_coaccion", lang=lang):
                    frame["amenaza"].map(lambda v: yes if v else ""),
                t("indicadores.base_parrafos_ciet_2018", lang=lang): frame["base"],
            })
            st.dataframe(frame, hide_index=True, width="stretch")
            st.caption(table.source_en if lang == "en" else table.source_es)  # the file's own
        _suppressed_note(int(crosstab.isna().to_numpy().sum()), floor_k)

    elif choice == "rutas":
        routes = state.victim_routes(who, region)
        districts = state.map_layer(region, k)
        _, deps = state.map_outlines(region)
        if routes.empty:
            st.info(t("indicadores.no_hay_registros_victimas_origen"
                      if not routes.attrs.get("ocultas") else
                      "indicadores.todas_rutas_conteos_pequenos"))
        fmap = indicatormaps.routes_map(districts, routes, lang=lang, departments=deps,
                                        static_url=ui.static_url(),
                                        ndigits=state.map_digits(region))
        ui.folium_component(mapview.folium_payload(fmap), key="ind_rutas",
                            height=mapview.MAP_HEIGHT, returned_objects=[])
        local = routes[routes[C.UBIGEO_ORIGEN] == routes[C.UBIGEO]]
        st.caption(t("indicadores.rutas_captacion_mismo_distrito", n_routes=len(routes),
                     n_local=len(local)))
        if routes.attrs.get("ocultas"):
            # a count of routes changes with each import: to 5 for a protected role
            n_hidden = state.shown_total(who, int(routes.attrs["ocultas"]))
            shown_n = str(n_hidden) if n_hidden >= floor_k else t("indicadores.algunas")
            st.caption(t("indicadores.rutas_con_menos_inspecciones", shown_n=shown_n,
                         floor_k=floor_k))
        if len(routes):
            st.dataframe(pd.DataFrame({
                t("indicadores.origen_captacion", lang=lang):
                    routes["origen_nombre"],
                t("indicadores.lugar_explotacion", lang=lang):
                    routes["destino_nombre"],
                t("comun.inspecciones", lang=lang): routes["n_inspecciones"],
                t("comun.record.victimas", lang=lang): routes[C.VICTIMAS],
                t("indicadores.mujeres", lang=lang): routes[C.VICTIMAS_MUJERES],
                t("indicadores.menores", lang=lang): routes[C.VICTIMAS_MENORES],
            }), hide_index=True, width="stretch")

    else:
        every_service = state.service_points(())
        services = state.service_points(region)
        access = state.service_access(region)
        if every_service is None or access is None or every_service.empty:
            st.info(t("indicadores.no_capa_servicios_declarela"))
            st.stop()
        from models.planning.services import FAR_DAYS, RISK_QUANTILE

        gap = state.service_gap(who, region)
        flagged = gap[gap["brecha"]].sort_values(C.RIESGO, ascending=False)
        type_names = {kind: (t(f"indicadores.servicio.{kind}", lang)
                             if kind in SERVICE_NAMES else kind)
                      for kind in every_service["tipo"].unique()}
        fmap = indicatormaps.services_map(
            state.map_layer(region, k), access, services, flagged[C.UBIGEO].tolist(),
            lang=lang, type_names=type_names, departments=state.map_outlines(region)[1],
            static_url=ui.static_url(), ndigits=state.map_digits(region))
        ui.folium_component(mapview.folium_payload(fmap), key="ind_servicios",
                            height=mapview.MAP_HEIGHT, returned_objects=[])
        simulated = any(spec.simulated for spec in settings.services)
        st.caption(t("indicadores.servicios_dias_brecha", n=len(services),
                     simulated=Message("indicadores.simulados_entre_parentesis")
                     if simulated else "",
                     quantile=RISK_QUANTILE, far=FAR_DAYS))
        st.markdown("**" + t("indicadores.distritos_brecha", n_flagged=len(flagged)) + "**")
        st.dataframe(pd.DataFrame({
            t("comun.distrito", lang=lang): flagged[C.DISTRITO],
            t("comun.provincia", lang=lang): flagged[C.PROVINCIA],
            t("comun.riesgo", lang=lang): 100 * flagged[C.RIESGO],
            t("indicadores.dias_servicio_cercano", lang=lang):
                flagged["dias_servicio"].round(1),
            t("indicadores.servicio_cercano", lang=lang):
                flagged["servicio_cercano"],
            "UBIGEO": flagged[C.UBIGEO],
        }), hide_index=True, width="stretch",
            column_config={t("comun.riesgo", lang=lang): st.column_config.NumberColumn(
                format=printf_pattern(1, lang, percent=True)),
                t("indicadores.dias_servicio_cercano", lang=lang): st.column_config.NumberColumn(
                    format=printf_pattern(1, lang))})
