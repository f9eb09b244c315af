"""Exportar: the risk layer as GeoJSON, GeoPackage, CSV or XLSX, with its metadata."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import evidence_label, get_lang, label, t
from dashboard.state.exports import FORMATS, SINGLE_FILE, export_bytes
from geo import columns as C
from geo.formatting import printf_pattern
from geo.trust.access import floor, threshold

PREVIEW_WORDS = {
    C.RANGO: "comun.rango", C.UBIGEO: "comun.ubigeo",
    C.DISTRITO: "comun.distrito", C.PROVINCIA: "comun.provincia",
    C.DEPARTAMENTO: "comun.departamento", C.RIESGO: "comun.riesgo",
    C.RIESGO_P05: "exportar.preview.riesgo_minimo_p05",
    C.RIESGO_P95: "exportar.preview.riesgo_maximo_p95",
    C.PROB_TOP10: "exportar.preview.prob_estar_10_mayor",
    C.EVIDENCIA: "comun.evidencia", C.N_INSPECCIONES: "comun.inspecciones",
    C.N_HALLAZGOS: "comun.meta.n_hallazgos",
    C.N_DENUNCIAS: "exportar.preview.inspecciones_denuncia",
}


ui.page_header(
    t("exportar.exportar_capa_riesgo"),
    t("exportar.archivo_lleva_metadatos_version"),
)

with ui.guard():
    settings = state.settings()
    lang = get_lang()  # bound now: format functions may be called outside the run
    c1, c2, c3 = st.columns([4, 2, 3])
    chosen_region = ui.region_picker(c1, "exportar_region")
    fmt = c2.radio(t("exportar.formato"), list(FORMATS), key="exportar_formato",
                   format_func=lambda k: FORMATS[k][0])
    who = ui.principal()
    # Only the planner may lower the threshold (down to 1 = exact counts); every other role
    # has a floor from the settings ([auth.suppression], at least 5). The widget's minimum
    # is only what the browser shows: the value used is clamped here, on the server, so a
    # crafted request cannot go below the floor either.
    floors = settings.auth.suppression
    lowest = floor(who.role, floors)
    if st.session_state.get("exportar_umbral", 0) < lowest:
        st.session_state["exportar_umbral"] = max(lowest, 5)
    asked = c3.number_input(
        t("exportar.suprimir_conteos_sensibles_menores"),
        min_value=lowest, max_value=50, step=1, key="exportar_umbral",
        help=t("exportar.hallazgos_victimas_trabajadores_numero", lowest=lowest),
    )
    k = threshold(who, asked, floors)
    region = chosen_region.codes
    path = settings.scores_gpkg
    counts = state.export_counts(who.may_read_records)
    protected, scoped = not who.may_read_records, bool(who.regions)
    # a protected export follows the records too (its counts are the role's publication)
    key: tuple = (str(path), state.mtime(path))
    if protected:
        history = settings.inspections
        key += (state.mtime(settings.store_path), state.mtime(history) if history else 0.0)
    data = export_bytes(fmt, region, k, key, counts, protected, scoped, lowest, lang)
    preview = state.export_table(region, k, protected, counts, lowest)
    n_supp = int(preview.get(f"{C.N_HALLAZGOS}_suprimido", pd.Series(dtype=bool)).sum())
    n_supp_insp = int(preview.get(f"{C.N_INSPECCIONES}_suprimido", pd.Series(dtype=bool)).sum())
    stem = f"riesgo_{chosen_region.key}{'_SIMULADO' if ui.is_simulated() else ''}"
    name = stem + (FORMATS[fmt][1] if fmt in SINGLE_FILE else f"_{fmt}.zip")
    store = state.store(who)
    detail = {"formato": fmt, "region": list(region), "umbral": k, "archivo": name,
              "distritos": len(preview)}

    def _download() -> bytes:
        # runs when the button is pressed (not on every visit): the download is audited
        store.record_event("exportacion", detail)
        return data

    st.download_button(
        t("exportar.descargar_mb", formats=FORMATS[fmt][0], n_data=len(data) / 1e6),
        data=_download, file_name=name, mime=FORMATS[fmt][2], type="primary",
        key="exportar_descargar", on_click="ignore",
    )
    st.caption(t("hoja.exportar.cual_abrir"))
    st.caption(t("comun.n_distritos", n=len(preview)) + " · "
               + t("exportar.n_conteos_hallazgos_suprimidos", n_supp=n_supp, k=k)
               + ("." if who.may_read_records else t("exportar.o_permitirian_deducir_uno"))
               + ("" if who.may_read_records else
                  " · " + t("exportar.conteos_inspecciones_suprimidos_con",
                            n_supp_insp=n_supp_insp)))
    if ui.is_simulated():
        st.warning(t("exportar.archivo_exportado_contiene_datos"))
    st.markdown("#### " + t("exportar.metadatos_tal_van_archivo"))
    shown = state.export_metadata(state.metadata_values(), region, k, counts, protected,
                                  scoped)
    shown["hash_configuracion"] = settings.digest()
    shown["simulado"] = bool(settings.simulated)
    st.json(shown, expanded=1)
    st.markdown("#### " + t("exportar.vista_previa"))
    narrower = chosen_region.key != state.ALL_REGIONS and C.RANGO in preview
    if narrower:  # the rank a page shows with a region chosen is the rank within it
        preview = preview.assign(**{C.RANGO: state.rank_in(preview)}).sort_values(C.RANGO)
    shown = preview.drop(columns="geometry").head(50)
    cols = [c for c in PREVIEW_WORDS if c in shown.columns]
    shown = shown[cols].copy()
    for col in (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10):
        if col in shown:
            shown[col] = 100 * shown[col]
    if C.EVIDENCIA in shown:
        shown[C.EVIDENCIA] = shown[C.EVIDENCIA].map(evidence_label)
    pct = st.column_config.NumberColumn(format=printf_pattern(1, percent=True))
    names = {c: ui.rank_label(chosen_region) if c == C.RANGO else label(PREVIEW_WORDS, c)
             for c in cols}
    # the district, its risk and evidence; the department and the counts on demand
    ui.table(
        shown.rename(columns=names), key="exportar_vista",
        main=[names[c] for c in cols if c not in (C.DEPARTAMENTO, C.PROB_TOP10, C.N_INSPECCIONES,
                                                  C.N_HALLAZGOS, C.N_DENUNCIAS)],
        column_config={label(PREVIEW_WORDS, c): pct
                       for c in (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10)},
    )
    st.caption(t("exportar.primeras_50_filas_archivo")
               + (" " + t("paginas.rango_archivo_todo") if narrower else ""))
