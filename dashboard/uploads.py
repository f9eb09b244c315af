"""An uploaded file of inspection records: kept privately on disk, checked in a worker.

An upload's life on the Datos page: its bytes are written once to a private folder
(:func:`save_upload`) and dropped from the server's memory; the file is checked row by row
in a worker process with a memory ceiling and a time limit (:func:`validate`); a checked or
imported file's copy is deleted. Where the pending upload stands is kept in
``st.session_state`` (:data:`PENDING`), never its bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import DeletedFile, UploadedFile

from dashboard import state
from dashboard.i18n import t
from geo import paths
from geo.errors import DataError, RiskmapError
from geo.messages import Message
from geo.records.inspections import empty_records, validate_upload
from geo.trust.access import in_regions
from geo.trust.isolation import run_limited

UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xls", ".txt")


UPLOAD_MAX_AGE_S = 24 * 3600  # an upload never imported is deleted after a day


UPLOAD_KEY = "datos_archivo"  # the uploader's widget key


PENDING = "_datos_pendiente"  # {"file_id", "folder", "path", "status", "error"}


WAITING, CHECKED, IMPORTED, REFUSED = "pendiente", "revisado", "importado", "rechazado"


def upload_dir() -> Path:
    """Return the private upload folder under the data folder (0700), old uploads removed."""
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
        raise DataError("datos.pesa_mb_limite_mb", name=upload.name, size_mb=size_mb, max_mb=max_mb)
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
    upload_mb, upload_rows, memory_mb, seconds = limits
    report = run_limited(validate_upload, path, districts_key[0], (upload_mb, upload_rows),
                         base, memory_mb=memory_mb, timeout_s=seconds, what=Path(path).name,
                         folder=upload_dir())
    return report.valid, _problems(report.errors), _problems(report.warnings)


def _problems(rows) -> pd.DataFrame:
    return pd.DataFrame([{"line": e.line, "column": e.column, "es": e.es, "en": e.en}
                         for e in rows], columns=["line", "column", "es", "en"])


def history_records(settings) -> pd.DataFrame:
    """Return the valid records of the settings' history file, every region (cached).

    For the import's region check (an id of the history file is a record too) and, cut to
    the principal's regions, for the counts the page shows.
    """
    path = settings.inspections
    if path is None or not Path(path).is_file():
        return empty_records()
    dist_path = settings.districts_gpkg
    valid, _, _ = validate(str(path), (str(dist_path), state.mtime(dist_path),
                                       state.mtime(path)), _limits(settings, history=True),
                           str(settings.base))
    return valid


def history_count(settings, regions: tuple[str, ...] = ()) -> tuple[int, str]:
    """Count the valid records of ``regions`` in the history file; and its name (0, '')."""
    path = settings.inspections
    if path is None or not Path(path).is_file():
        return 0, ""
    return len(in_regions(history_records(settings), regions)), Path(path).name


def _limits(settings, history: bool = False) -> tuple[float, int, float, float]:
    """Return the ``[limits]`` an upload is read with (the history file: no size caps)."""
    spec = settings.limits
    if history:
        return (float("inf"), 2**62, spec.memory_mb * 4, spec.seconds * 4)
    return (spec.upload_mb, spec.upload_rows, spec.memory_mb, spec.seconds)


def current_upload(upload, max_mb: float) -> tuple[Path, str] | None:
    """Return the upload as a private copy on disk, and where it stands; None without one.

    Streamlit keeps an upload's bytes in memory for as long as its session lives, and a
    session whose browser closed is never ended: the bytes would stay for good. So the
    first run that sees a file writes it to the private folder (:func:`save_upload`) and
    drops it from memory; the runs after it (the import button's, a language switch) find
    the copy through ``st.session_state``. A file removed from the uploader, or replaced,
    takes its copy with it. A file refused before it was checked raises its error again.
    """
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
            said: Message = pending["error"]
            raise DataError(said.key, **said.params)
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
    """Forget an upload that could not be checked: delete its copy, say why on every rerun."""
    pending = st.session_state.get(PENDING)
    if pending:
        discard(pending["folder"])
        pending.update(status=REFUSED, error=_words(err))


def _words(err: Exception) -> Message:
    """Return an error's message only: kept, the error would keep its frames (and bytes).

    An error among the message's parameters is kept as its own message (a RiskmapError) or
    its text (any other error), never as the error itself.
    """
    if isinstance(err, RiskmapError):
        return Message(err.key, {name: _words(value) if isinstance(value, RiskmapError)
                                 else str(value) if isinstance(value, BaseException) else value
                                 for name, value in err.params.items()})
    return Message.of("datos.archivo_no_revisado", kind=type(err).__name__)


def discard(folder: str | None) -> None:
    """Delete an upload's folder (only ever a folder of the upload area)."""
    if not folder:
        return
    target = Path(folder).resolve()
    if target.parent == upload_dir().resolve():
        shutil.rmtree(target, ignore_errors=True)


def read_check(check: tuple, path: Path, status: str):
    """Return the file's check ``(valid, errors, warnings)``, or None when it cannot be had.

    A waiting copy is checked (once: :func:`validate` is cached); a checked file's copy is
    gone, so only its cached check can be shown (never read again); a waiting copy that
    disappeared (the daily sweep) is None too.
    """
    if path.exists():
        try:
            with st.spinner(t("datos.revisando_archivo")):
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
