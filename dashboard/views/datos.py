"""Datos: upload inspection records -> row-level validation -> explicit import -> rescoring."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.changes import show_changes
from dashboard.i18n import get_lang, label, t
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
from geo.formatting import format_number, printf_pattern
from geo.records.checklist import template_bytes
from geo.records.sheets import neutralise  # the table's own CSV download opens in a spreadsheet
from geo.trust.access import floor
from models.planning.fieldprint import checklist_document

CONTRACT = (C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN,
            C.INDICADORES, C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES,
            C.UBIGEO_ORIGEN)
IMPORT_WORDS = {
    "id": "datos.import.id", "fecha_hora": "comun.fecha_hora_utc",
    "archivo": "comun.base_source_columns.archivo", "sha256": "datos.import.sha256",
    "filas_nuevas": "datos.import.filas_nuevas",
    "filas_existentes": "datos.import.filas_existentes", "usuario": "comun.usuario_2",
}

RECORD_WORDS = {
    C.ID: "datos.record.codigo",
    C.FECHA: "comun.record.fecha",
    C.UBIGEO: "comun.ubigeo",
    C.LAT: "datos.record.latitud", C.LON: "datos.record.longitud",
    C.SECTOR: "comun.record.sector",
    C.HALLAZGO: "datos.record.indicios_trabajo_forzoso",
    C.ORIGEN: "comun.record.origen", C.INDICADORES: "comun.pag_indicadores",
    C.TRABAJADORES: "datos.record.trabajadores", C.VICTIMAS: "comun.record.victimas",
    C.VICTIMAS_MUJERES: "comun.record.victimas_mujeres",
    C.VICTIMAS_MENORES: "comun.record.victimas_menores",
    C.UBIGEO_ORIGEN: "datos.record.distrito_captacion",
}


def records_table(records: pd.DataFrame) -> None:
    """Show inspection records with plain column names and blank (not "None") empty cells."""
    shown = records.copy()
    if C.HALLAZGO in shown:
        yes, no = t("comun.yes"), t("comun.no")
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
        "leer": t("datos.leyendo_inspecciones"),
        "guardar": t("datos.guardando_nueva_capa_riesgo"),
        "evaluar": t("datos.evaluando_modelo_nuevo_pagina"),
        "listo": t("datos.listo"),
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
    st.success(t("datos.riesgo_recalculado_mapa_fichas"))
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
    st.info(t("datos.pulse_recalcular_riesgo_mapa"))
    return result




def show_check(valid: pd.DataFrame, errors: pd.DataFrame, warnings: pd.DataFrame) -> None:
    """Show a file's check: counts, each row's problems, warnings and a preview."""
    lang = get_lang()
    c1, c2 = st.columns(2)
    c1.metric(t("datos.filas_validas"), len(valid))
    c2.metric(t("datos.filas_con_errores"),
              int(errors["line"].nunique()) if len(errors) else 0)
    if len(errors):
        st.error(t("datos.archivo_tiene_errores_filas", n_errors=len(errors),
                   line=errors['line'].nunique()))
        shown = errors.rename(columns={"line": t("comun.fila"),
                                       "column": t("datos.columna")})
        shown[t("datos.problema")] = errors[lang]
        # the problem is a sentence: a wide column, and the full text on hover and below
        st.dataframe(shown.drop(columns=["es", "en"]), hide_index=True,
                     width="stretch", key="datos_errores",
                     column_config={
                         t("comun.fila"): st.column_config.NumberColumn(width="small"),
                         t("datos.columna"): st.column_config.TextColumn(
                             width="small"),
                         t("datos.problema"): st.column_config.TextColumn(
                             width="large")})
        with st.expander(t("datos.leer_problema_completo")):
            # the messages quote the file's cells: shown as text, never as markdown
            st.text("\n".join(
                f"- {t('comun.fila')} {row.line} ({row.column}): {getattr(row, lang)}"
                for row in errors.head(200).itertuples()))
    if len(warnings):
        st.warning(t("datos.registros_contradicen_indicadores_segun", n_warnings=len(warnings)),
            icon="⚠️")
        with st.expander(t("datos.ver_registros_contradictorios")):
            st.text("\n".join(
                f"- {t('comun.fila')} {row.line}: {getattr(row, lang)}"
                for row in warnings.head(200).itertuples()))
    st.markdown("#### " + t("datos.vista_previa_archivo_filas"))
    records_table(valid.head(200))


ui.page_header(
    t("datos.cargar_registros_inspeccion"),
    t("datos.pasos_suba_archivo_revise"),
)

with st.expander(t("datos.formato_esperado")):
    st.markdown(t("datos.formato_csv_columnas",
                  columns=", ".join(f"`{c}`" for c in CONTRACT),
                  sectors=", ".join(C.SECTORES_INSPECCION), origins=", ".join(C.ORIGENES)))

with ui.guard():
    settings = state.settings()
    state.district_table()  # validation needs it: say "run riskmap prepare" before any upload
    who = ui.principal()
    planner = who.may_import
    store = state.store(who)
    before = store.count()
    sources_slot = st.empty()  # filled at the end of the run: an import changes the count
    if not planner:
        st.info(t("datos.con_rol_puede_comprobar", role_label=ui.role_label(who.role)), icon="🔒")

    # the checklist an inspector fills on site, and its spreadsheet, which imports unchanged
    c1, c2 = st.columns(2)
    c1.download_button(t("lista.descargar_plantilla"), lambda: template_bytes(get_lang()),
                       file_name="lista_verificacion.xlsx", key="datos_plantilla",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", help=t("lista.ayuda_plantilla"))
    c2.download_button(t("lista.descargar_lista"),
                       lambda: checklist_document(get_lang()).encode("utf-8"),
                       file_name="lista_verificacion.html", mime="text/html",
                       key="datos_lista", on_click="ignore")

    upload = ui.file_uploader(
        st, t("datos.archivo_inspecciones"), ["csv", "xlsx", "xls", "txt"],
        key=UPLOAD_KEY,
        help=t("datos.hasta_mb_filas", mb=settings.limits.upload_mb,
               rows=format_number(settings.limits.upload_rows)),
    )
    checked = current_upload(upload, settings.limits.upload_mb)
    if checked is not None:
        path, status = checked
        check = (str(path), (str(settings.districts_gpkg),
                             state.mtime(settings.districts_gpkg)), _limits(settings),
                 str(settings.base))
        found = read_check(check, path, status) if status != IMPORTED else None
        if status == IMPORTED:
            st.info(t("datos.archivo_importo_importar_otro"))
        elif found is None:
            st.info(t("datos.archivo_reviso_no_guardo"))
        else:
            valid, errors, warnings = found
            show_check(valid, errors, warnings)
            importable = planner and status == WAITING and not len(errors) and not valid.empty
            if not importable:
                set_status(CHECKED)  # checked, nothing to import: the copy goes
            if planner and st.button(t("datos.importar_almacen"),
                                     type="primary", disabled=not importable,
                                     key="datos_importar"):
                if import_upload(store, path, who, settings, check) is not None:
                    before = store.count()

    n_history, history_name = history_count(settings, who.regions)
    with sources_slot.container():
        st.markdown(sources_text(n_history, history_name, before,
                                 floor(who.role, settings.auth.suppression), who))
    if planner:
        st.markdown("#### " + t("datos.recalcular_riesgo"))
        st.caption(t("datos.modelo_usara_registros_maximo", n_history=n_history + before,
                     n_history_2=n_history, before=before)
            + ("" if not who.regions else " " + t("datos.regiones_modelo_aprende_tambien")))
        if st.button(t("datos.recalcular_riesgo_con_inspecciones"),
                     key="datos_recalcular"):
            rescore()

        with st.expander(t("datos.importaciones_anteriores")):
            imports = pd.DataFrame(store.imports())
            counts = {label(IMPORT_WORDS, c): st.column_config.NumberColumn(
                format=printf_pattern(0)) for c in imports.columns
                if pd.api.types.is_integer_dtype(imports[c])}  # 2,451 rows, as CLDR groups
            st.dataframe(imports.rename(columns={c: label(IMPORT_WORDS, c)
                                                 for c in imports.columns}),
                         hide_index=True, width="stretch", column_config=counts)
        # a toggle, not an expander: an expander's body runs (and would read) even when closed
        if st.toggle(t("datos.ver_ultimos_registros_almacen"), key="datos_ver_registros"):
            if before:
                records = store.records()  # record-level, its regions: audited
                records_table(records.tail(50).iloc[::-1])
                st.caption(t("datos.consulta_queda_registro_auditoria"))
            else:
                st.info(t("datos.almacen_aun_vacio_modelo"))
