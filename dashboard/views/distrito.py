"""Distrito: the card a planner takes to a meeting.

The page lays out; its words and tables are computed in :mod:`dashboard.district_view`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.district_view import (
    BASE_SOURCE_COLUMNS,
    LAYER_SOURCE_COLUMNS,
    META_HIDDEN,
    META_WORDS,
    RECORD_WORDS,
    count_phrase,
    count_text,
    indicator_text,
    layer_rows,
    meta_value,
    source_table,
)
from dashboard.i18n import evidence_short, feature_label, get_lang, label, t
from dashboard.indicator_words import SERVICE_WORDS, indicator_name
from dashboard.layer_words import (
    feature_words,
    layer_name,
    listed,
    range_words,
    zero_note,
)
from dashboard.state.fieldsheets import district_sheet
from geo import columns as C
from geo.formatting import format_percent, printf_pattern
from geo.messages import Message
from geo.records.indicators import (
    N_INCONSISTENTES,
    N_INDICIOS,
    N_TF_OIT,
    N_VICTIMAS,
    load_table,
)
from geo.records.sheets import neutralise_frame
from geo.trust.access import floor
from models.planning.fieldprint import sheets_document
from models.planning.services import DIAS_SERVICIO, type_column
from models.risk.explain import points, record_words
from models.risk.recency import MOTIVO_CAPAS
from models.risk.scorer import HISTORIAL


def district_indicators(who, ubigeo: str, k: int, lang: str) -> None:
    """The district's ILO indicator profile: how often each indicator was found (suppressed)."""
    profile = state.indicator_profiles(who, C.UBIGEO, (ubigeo[:2],), ubigeo=ubigeo)
    row = profile.iloc[0] if len(profile) else None
    n = None if row is None else row[C.N_INSPECCIONES]
    if row is None or (not pd.isna(n) and int(n) == 0):
        st.info(t("distrito.no_inspecciones_registradas_distrito"))
        return
    hidden = set(str(row["suprimido"] or "").split(";"))
    codes = load_table().codes
    st.dataframe(pd.DataFrame({
        t("comun.indicador", lang=lang): [indicator_name(c, lang) for c in codes],
        t("distrito.inspecciones_hallo", lang=lang):
            [count_text(row[c], c in hidden, k) for c in codes],
    }), hide_index=True, width="stretch", height=35 * (len(codes) + 1) + 3)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("indicadores.clase.trabajo_forzoso", lang),
              count_text(row[N_TF_OIT], N_TF_OIT in hidden, k))
    c2.metric(t("indicadores.clase.indicios", lang),
              count_text(row[N_INDICIOS], N_INDICIOS in hidden, k))
    if N_INCONSISTENTES in row:  # a data-quality count for those who record (planners)
        c3.metric(t("distrito.hallazgo_sin_indicadores_indicadores",
                    lang=lang), count_text(row[N_INCONSISTENTES], N_INCONSISTENTES in hidden,
                                            k))
    st.caption(t("distrito.de_n_trabajo_forzoso_oit",
                 of=count_phrase(n, C.N_INSPECCIONES in hidden, k,
                                 _nouns("inspeccion", "inspecciones"))))


def district_services(ubigeo: str, lang: str) -> None:
    """Days to the nearest service of each type, from the services layer."""
    access = state.service_access((ubigeo[:2],))
    services = state.service_points(())
    if access is None or services is None or services.empty or ubigeo not in access.index:
        st.caption(t("distrito.no_capa_servicios_kind"))
        return
    row = access.loc[ubigeo]
    kinds = sorted(services["tipo"].astype(str).unique())
    st.dataframe(pd.DataFrame({
        t("distrito.servicio", lang=lang): [t(f"indicadores.servicio.{t_}", lang)
                                               if t_ in SERVICE_WORDS else t_
                                               for t_ in kinds],
        t("distrito.dias_viaje_ida", lang=lang):
            [round(float(row.get(type_column(t_), float("nan"))), 1) for t_ in kinds],
    }), hide_index=True, width="stretch")
    st.caption(t("distrito.mas_cercano_dias_ida", nearest=row['servicio_cercano'],
                 days=float(row[DIAS_SERVICIO]))
               + (t("distrito.servicios_simulados")
                  if any(s.simulated for s in state.settings().services) else ""))


def _nouns(one: str, many: str) -> tuple[str, str]:
    """The singular and the plural of a noun: keys ``distrito.sustantivo.<one>``, ``…<many>``."""
    return t(f"distrito.sustantivo.{one}"), t(f"distrito.sustantivo.{many}")




ui.page_header(t("distrito.ficha_distrito"))

with ui.guard():
    settings = state.settings()
    who = ui.principal()
    k = floor(who.role, settings.auth.suppression)
    view = state.view(who)  # 0: everything; else k, through models.risk.disclosure
    all_scores = state.scores(view)
    scores = state.in_region(all_scores, who.regions)  # the districts of its regions only
    wanted = st.session_state.pop("ubigeo", None) or st.query_params.get("ubigeo")
    regions = state.region_options(who.regions)
    held = regions.get(st.session_state.get(ui.REGION_KEY, ""))
    if wanted in set(scores[C.UBIGEO]) and held and str(wanted)[:2] not in held.codes:
        # a link to a district of another region: the region switch follows the district
        home = next((r for r in reversed(regions.values()) if str(wanted)[:2] in r.codes),
                    held)  # its department first, the whole area after
        ui.hold_region(home.key)
    chosen_region = ui.region_picker(st.container(), "distrito_region")
    options = state.in_region(scores, chosen_region.codes).sort_values(
        [C.DEPARTAMENTO, C.DISTRITO])
    labels = dict(zip(
        options[C.UBIGEO],
        options[C.DISTRITO] + " (" + options[C.PROVINCIA] + ", " + options[C.DEPARTAMENTO]
        + ") — " + options[C.UBIGEO], strict=True,
    ))

    if wanted in labels:
        st.session_state["distrito_sel"] = wanted
    elif wanted and not who.sees(str(wanted)):
        st.warning(t("distrito.fuera_de_sus_regiones", regions=ui.regions_said(who.regions)))
    query = st.text_input(
        t("distrito.buscar_nombre_ubigeo"), key="distrito_buscar",
        placeholder=t("distrito.ej_camanti_081203"),
    )
    keys = list(labels)
    if query.strip():
        q = query.strip().lower()
        keys = [k for k in keys if q in labels[k].lower()]
        if not keys:
            shown = ui.escape_markdown(query)
            st.warning(t("distrito.ningun_distrito_coincide_con", shown=shown))
            st.stop()
        if st.session_state.get("distrito_sel") not in keys:
            st.session_state["distrito_sel"] = keys[0]
    if st.session_state.get("distrito_sel") not in labels:
        st.session_state["distrito_sel"] = keys[0]
    ubigeo = st.selectbox(t("comun.distrito"), keys, format_func=labels.get, key="distrito_sel")
    if st.query_params.get("ubigeo") != ubigeo:
        st.query_params["ubigeo"] = ubigeo
    if st.session_state.get("_auditoria_distrito") != ubigeo:  # each district opened, once
        st.session_state["_auditoria_distrito"] = ubigeo
        state.store(who).record_event("distrito", {"ubigeo": ubigeo})

    row = scores[scores[C.UBIGEO] == ubigeo].iloc[0]
    same_dep = scores[scores[C.UBIGEO].str[:2] == ubigeo[:2]]
    st.subheader(f"{row[C.DISTRITO]} — {row[C.PROVINCIA]}, {row[C.DEPARTAMENTO]}")

    # wider tiles for the interval and the evidence: their values are the longest
    m1, m2, m3, m4 = st.columns([1, 1.35, 1, 1.2])
    m1.metric(t("comun.riesgo"), format_percent(row[C.RIESGO]),
              help=t("distrito.probabilidad_estimada_inspeccion_encuentre"))
    withheld = bool(pd.isna(row[C.RIESGO_P05]))  # models.risk.disclosure: not for this role
    m2.metric(t("comun.intervalo"), t("distrito.no_publicado") if withheld else
              f"{format_percent(row[C.RIESGO_P05])} – {format_percent(row[C.RIESGO_P95])}")
    # the rank a regional office reads is within its department; among every district this
    # role sees only in the help (a Cusco planner never counts Loreto's districts)
    dep_rank = int(state.rank_in(same_dep).loc[row.name])
    seen_rank = int(state.rank_in(scores).loc[row.name])
    m3.metric(t("distrito.puesto", departamento=row[C.DEPARTAMENTO]),
              f"{dep_rank} / {len(same_dep)}",
              help=t("distrito.puesto_de_distritos", dep_rank=dep_rank, n_dep=len(same_dep),
                     departamento=row[C.DEPARTAMENTO])
              + (t("distrito.puesto_en_sus_regiones", seen_rank=seen_rank, n=len(scores))
                 if len(scores) > len(same_dep) else "."))
    # one word in the tile ("Insuficiente"): "evidencia insuficiente" did not fit and was cut
    m4.metric(t("comun.evidencia"), evidence_short(row[C.EVIDENCIA]),
              help=t("distrito.cuanto_apoya_estimacion_inspecciones"))
    # the scores carry the district's counts too: suppressed like the store's for non-planners
    hid_insp, hid_hall = (bool(row.get(f"{c}_suprimido", False))
                          for c in (C.N_INSPECCIONES, C.N_HALLAZGOS))
    # one inspection, one finding: the singular; a hidden count is said to be hidden
    insp = count_phrase(row[C.N_INSPECCIONES], hid_insp, k, _nouns("inspeccion", "inspecciones"))
    hall = count_phrase(row[C.N_HALLAZGOS], hid_hall, k, _nouns("hallazgo", "hallazgos"))
    if withheld:
        # the record may be withheld for its few complaint-driven inspections alone
        few_records = any(bool(row.get(f"{c}_suprimido", False))
                          for c in (C.N_INSPECCIONES, C.N_HALLAZGOS))
        few = (Message("distrito.con_tan_pocos_registros") if few_records
               else Message("distrito.menos_de_k_denuncias", {"k": k}))
        st.caption(t("distrito.basado_en_retenido", insp=insp, hall=hall, few=few))
    else:
        st.caption(t("distrito.basado_en_prob_top10", insp=insp, hall=hall,
                     pct=row[C.PROB_TOP10]))
    if row[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE:
        st.info(t("distrito.pocas_inspecciones_distrito_estimacion"))

    if str(row.get("alerta_deriva", "")) == "al alza":  # a change alert, said at the top
        if str(row.get("motivo_deriva", "")) == MOTIVO_CAPAS:
            dated = ", ".join(feature_label(spec.name, {spec.name: spec.description},
                                            get_lang()).lower()
                              for spec in settings.layers if spec.dated) or t("comun.capas")
            st.warning(t("distrito.alerta_cambio_capas_con", dated=dated), icon="📈")
        else:
            st.warning(t("distrito.alerta_cambio_hallazgos_ultimos"), icon="📈")

    lang = get_lang()
    facts = state.layer_facts()
    patterns = state.missing_patterns()
    if listed(row.get("fuera_rango")):  # scored at the edge of what the weights saw
        beyond = range_words(row["fuera_rango"], facts, lang, patterns)
        st.warning(t("distrito.fuera_rango_aprendido_pesos", beyond=beyond),
            icon=":material/straighten:")
    descriptions = {spec.name: spec.description for spec in settings.layers}
    silent_here = set(listed(row.get("sin_dato")))
    # one above the other: side by side, the indicator table cut its names and values off
    left, right = st.container(), st.container()
    with left:
        st.markdown("#### " + t("distrito.sube_baja_riesgo"))
        # a withheld history term is not drawn, nor a layer without a public value here
        # (its term is left out: 0 by construction, not "no effect")
        contrib_cols = [c for c in scores.columns if c.startswith(C.CONTRIB_PREFIX)
                        and pd.notna(row[c]) and c[len(C.CONTRIB_PREFIX):] not in silent_here]
        if contrib_cols:
            base, pts = points(float(row[C.RIESGO]),
                               {c: float(row[c]) for c in contrib_cols})
            # what the term is, said in full in the caption under the chart
            history_name = t("distrito.propio_historial_vs_esperado")

            def factor(name: str) -> str:
                # a missing-value indicator: "sin dato público" here, or what having them says
                members = set(patterns.get(name) or (name[len("falta_"):],))
                return feature_words(name, facts, lang, patterns,
                                     has_data=not members & silent_here,
                                     descriptions=descriptions)

            contrib = pd.DataFrame({
                "factor": [history_name if c == C.CONTRIB_PREFIX + HISTORIAL else
                           factor(c[len(C.CONTRIB_PREFIX):]) for c in contrib_cols],
                "valor": [pts[c] for c in contrib_cols],
            })
            up, down = t("distrito.sube_riesgo"), t("distrito.baja_riesgo")
            contrib["efecto"] = np.where(contrib["valor"] >= 0, up, down)
            x_title = t("distrito.puntos_riesgo_suma_resta")
            chart = alt.Chart(contrib).mark_bar().encode(
                x=alt.X("valor:Q", title=x_title),
                y=alt.Y("factor:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
                color=alt.Color("efecto:N", title=None,
                                scale=alt.Scale(domain=[up, down],
                                                range=["#d95f02", "#1b9e77"]),
                                legend=alt.Legend(orient="bottom")),
                tooltip=[alt.Tooltip("factor:N", title=t("distrito.factor")),
                         alt.Tooltip("valor:Q", format="+.1f", title=x_title),
                         alt.Tooltip("efecto:N", title=t("distrito.efecto"))],
            ).properties(height=110 + 26 * len(contrib))  # plot + axis + legend
            st.altair_chart(chart, width="stretch")
            pct = format_percent(base, lang)
            st.caption(t("distrito.barra_ese_factor_suma", pct=pct))
            words = record_words(row, lang)
            if words:
                st.caption(words)
            left_out = [layer_name(facts[n], lang) for n in facts if n in silent_here]
            if left_out:
                st.caption(t("distrito.sin_barra_fuente_no_cubre", lang,
                             left_out=", ".join(left_out)))
            top_up = contrib.sort_values("valor", ascending=False).iloc[0]
            top = top_up["factor"][:1].lower() + top_up["factor"][1:]  # sources keep case
            if top_up["valor"] > 0:
                st.caption(t("distrito.sube_riesgo_aqui", top=top))
            else:
                st.caption(t("distrito.ningun_factor_sube_aqui"))
        else:
            st.info(t("distrito.capa_riesgo_no_trae"))

    with right:
        st.markdown("#### " + t("distrito.indicadores_frente_promedio_regional"))
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
                numbers = mine.iloc[0][feats].apply(pd.to_numeric, errors="coerce")
                mine_v = [np.nan if f in silent_here else float(numbers[f]) for f in feats]
                # the average of the districts that have a value (a silent one is no zero)
                avg_v = [float(pd.to_numeric(region_rows[f], errors="coerce").mean())
                         for f in feats]
                comp = pd.DataFrame({
                    t("comun.indicador"): [feature_words(f, facts, lang,
                                                                 descriptions=descriptions)
                                                   for f in feats],
                    t("comun.distrito"): [indicator_text(f, v, facts, lang)
                                                 for f, v in zip(feats, mine_v, strict=True)],
                    t("distrito.prom", departamento=row[C.DEPARTAMENTO]):
                        [indicator_text(f, v, facts, lang) for f, v in zip(feats, avg_v,
                                                                           strict=True)],
                    t("distrito.relacion"): [m / a if a and np.isfinite(m) else np.nan
                                              for m, a in zip(mine_v, avg_v, strict=True)],
                })
                st.dataframe(comp, hide_index=True, width="stretch", placeholder="—",
                             column_config={
                                 comp.columns[0]: st.column_config.TextColumn(width="medium"),
                                 comp.columns[1]: st.column_config.TextColumn(width="small"),
                                 comp.columns[2]: st.column_config.TextColumn(width="small"),
                                 comp.columns[3]: st.column_config.NumberColumn(
                                     format=printf_pattern(2), width="small")})
                st.caption(t("distrito.relacion_encima_promedio_departamento"))
            if facts:
                st.markdown("#### " + t("distrito.capas_sectoriales_dicen_fuentes"))
                layers_here = layer_rows(facts, mine.iloc[0] if len(mine) else None, row, lang)
                # px: the whole table fits the card's width on a laptop (the value carries
                # its unit)
                widths = (150, 125, 245, 75, 55, 220)
                st.container(key="distrito_capas").dataframe(
                    layers_here, hide_index=True, width="stretch", column_config={
                        c: st.column_config.TextColumn(width=w)
                        for c, w in zip(layers_here.columns, widths, strict=True)})
                mine_row = mine.iloc[0] if len(mine) else {}
                for name, f in facts.items():
                    why = zero_note(f, mine_row.get(name) if len(mine) else None, lang)
                    if why and name not in silent_here:
                        st.caption(f"{layer_name(f, lang)}: {why}")
                silent = [layer_name(facts[n], lang) for n in facts if n in silent_here]
                st.caption(t("distrito.cada_valor_su_unidad", silent=(
                    Message("distrito.aqui_faltan", {"names": ", ".join(silent)}) if silent
                    else Message("distrito.aqui_no_falta_ninguno"))))

    st.markdown("#### " + t("distrito.historial_inspecciones"))
    if who.may_read_records:
        records = state.inspection_records(who)
        here = records[records[C.UBIGEO].astype(str) == ubigeo] if len(records) else records
        if len(here):
            year, n_insp, n_hall = t("comun.anio"), t("comun.inspecciones"), t("comun.hallazgos")
            by_year = here.assign(**{year: pd.to_datetime(here[C.FECHA]).dt.year}).groupby(
                year).agg(**{n_insp: (C.ID, "count"), n_hall: (C.HALLAZGO, "sum")})
            # every year of the period, with 0 where there was no inspection
            all_years = pd.to_datetime(records[C.FECHA]).dt.year
            period = range(int(all_years.min()), int(all_years.max()) + 1)
            by_year = by_year.reindex(period, fill_value=0).astype(int)
            by_year.index.name = year
            by_year = by_year.reset_index()
            serie = t("distrito.serie")
            long = by_year.melt(year, var_name=serie, value_name="n")
            st.altair_chart(
                alt.Chart(long).mark_bar().encode(
                    x=alt.X(f"{year}:O"), y=alt.Y("n:Q", title=None),
                    color=alt.Color(f"{serie}:N", title=None, legend=alt.Legend(orient="bottom"),
                                    scale=alt.Scale(range=["#7570b3", "#d95f02"])),
                    xOffset=f"{serie}:N",
                    tooltip=[f"{year}:O", f"{serie}:N",
                             alt.Tooltip("n:Q", title=t("distrito.numero"))],
                ).properties(height=220),
                width="stretch",
            )
            st.dataframe(by_year, hide_index=True)
            # a toggle, not an expander: an expander's body runs (and is sent) even closed
            if st.toggle(t("distrito.ver_inspecciones", n_here=len(here))
                         if len(here) > 1 else t("distrito.ver_inspeccion"),
                         key=f"distrito_registros_{ubigeo}"):
                cols = [c for c in (C.ID, C.FECHA, C.SECTOR, C.ORIGEN, C.HALLAZGO,
                                    C.INDICADORES, C.VICTIMAS) if c in here.columns]
                # ids are typed by people: one that starts like a formula stays text in the
                # table's CSV download, by the rule of every CSV riskmap writes (geo.records.sheets)
                one_by_one = neutralise_frame(here[cols].sort_values(C.FECHA, ascending=False))
                st.dataframe(one_by_one.rename(columns={c: label(RECORD_WORDS, c, lang)
                                                        for c in cols}),
                             hide_index=True, width="stretch")
            st.caption(t("distrito.registros_individuales_visibles_rol"))
        else:
            st.info(t("distrito.no_inspecciones_registradas_distrito"))
    else:
        mine = state.district_aggregates(who, ubigeo)
        if len(mine):
            rec = mine.iloc[0]
            flags = str(rec.get("suprimido") or "").split(";")
            h1, h2, h3 = st.columns(3)
            h1.metric(t("comun.inspecciones"), count_text(rec[C.N_INSPECCIONES],
                                                    C.N_INSPECCIONES in flags, k))
            h2.metric(t("comun.hallazgos"), count_text(rec[C.N_HALLAZGOS],
                                                      C.N_HALLAZGOS in flags, k))
            h3.metric(t("comun.record.victimas"), count_text(rec.get(N_VICTIMAS),
                                                            N_VICTIMAS in flags, k))
        else:
            st.info(t("distrito.no_inspecciones_registradas_distrito"))
        st.caption(t("distrito.totales_todos_anos_con", role_label=ui.role_label(who.role),
                     k=k - 1))

    st.markdown("#### " + t("distrito.indicadores_trabajo_forzoso_oit"))
    district_indicators(who, ubigeo, k, lang)
    st.markdown("#### " + t("distrito.servicios_cercanos"))
    district_services(ubigeo, lang)
    audit = state.store(who)

    def sheet() -> bytes:  # built on the click (the travel network), and audited
        audit.record_event("exportacion", {"formato": "ficha_html", "archivo": "ficha_de_campo",
                                           "distritos": 1})
        return sheets_document([district_sheet(who, ubigeo)], lang).encode("utf-8")

    st.download_button(t("ficha.descargar_ficha"), sheet, file_name=f"ficha_{ubigeo}.html",
                       mime="text/html", key=f"distrito_ficha_{ubigeo}", on_click="ignore",
                       help=t("ficha.ayuda_ficha"))

    with st.expander(t("comun.fuentes"), expanded=False):
        # what the role may see of the file's metadata: no whole-area totals or record dates
        # for a role without record access or limited to some regions (as an export)
        meta = state.export_metadata(state.metadata(), tuple(who.regions), k,
                                     protected=not who.may_read_records,
                                     scoped=bool(who.regions))
        shown = {k_: v for k_, v in meta.items() if k_ not in META_HIDDEN
                 and k_ not in ("region_exportada", "conteos_suprimidos_menores_que")}
        if shown:
            st.dataframe(pd.DataFrame({
                t("distrito.dato"): [label(META_WORDS, k, lang) for k in shown],
                t("distrito.valor"): [meta_value(k, state.portable(v))
                                       for k, v in shown.items()]}),
                hide_index=True, width="stretch")
        layer_sources, base_sources = state.sources_tables()
        if len(layer_sources):
            st.markdown("**" + t("comun.capas_sectoriales") + "**")
            st.dataframe(source_table(layer_sources, LAYER_SOURCE_COLUMNS), hide_index=True,
                         width="stretch")
        if len(base_sources):
            st.markdown("**" + t("distrito.fuentes_publicas_limites_indicadores") + "**")
            st.dataframe(source_table(base_sources, BASE_SOURCE_COLUMNS), hide_index=True,
                         width="stretch")
        where = state.portable(settings.path)
        st.caption(t("distrito.configuracion", where=where))
