"""Datos: upload inspection records -> row-level validation -> explicit import -> rescoring."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import get_lang, tr
from geo import columns as C

CONTRACT = (C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN,
            C.INDICADORES, C.TRABAJADORES, C.VICTIMAS)
UPLOAD_DIR = Path(tempfile.gettempdir()) / "riskmap-subidas"


def save_upload(upload) -> Path:
    """Keep the uploaded bytes in a temp file named by their hash (same file, same path)."""
    data = upload.getvalue()
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.name).suffix.lower() or ".csv"
    path = UPLOAD_DIR / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


@st.cache_data(show_spinner=False)
def validate(path: str, _districts_key: tuple):
    from geo.inspections import validate_inspections

    report = validate_inspections(Path(path), state.district_table())
    errors = pd.DataFrame(
        [{"line": e.line, "column": e.column, "es": e.es, "en": e.en} for e in report.errors],
        columns=["line", "column", "es", "en"],
    )
    return report.valid, errors


def rescore() -> None:
    from geo.inspections import load_records
    from models.score import score_districts, write_scores

    settings = state.settings()
    bar = st.progress(0.0, text=tr("Leyendo las inspecciones…", "Reading the inspections…"))
    records = load_records(settings, store=state.store(), user="tablero")
    bar.progress(0.25, text=tr(f"Ajustando el modelo con {len(records)} inspecciones…",
                               f"Fitting the model on {len(records)} inspections…"))
    scores = score_districts(settings, inspections=records)
    bar.progress(0.8, text=tr("Guardando la nueva capa de riesgo…", "Saving the new risk layer…"))
    write_scores(scores, settings.scores_gpkg, settings)
    bar.progress(1.0, text=tr("Listo.", "Done."))
    st.success(tr("Riesgo recalculado. El mapa y las fichas ya usan las nuevas inspecciones.",
                  "Risk recomputed. The map and the cards now use the new inspections."))


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
        + ". Each row needs `ubigeo` (6 digits) **or** `lat` and `lon`. `fecha` as YYYY-MM-DD; "
        "`hallazgo_tf` 1 if forced-labour indicators were found, 0 if not; "
        f"`sector` one of {', '.join(C.SECTORES_INSPECCION)}; `origen` one of "
        f"{', '.join(C.ORIGENES)}.",
    ))

with ui.guard():
    settings = state.settings()
    state.district_table()  # validation needs it: say "run riskmap prepare" before any upload
    store = state.store()
    before = store.count()
    st.caption(tr(f"El almacén de inspecciones tiene ahora {before} registros.",
                  f"The inspection store now holds {before} records."))

    upload = st.file_uploader(
        tr("Archivo de inspecciones", "Inspection file"), type=["csv", "xlsx", "xls", "txt"],
        key="datos_archivo",
    )
    if upload is not None:
        path = save_upload(upload)
        dist_path = settings.districts_gpkg
        valid, errors = validate(str(path), (str(dist_path), state.mtime(dist_path)))
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
            st.dataframe(shown.drop(columns=["es", "en"]), hide_index=True,
                         width="stretch", key="datos_errores")
        st.markdown("#### " + tr("Vista previa", "Preview"))
        st.dataframe(valid.head(200), hide_index=True, width="stretch")

        user = st.text_input(tr("Su nombre (queda en el registro de auditoría)",
                                "Your name (kept in the audit log)"), key="datos_usuario")
        if st.button(tr("Importar al almacén", "Import into the store"), type="primary",
                     disabled=bool(len(errors)) or valid.empty, key="datos_importar"):
            result = state.store(user).import_file(path, state.district_table(), user=user)
            st.success(tr(
                f"Importado: {result.added} registros nuevos, {result.already_present} ya "
                f"estaban en el almacén (no se duplican). Importación n.º {result.import_id}.",
                f"Imported: {result.added} new records, {result.already_present} were already "
                f"in the store (not duplicated). Import no. {result.import_id}."))
            st.info(tr("Pulse «Recalcular el riesgo» para que el mapa use estas inspecciones.",
                       "Press 'Recompute the risk' for the map to use these inspections."))

    st.markdown("#### " + tr("Recalcular el riesgo", "Recompute the risk"))
    if st.button(tr("Recalcular el riesgo con las inspecciones del almacén",
                    "Recompute the risk with the store's inspections"), key="datos_recalcular"):
        rescore()

    with st.expander(tr("Importaciones anteriores", "Previous imports")):
        imports = store.imports()
        st.dataframe(pd.DataFrame(imports), hide_index=True, width="stretch")
