"""Datos: upload inspection records -> row-level validation -> explicit import -> rescoring."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.changes import show_changes
from dashboard.i18n import get_lang, label, tr
from dashboard.records_view import fitting_text, imported_text, sources_text
from dashboard.state.rescoring import rescore as rescore_all
from dashboard.uploads import (
    CHECKED,
    IMPORTED,
    UPLOAD_KEY,
    WAITING,
    _limits,
    current_upload,
    history_count,
    history_records,
    read_check,
    set_status,
    validate,
)
from geo import columns as C
from geo.errors import RiskmapError
from geo.records.sheets import neutralise  # the table's own CSV download opens in a spreadsheet
from geo.trust.access import floor

CONTRACT = (C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN,
            C.INDICADORES, C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES,
            C.UBIGEO_ORIGEN)
IMPORT_WORDS = {
    "id": ("N.º", "No."), "fecha_hora": ("Fecha y hora (UTC)", "Date and time (UTC)"),
    "archivo": ("Archivo", "File"), "sha256": ("Huella (sha256)", "Fingerprint (sha256)"),
    "filas_nuevas": ("Registros nuevos", "New records"),
    "filas_existentes": ("Ya estaban", "Already stored"), "usuario": ("Usuario", "User"),
}

RECORD_WORDS = {
    C.ID: ("Código", "ID"), C.FECHA: ("Fecha", "Date"), C.UBIGEO: ("UBIGEO", "UBIGEO"),
    C.LAT: ("Latitud", "Latitude"), C.LON: ("Longitud", "Longitude"),
    C.SECTOR: ("Sector", "Sector"), C.HALLAZGO: ("Indicios de trabajo forzoso",
                                                 "Forced-labour indicators found"),
    C.ORIGEN: ("Origen", "Origin"), C.INDICADORES: ("Indicadores", "Indicators"),
    C.TRABAJADORES: ("Trabajadores", "Workers"), C.VICTIMAS: ("Víctimas", "Victims"),
    C.VICTIMAS_MUJERES: ("Víctimas mujeres", "Women victims"),
    C.VICTIMAS_MENORES: ("Víctimas menores", "Child victims"),
    C.UBIGEO_ORIGEN: ("Distrito de captación", "District of recruitment"),
}


def records_table(records: pd.DataFrame) -> None:
    """Show inspection records with plain column names and blank (not "None") empty cells."""
    shown = records.copy()
    if C.HALLAZGO in shown:
        yes, no = tr("Sí", "Yes"), tr("No", "No")
        shown[C.HALLAZGO] = shown[C.HALLAZGO].map(
            lambda v: "" if pd.isna(v) else (yes if int(v) else no)).astype(object)
    for col in shown.columns:  # text for display: an empty cell is blank, not "None"
        if col != C.FECHA:
            shown[col] = [_cell(v, col) for v in shown[col]]
    names = {c: label(RECORD_WORDS, c) for c in shown.columns}
    st.dataframe(shown.rename(columns=names), hide_index=True, width="stretch",
                 column_config={names.get(C.FECHA, C.FECHA): st.column_config.DateColumn(
                     format="YYYY-MM-DD")})


def _cell(value, column: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column in (C.LAT, C.LON):
        return f"{float(value):.5f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return neutralise(str(value))










def rescore() -> None:
    """Refit and rescore on all records (planner only), with progress shown.

    The model learns from every region's records (it is fitted by the system, as
    ``riskmap score`` would: :func:`dashboard.state.rescoring.rescore`); the planner sees only the
    scores, never the other records.
    """
    who = ui.principal()
    steps = {
        "leer": tr("Leyendo las inspecciones…", "Reading the inspections…"),
        "guardar": tr("Guardando la nueva capa de riesgo…", "Saving the new risk layer…"),
        "evaluar": tr("Evaluando el modelo de nuevo (página Modelo)…",
                      "Evaluating the model again (Modelo page)…"),
        "listo": tr("Listo.", "Done."),
    }
    bar = None

    def show(share: float, step: str, records) -> None:
        nonlocal bar
        text = fitting_text(records, who.regions) if step == "ajustar" else steps[step]
        if bar is None:
            bar = st.progress(share, text=text)
        else:
            bar.progress(share, text=text)

    rescore_all(who, show)
    st.success(tr("Riesgo recalculado. El mapa, las fichas y la página Modelo ya usan las "
                  "nuevas inspecciones.",
                  "Risk recomputed. The map, the cards and the Modelo page now use the new "
                  "inspections."))
    show_changes(state.settings().workdir, who, get_lang())






























def import_upload(store, path: Path, who, settings, check: tuple):
    """Import the waiting copy into the store; the result, or None when it was refused."""
    try:
        result = store.import_file(path, state.district_table(), user=who.user,
                                   origins=state.national_ubigeos(),
                                   history=history_records(settings))
    except RiskmapError as err:  # refused: nothing written, and said in full
        ui.show_error(err)
        return None
    validate.clear(*check)  # its rows are in the store now, not in this server's memory
    set_status(IMPORTED)
    st.success(imported_text(result))
    st.info(tr("Pulse «Recalcular el riesgo» para que el mapa use estas inspecciones.",
               "Press 'Recompute the risk' for the map to use these inspections."))
    return result




def show_check(valid: pd.DataFrame, errors: pd.DataFrame, warnings: pd.DataFrame) -> None:
    """Show a file's check: counts, each row's problems, warnings and a preview."""
    lang = get_lang()
    c1, c2 = st.columns(2)
    c1.metric(tr("Filas válidas", "Valid rows"), len(valid))
    c2.metric(tr("Filas con errores", "Rows with errors"),
              int(errors["line"].nunique()) if len(errors) else 0)
    if len(errors):
        st.error(tr(
            f"El archivo tiene {len(errors)} errores en {errors['line'].nunique()} filas. "
            "No se importará nada hasta corregirlos: corrija las filas indicadas y vuelva a "
            "subir el archivo.",
            f"The file has {len(errors)} errors in {errors['line'].nunique()} rows. Nothing "
            "will be imported until they are fixed: correct the rows listed and upload the "
            "file again."))
        shown = errors.rename(columns={"line": tr("Fila", "Row"),
                                       "column": tr("Columna", "Column")})
        shown[tr("Problema", "Problem")] = errors[lang]
        # the problem is a sentence: a wide column, and the full text on hover and below
        st.dataframe(shown.drop(columns=["es", "en"]), hide_index=True,
                     width="stretch", key="datos_errores",
                     column_config={
                         tr("Fila", "Row"): st.column_config.NumberColumn(width="small"),
                         tr("Columna", "Column"): st.column_config.TextColumn(
                             width="small"),
                         tr("Problema", "Problem"): st.column_config.TextColumn(
                             width="large")})
        with st.expander(tr("Leer cada problema completo", "Read each problem in full")):
            # the messages quote the file's cells: shown as text, never as markdown
            st.text("\n".join(
                f"- {tr('Fila', 'Row')} {row.line} ({row.column}): {getattr(row, lang)}"
                for row in errors.head(200).itertuples()))
    if len(warnings):
        st.warning(tr(
            f"{len(warnings)} registros contradicen sus indicadores según la regla de la "
            "OIT (CIET 2018): hallazgo_tf = 1 sin indicadores anotados, o 0 con "
            "indicadores. Se importan tal como están (el criterio del inspector manda); "
            "revise si el hallazgo o los indicadores están bien anotados.",
            f"{len(warnings)} records contradict their indicators under the ILO rule "
            "(ICLS 2018): hallazgo_tf = 1 with no indicator recorded, or 0 with "
            "indicators. They are imported as they are (the inspector's judgement "
            "stands); check whether the finding or the indicators are recorded right."),
            icon="⚠️")
        with st.expander(tr("Ver los registros contradictorios",
                            "See the contradicting records")):
            st.text("\n".join(
                f"- {tr('Fila', 'Row')} {row.line}: {getattr(row, lang)}"
                for row in warnings.head(200).itertuples()))
    st.markdown("#### " + tr("Vista previa de su archivo (filas válidas)",
                             "Preview of your file (valid rows)"))
    records_table(valid.head(200))


ui.page_header(
    tr("Cargar registros de inspección", "Upload inspection records"),
    tr("Pasos: suba un archivo → revise la validación fila por fila → importe → "
       "recalcule el riesgo. Nada se guarda hasta que pulse «Importar al almacén».",
       "Steps: upload a file → check the row-by-row validation → import → "
       "recompute the risk. Nothing is saved until you press 'Import into the store'."),
)

with st.expander(tr("Formato esperado", "Expected format")):
    st.markdown(tr(
        "CSV o Excel, una fila por inspección, con las columnas: "
        + ", ".join(f"`{c}`" for c in CONTRACT)
        + ". Cada fila necesita `ubigeo` (6 dígitos) **o** `lat` y `lon`. `fecha` en formato "
        "AAAA-MM-DD; `hallazgo_tf` 1 si se hallaron indicios de trabajo forzoso, 0 si no; "
        f"`sector` uno de {', '.join(C.SECTORES_INSPECCION)}; `origen` uno de "
        f"{', '.join(C.ORIGENES)}.",
        "CSV or Excel, one row per inspection, with the columns: "
        + ", ".join(f"`{c}`" for c in CONTRACT)
        + ". Each row needs `ubigeo` (6 digits) **or** `lat` and `lon`. `fecha` (date) as "
        "YYYY-MM-DD; `hallazgo_tf` 1 if forced-labour indicators were found, 0 if not; "
        f"`sector` one of {', '.join(C.SECTORES_INSPECCION)}; `origen` (origin) one of "
        f"{', '.join(C.ORIGENES)}. Column names and values stay in Spanish, as in SUNAFIL's "
        "files.",
    ))

with ui.guard():
    settings = state.settings()
    state.district_table()  # validation needs it: say "run riskmap prepare" before any upload
    who = ui.principal()
    planner = who.may_import
    store = state.store(who)
    before = store.count()
    sources_slot = st.empty()  # filled at the end of the run: an import changes the count
    if not planner:
        st.info(tr(
            f"Con su rol ({ui.role_label(who.role)}) puede comprobar un archivo aquí, pero solo "
            "Planificador/a de inspecciones (SUNAFIL) puede importarlo al almacén y recalcular "
            "el riesgo: los registros nombran lugares y víctimas, y cada importación queda a "
            "nombre de quien la hace. Si su archivo no tiene errores, envíelo a la oficina de "
            "planificación de su región.",
            f"With your role ({ui.role_label(who.role)}) you can check a file here, but only "
            "the Inspection planner (SUNAFIL) can import it into the store and recompute the "
            "risk: the records name places and victims, and each import is kept under the "
            "name of whoever makes it. If your file has no errors, send it to your region's "
            "planning office."), icon="🔒")

    upload = st.file_uploader(
        tr("Archivo de inspecciones", "Inspection file"), type=["csv", "xlsx", "xls", "txt"],
        key=UPLOAD_KEY,
        help=tr(f"Hasta {settings.limits.upload_mb:g} MB y "
                f"{settings.limits.upload_rows:,} filas.".replace(",", " "),
                f"Up to {settings.limits.upload_mb:g} MB and "
                f"{settings.limits.upload_rows:,} rows."),
    )
    checked = current_upload(upload, settings.limits.upload_mb)
    if checked is not None:
        path, status = checked
        check = (str(path), (str(settings.districts_gpkg),
                             state.mtime(settings.districts_gpkg)), _limits(settings),
                 str(settings.base))
        found = read_check(check, path, status) if status != IMPORTED else None
        if status == IMPORTED:
            st.info(tr("Este archivo ya se importó. Para importar otro, quítelo de arriba y "
                       "suba el nuevo.",
                       "This file has been imported. To import another, remove it above and "
                       "upload the new one."))
        elif found is None:
            st.info(tr("Este archivo ya se revisó y no se guardó. Para revisarlo otra vez, "
                       "quítelo de arriba y súbalo de nuevo.",
                       "This file was checked and not kept. To check it again, remove it "
                       "above and upload it again."))
        else:
            valid, errors, warnings = found
            show_check(valid, errors, warnings)
            importable = planner and status == WAITING and not len(errors) and not valid.empty
            if not importable:
                set_status(CHECKED)  # checked, nothing to import: the copy goes
            if planner and st.button(tr("Importar al almacén", "Import into the store"),
                                     type="primary", disabled=not importable,
                                     key="datos_importar"):
                if import_upload(store, path, who, settings, check) is not None:
                    before = store.count()

    n_history, history_name = history_count(settings, who.regions)
    with sources_slot.container():
        st.markdown(sources_text(n_history, history_name, before,
                                 floor(who.role, settings.auth.suppression), who))
    if planner:
        st.markdown("#### " + tr("Recalcular el riesgo", "Recompute the risk"))
        st.caption(tr(
            f"El modelo usará {n_history + before} registros como máximo: {n_history} del "
            f"archivo histórico y {before} importados al almacén (un registro importado con "
            "el mismo `id` que uno del archivo lo reemplaza, no se cuenta dos veces).",
            f"The model will use at most {n_history + before} records: {n_history} from the "
            f"history file and {before} imported into the store (an imported record with the "
            "same `id` as one in the file replaces it; it is not counted twice).")
            + ("" if not who.regions else " " + tr(
                "Son los de sus regiones: el modelo aprende también de los registros de las "
                "demás, que usted no ve.",
                "Those are your regions': the model also learns from the other regions' "
                "records, which you do not see.")))
        if st.button(tr("Recalcular el riesgo con las inspecciones del almacén",
                        "Recompute the risk with the store's inspections"),
                     key="datos_recalcular"):
            rescore()

        with st.expander(tr("Importaciones anteriores", "Previous imports")):
            imports = pd.DataFrame(store.imports())
            st.dataframe(imports.rename(columns={c: label(IMPORT_WORDS, c)
                                                 for c in imports.columns}),
                         hide_index=True, width="stretch")
        # a toggle, not an expander: an expander's body runs (and would read) even when closed
        if st.toggle(tr("Ver los últimos registros del almacén",
                        "Show the latest records in the store"), key="datos_ver_registros"):
            if before:
                records = store.records()  # record-level, its regions: audited
                records_table(records.tail(50).iloc[::-1])
                st.caption(tr("Esta consulta queda en el registro de auditoría.",
                              "This read is kept in the audit log."))
            else:
                st.info(tr("El almacén aún está vacío: el modelo usa el archivo de "
                           "inspecciones de la configuración.",
                           "The store is still empty: the model uses the settings' "
                           "inspection file."))
