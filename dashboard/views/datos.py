"""Datos: upload inspection records -> row-level validation -> explicit import -> rescoring."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import get_lang, label, tr
from geo import columns as C
from geo.errors import DataError, RiskmapError

CONTRACT = (C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN,
            C.INDICADORES, C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES,
            C.UBIGEO_ORIGEN)
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xls", ".txt")
UPLOAD_MAX_AGE_S = 24 * 3600  # an upload never imported is deleted after a day
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
    from geo.records.sheets import neutralise  # the table's own CSV download opens in a spreadsheet

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column in (C.LAT, C.LON):
        return f"{float(value):.5f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return neutralise(str(value))


def upload_dir() -> Path:
    """The private upload folder under the data folder (0700), old uploads removed."""
    from geo import paths

    folder = paths.uploads_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > UPLOAD_MAX_AGE_S:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        except OSError:
            pass
    return folder


def save_upload(upload, max_mb: float) -> Path:
    """Keep the uploaded bytes in the private folder, named by their hash (0600).

    The uploaded file's own name never becomes a path (only its suffix, from a fixed
    list), so no name can write outside the folder. Larger than ``max_mb``: refused.
    """
    size_mb = upload.size / 1e6
    if size_mb > max_mb:
        raise DataError(
            es=f"{upload.name}: pesa {size_mb:,.1f} MB y el límite es {max_mb:g} MB. Divídalo "
            "en archivos más pequeños (por año, por ejemplo).",
            en=f"{upload.name}: is {size_mb:,.1f} MB and the limit is {max_mb:g} MB. Split it "
            "into smaller files (by year, for example).")
    data = upload.getvalue()
    suffix = Path(upload.name).suffix.lower()
    suffix = suffix if suffix in UPLOAD_SUFFIXES else ".csv"
    # <hash>/<the file's own name, reduced to safe characters>: messages can name the file
    # the user knows, and no name can point anywhere but into this folder
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.name).stem).strip("._")[:60]
    folder = upload_dir() / hashlib.sha256(data).hexdigest()[:32]
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{stem or 'archivo'}{suffix}"
    if not path.exists():
        tmp = path.with_name(path.name + ".part")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    return path


@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)  # uploaded records: not kept long
def validate(path: str, districts_key: tuple, limits: tuple[float, int, float, float],
             base: str | None = None):
    """Validate an uploaded file once per file and district table.

    Returns ``(valid rows, errors, warnings)``; the warnings are records whose
    ``hallazgo_tf`` contradicts their indicators under the ICLS rule (imported anyway).

    The file is read in a worker process with a memory ceiling and a time limit
    (:func:`geo.trust.isolation.run_limited`): no upload can grow or stall this server.
    """
    from geo.records.inspections import validate_upload
    from geo.trust.isolation import run_limited

    upload_mb, upload_rows, memory_mb, seconds = limits
    report = run_limited(validate_upload, path, districts_key[0], (upload_mb, upload_rows),
                         base, memory_mb=memory_mb, timeout_s=seconds, what=Path(path).name,
                         folder=upload_dir())
    return report.valid, _problems(report.errors), _problems(report.warnings)


def _problems(rows) -> pd.DataFrame:
    return pd.DataFrame([{"line": e.line, "column": e.column, "es": e.es, "en": e.en}
                         for e in rows], columns=["line", "column", "es", "en"])


def rescore() -> None:
    """Refit and rescore on all records (planner only), with progress shown.

    The model learns from every region's records (it is fitted by the system, as
    ``riskmap score`` would); the planner sees only the scores, never the other records.
    """
    from geo.records.inspections import load_records
    from geo.records.store import ROL_SISTEMA, InspectionStore
    from models.risk.score import read_district_table, score_districts, write_scores

    settings = state.settings()
    bar = st.progress(0.0, text=tr("Leyendo las inspecciones…", "Reading the inspections…"))
    who = ui.principal()
    state.store(who).record_event("recalculo", {})
    records = load_records(settings, store=InspectionStore(settings.store_path,
                                                           role=ROL_SISTEMA, user=who.user),
                           user=who.user)
    bar.progress(0.25, text=fitting_text(records, who.regions))
    districts = read_district_table(settings)  # once, for the scores and the evaluation
    scores = score_districts(settings, districts, records)
    bar.progress(0.8, text=tr("Guardando la nueva capa de riesgo…", "Saving the new risk layer…"))
    from models.risk.explain import record_rescoring

    record_rescoring(settings, scores)  # what moved and why, for the Modelo page
    write_scores(scores, settings.scores_gpkg, settings)
    bar.progress(0.85, text=tr("Evaluando el modelo de nuevo (página Modelo)…",
                               "Evaluating the model again (Modelo page)…"))
    from models.evaluation.backtest import EVALUATION_FILE, evaluate, write_card

    # the Modelo page shows the model that now scores the map, not the one before
    write_card(evaluate(settings, districts, records), settings.workdir / EVALUATION_FILE)
    bar.progress(1.0, text=tr("Listo.", "Done."))
    st.success(tr("Riesgo recalculado. El mapa, las fichas y la página Modelo ya usan las "
                  "nuevas inspecciones.",
                  "Risk recomputed. The map, the cards and the Modelo page now use the new "
                  "inspections."))
    from dashboard.changes import show_changes

    show_changes(settings.workdir, who, get_lang())


def fitting_text(records: pd.DataFrame, regions: tuple[str, ...]) -> str:
    """The rescore's progress text: the records of ``regions`` only (``()``: every one).

    The model learns from every region's records, but how many another region has is not
    a planner's to know (nor, by its change after an import, whether an id exists there).
    """
    from geo.trust.access import in_regions

    n = len(in_regions(records, regions))
    if regions:
        return tr(f"Ajustando el modelo con {n} inspecciones de sus regiones (y las de las "
                  "demás, que no se muestran)…",
                  f"Fitting the model on {n} inspections of your regions (and the other "
                  "regions', not shown)…")
    return tr(f"Ajustando el modelo con {n} inspecciones…",
              f"Fitting the model on {n} inspections…")


def history_records(settings) -> pd.DataFrame:
    """Valid records of the settings' history file, every region (validated once, cached).

    For the import's region check (an id of the history file is a record too) and, cut to
    the principal's regions, for the counts the page shows.
    """
    from geo.records.inspections import empty_records

    path = settings.inspections
    if path is None or not Path(path).is_file():
        return empty_records()
    dist_path = settings.districts_gpkg
    valid, _, _ = validate(str(path), (str(dist_path), state.mtime(dist_path),
                                       state.mtime(path)), _limits(settings, history=True),
                           str(settings.base))
    return valid


def history_count(settings, regions: tuple[str, ...] = ()) -> tuple[int, str]:
    """Valid records of ``regions`` in the settings' history file, and its name (0, '')."""
    from geo.trust.access import in_regions

    path = settings.inspections
    if path is None or not Path(path).is_file():
        return 0, ""
    return len(in_regions(history_records(settings), regions)), Path(path).name


def _limits(settings, history: bool = False) -> tuple[float, int, float, float]:
    """The ``[limits]`` an upload is read with (the configured history file: no size caps)."""
    spec = settings.limits
    if history:
        return (float("inf"), 2**62, spec.memory_mb * 4, spec.seconds * 4)
    return (spec.upload_mb, spec.upload_rows, spec.memory_mb, spec.seconds)


def shown_count(n: int, k: int, who=None) -> str:
    """A count as the role may see it: "menos de k" from 1 to k-1 (k = 1: exact).

    With ``who``, any other count is :func:`dashboard.state.shown_total`'s (to the nearest
    5 for roles without record access), so that the page before and after one import does
    not say exactly what it added.
    """
    if 0 < n < k:
        return tr(f"menos de {k}", f"fewer than {k}")
    if n and who is not None and not who.may_read_records:
        total = state.shown_total(who, n)
        return tr(f"unos {total}", f"about {total}")
    return f"{n}"


def sources_text(n_history: int, history_name: str, n_store: int, k: int = 1,
                 who=None) -> str:
    """Plain words: where the model's inspection records come from (counts shown at ``k``)."""
    h, n = shown_count(n_history, k, who), shown_count(n_store, k, who)
    if history_name:
        es_file = (f"el archivo histórico de la configuración (`{history_name}`, "
                   f"{h} registros de sus regiones)")
        en_file = (f"the configured history file (`{history_name}`, {h} records of your "
                   "regions)")
    else:
        es_file = "ningún archivo histórico (la configuración no nombra ninguno)"
        en_file = "no history file (the settings name none)"
    return tr(
        f"**De dónde salen los registros del modelo:** {es_file} **más** el almacén de "
        f"inspecciones ({n} registros importados). Si un registro importado tiene el "
        "mismo `id` que uno del archivo, vale el importado (es la corrección).",
        f"**Where the model's records come from:** {en_file} **plus** the inspection store "
        f"({n} imported records). When an imported record has the same `id` as one "
        "in the file, the imported one is used (it is the correction).")


# -- the upload's life: on disk while it waits, never in the session's memory -------------
UPLOAD_KEY = "datos_archivo"  # the uploader's widget key
PENDING = "_datos_pendiente"  # {"file_id", "folder", "path", "status", "error"}
WAITING, CHECKED, IMPORTED, REFUSED = "pendiente", "revisado", "importado", "rechazado"


def current_upload(upload, max_mb: float) -> tuple[Path, str] | None:
    """The uploaded file as a private copy on disk, and where it stands; None without one.

    Streamlit keeps an upload's bytes in memory for as long as its session lives, and a
    session whose browser closed is never ended: the bytes would stay for good. So the
    first run that sees a file writes it to the private folder (:func:`save_upload`) and
    drops it from memory; the runs after it (the import button's, a language switch) find
    the copy through ``st.session_state``. A file removed from the uploader, or replaced,
    takes its copy with it. A file refused before it was checked raises its error again.
    """
    from streamlit.runtime.uploaded_file_manager import DeletedFile, UploadedFile

    if upload is None:  # a file whose bytes were freed reads as None: the widget still has it
        held = st.session_state.get(UPLOAD_KEY)
        upload = held if isinstance(held, DeletedFile) else None
    pending = st.session_state.get(PENDING)
    file_id = str(getattr(upload, "file_id", "")) or None
    if pending and pending["file_id"] != file_id:
        discard(pending["folder"])  # removed from the uploader, or replaced
        del st.session_state[PENDING]
        pending = None
    if upload is None:
        return None
    if pending:
        if pending["status"] == REFUSED:
            raise DataError(*pending["error"])
        return Path(pending["path"]), pending["status"]
    if not isinstance(upload, UploadedFile):
        return None  # its bytes are gone and this session kept no copy: nothing to show
    try:
        path = save_upload(upload, max_mb)
    except Exception as err:
        st.session_state[PENDING] = {"file_id": file_id, "folder": None, "path": None,
                                     "status": REFUSED, "error": _words(err)}
        raise
    finally:
        free_upload(upload)
    st.session_state[PENDING] = {"file_id": file_id, "folder": str(path.parent),
                                 "path": str(path), "status": WAITING, "error": None}
    return path, WAITING


def free_upload(upload) -> None:
    """Drop an upload's bytes from the server's memory (they are on disk, or refused)."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id,
                                          file_id=str(upload.file_id))


def set_status(status: str) -> None:
    """Record where the pending upload stands; a checked or imported one leaves the disk."""
    pending = st.session_state.get(PENDING)
    if not pending:
        return
    pending["status"] = status
    if status in (CHECKED, IMPORTED):
        discard(pending["folder"])


def refuse_upload(err: Exception) -> None:
    """The upload could not be checked: delete its copy, and say why on every rerun."""
    pending = st.session_state.get(PENDING)
    if pending:
        discard(pending["folder"])
        pending.update(status=REFUSED, error=_words(err))


def _words(err: Exception) -> tuple[str, str]:
    """An error's message only: kept, the error would keep its frames (and the bytes)."""
    if isinstance(err, RiskmapError):
        return err.es, err.en
    return (f"El archivo no se pudo revisar ({type(err).__name__}). Quítelo y súbalo de nuevo.",
            f"The file could not be checked ({type(err).__name__}). Remove it and upload it "
            "again.")


def discard(folder: str | None) -> None:
    """Delete an upload's folder (only ever a folder of the upload area)."""
    if not folder:
        return
    target = Path(folder).resolve()
    if target.parent == upload_dir().resolve():
        shutil.rmtree(target, ignore_errors=True)


def read_check(check: tuple, path: Path, status: str):
    """The file's check ``(valid, errors, warnings)``, or None when it cannot be had.

    A waiting copy is checked (once: :func:`validate` is cached); a checked file's copy is
    gone, so only its cached check can be shown (never read again); a waiting copy that
    disappeared (the daily sweep) is None too.
    """
    if path.exists():
        try:
            with st.spinner(tr("Revisando el archivo…", "Checking the file…")):
                return validate(*check)
        except Exception as err:
            refuse_upload(err)  # nothing of a refused file is kept
            raise
    if status != CHECKED:
        return None
    try:
        return validate(*check)
    except DataError:  # not cached any more, and the file is deleted
        return None


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


def imported_text(result) -> str:
    """What an import did, in words (no import number: that sequence counts every region's)."""
    fixed_es = (f"; {result.corrected} corrigen registros del archivo histórico"
                if result.corrected else "")
    fixed_en = (f"; {result.corrected} correct records of the history file"
                if result.corrected else "")
    return tr(
        f"Importado: {result.added} registros nuevos{fixed_es}, {result.already_present} ya "
        f"estaban en el almacén (no se duplican; {result.completed} completados con víctimas "
        f"por sexo, edad u origen que les faltaban). Huella del archivo: "
        f"{result.sha256[:12]}…",
        f"Imported: {result.added} new records{fixed_en}, {result.already_present} were "
        f"already in the store (not duplicated; {result.completed} completed with the "
        f"victims' sex, age or origin they lacked). File fingerprint: {result.sha256[:12]}…")


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

    from geo.trust.access import floor

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
