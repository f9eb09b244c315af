"""Exportar: the risk layer as GeoJSON, GeoPackage or CSV, with its metadata."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import evidence_label, get_lang, label, t, tr
from dashboard.state.exports import FORMATS, export_bytes
from geo import columns as C
from geo.trust.access import floor, threshold

PREVIEW_WORDS = {
    C.RANGO: ("Puesto", "Rank"), C.UBIGEO: ("UBIGEO", "UBIGEO"),
    C.DISTRITO: ("Distrito", "District"), C.PROVINCIA: ("Provincia", "Province"),
    C.DEPARTAMENTO: ("Departamento", "Department"), C.RIESGO: ("Riesgo", "Risk"),
    C.RIESGO_P05: ("Riesgo, mínimo (p05)", "Risk, low (p05)"),
    C.RIESGO_P95: ("Riesgo, máximo (p95)", "Risk, high (p95)"),
    C.PROB_TOP10: ("Prob. de estar entre los 10 de mayor riesgo",
                   "Prob. of being among the 10 highest-risk"),
    C.EVIDENCIA: ("Evidencia", "Evidence"), C.N_INSPECCIONES: ("Inspecciones", "Inspections"),
    C.N_HALLAZGOS: ("Hallazgos", "Findings"),
    C.N_DENUNCIAS: ("Inspecciones por denuncia", "Inspections from complaints"),
}


ui.page_header(
    tr("Exportar la capa de riesgo", "Export the risk layer"),
    tr("Cada archivo lleva sus metadatos: versión del modelo, huella de la configuración, "
       "fuentes y fechas.",
       "Each file carries its metadata: model version, configuration hash, sources and dates."),
)

with ui.guard():
    settings = state.settings()
    lang = get_lang()  # bound now: format functions may be called outside the run
    c1, c2, c3 = st.columns([4, 2, 3])
    chosen_region = ui.region_picker(c1, "exportar_region")
    fmt = c2.radio(tr("Formato", "Format"), list(FORMATS), key="exportar_formato",
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
        tr("Suprimir conteos sensibles menores que", "Suppress sensitive counts below"),
        min_value=lowest, max_value=50, step=1, key="exportar_umbral",
        help=tr("Los hallazgos (y víctimas o trabajadores, si los hay) entre 1 y este número "
                "menos uno se dejan en blanco: un número pequeño puede identificar personas. "
                f"Con su rol, el mínimo es {lowest} (1 = conteos exactos, solo Planificador/a "
                "de inspecciones).",
                "Findings (and victims or workers, if present) between 1 and this number "
                "minus one are blanked: a small count can identify people. With your role "
                f"the minimum is {lowest} (1 = exact counts, Inspection planner only)."),
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
    data = export_bytes(fmt, region, k, key, counts, protected, scoped, lowest)
    preview = state.export_table(region, k, protected, counts, lowest)
    n_supp = int(preview.get(f"{C.N_HALLAZGOS}_suprimido", pd.Series(dtype=bool)).sum())
    n_supp_insp = int(preview.get(f"{C.N_INSPECCIONES}_suprimido", pd.Series(dtype=bool)).sum())
    stem = f"riesgo_{chosen_region.key}{'_SIMULADO' if ui.is_simulated() else ''}"
    name = stem + (FORMATS[fmt][1] if fmt == "gpkg" else f"_{fmt}.zip")
    store = state.store(who)
    detail = {"formato": fmt, "region": list(region), "umbral": k, "archivo": name,
              "distritos": len(preview)}

    def _download() -> bytes:
        # runs when the button is pressed (not on every visit): the download is audited
        store.record_event("exportacion", detail)
        return data

    st.download_button(
        tr(f"Descargar {FORMATS[fmt][0]} ({len(data) / 1e6:.2f} MB)",
           f"Download {FORMATS[fmt][0]} ({len(data) / 1e6:.2f} MB)"),
        data=_download, file_name=name, mime=FORMATS[fmt][2], type="primary",
        key="exportar_descargar", on_click="ignore",
    )
    st.caption(t("n_distritos", n=len(preview)) + " · " + tr(
        f"{n_supp} conteos de hallazgos suprimidos (menores que {k})"
        + ("." if who.may_read_records else ", o que permitirían deducir uno."),
        f"{n_supp} finding counts suppressed (below {k})"
        + ("." if who.may_read_records else ", or from which one could be worked out."))
        + ("" if who.may_read_records else " · " + tr(
            f"{n_supp_insp} conteos de inspecciones suprimidos: con su rol se ocultan todos "
            "los conteos entre 1 y el umbral (inspecciones, hallazgos, víctimas, "
            "trabajadores) y los que, con esta u otra tabla que usted pueda obtener, "
            "permitirían deducirlos; los metadatos lo dicen.",
            f"{n_supp_insp} inspection counts suppressed: with your role every count "
            "between 1 and the threshold is hidden (inspections, findings, victims, "
            "workers), and so is any from which, with this or another table you can get, "
            "one could be worked out; the metadata says so.")))
    if ui.is_simulated():
        st.warning(tr("El archivo exportado contiene DATOS SIMULADOS y lo dice en sus metadatos.",
                      "The exported file contains SIMULATED DATA and says so in its metadata."))
    st.markdown("#### " + tr("Metadatos (tal como van en el archivo)",
                             "Metadata (as written in the file)"))
    shown = state.export_metadata(state.metadata_values(), region, k, counts, protected,
                                  scoped)
    shown["hash_configuracion"] = settings.digest()
    shown["simulado"] = bool(settings.simulated)
    st.json(shown, expanded=1)
    st.markdown("#### " + tr("Vista previa", "Preview"))
    shown = preview.drop(columns="geometry").head(50)
    cols = [c for c in PREVIEW_WORDS if c in shown.columns]
    shown = shown[cols].copy()
    for col in (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10):
        if col in shown:
            shown[col] = 100 * shown[col]
    if C.EVIDENCIA in shown:
        shown[C.EVIDENCIA] = shown[C.EVIDENCIA].map(evidence_label)
    pct = st.column_config.NumberColumn(format="%.1f %%")
    st.dataframe(
        shown.rename(columns={c: label(PREVIEW_WORDS, c) for c in cols}),
        hide_index=True, width="stretch",
        column_config={label(PREVIEW_WORDS, c): pct
                       for c in (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10)},
    )
    st.caption(tr("Las primeras 50 filas; el archivo trae todas, con sus nombres de columna "
                  "originales (en español) y sus contribuciones por factor. Un conteo oculto "
                  "aparece vacío.",
                  "The first 50 rows; the file has them all, with their original (Spanish) "
                  "column names and per-factor contributions. A hidden count shows empty."))
