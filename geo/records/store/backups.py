"""Backing up a store and putting a backup back, with its audit seal checked."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.errors import DataError
from geo.messages import Message, Rendered
from geo.private import private_dir
from geo.records.store.database import InspectionStore
from geo.records.store.schema import BACKUP_SEAL_TABLE, MIN_BACKUP_VERSION, SCHEMA_VERSION
from geo.records.store.trail import _audit_text, _now, _seal_held, _sha256, _write_private, operator
from geo.trust import audit as A
from geo.trust.access import (
    ROL_SISTEMA,
)

__all__ = ["RestoreResult", "backup_store", "restore_store"]


@dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore_store` did.

    Attributes
    ----------
    records : int
        Inspection records in the restored store.
    audit_rows : int
        Audit rows of the backup (the restored trail, before the restoration's own row).
    previous_audit : Path or None
        Where the replaced store's audit trail was kept (JSON lines, owner-only).
    previous_rows : int
        Rows of that trail.
    """

    records: int
    audit_rows: int
    previous_audit: Path | None
    previous_rows: int


def backup_store(db_path: str | Path, dest: str | Path, *, user: str = "") -> Path:
    """Copy the store to ``dest`` with SQLite's online backup API (safe while in use).

    The copy carries its own audit seal (table ``respaldo_sello``), so that
    :func:`restore_store` can check it and put the seal back with it: a backup is as
    sensitive as the store and is created owner-only (0600). ``dest`` must not exist.
    """
    db_path, dest = Path(db_path), Path(dest)
    if not db_path.is_file():
        raise DataError("registros.no_existe_almacen_no", db_path=db_path)
    if dest.exists():
        raise DataError("registros.existe_respaldo_nunca_sobrescribe", dest=dest)
    store = InspectionStore(db_path, role=ROL_SISTEMA, user=user or operator())
    private_dir(dest.parent)
    os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with _seal_held(A.seal_path(db_path)):  # no audit row lands between copy and seal
            with closing(store._connect()) as src, closing(sqlite3.connect(dest)) as dst:
                src.backup(dst)
                seal = A.Seal.load(A.seal_path(db_path))
                dst.execute(f"CREATE TABLE {BACKUP_SEAL_TABLE} (clave TEXT NOT NULL, "
                            "ultima_fila INTEGER NOT NULL, ultimo_hash TEXT NOT NULL, "
                            "creado TEXT NOT NULL)")
                dst.execute(f"INSERT INTO {BACKUP_SEAL_TABLE} VALUES (?, ?, ?, ?)",
                            (A.backup_key_field(seal), seal.last_id, seal.last_hash, _now()))
                dst.commit()
                records = int(dst.execute("SELECT count(*) FROM inspecciones").fetchone()[0])
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    store.record_event("respaldo", {"archivo": dest.name, "sha256": _sha256(dest),
                                    "registros": records})
    return dest


def restore_store(db_path: str | Path, src: str | Path, *, user: str = "",
                  accept_other_store: bool = False) -> RestoreResult:
    """Put a backup made by :func:`backup_store` back as the store at ``db_path``.

    The backup is checked first (SQLite integrity, schema, its audit chain against its
    seal); a damaged or altered one is refused and nothing changes. The audit trail being
    replaced is kept next to the store (``<store>.auditoria-<UTC>.jsonl``, its sha256 in the
    restoration's audit row), the backup is copied in with the online backup API (other
    connections see the old store or the new one, never a mix), its seal is put back, and
    the restoration is audited in both trails: the one replaced and the one restored.

    A backup of another store (sealed with another key) is refused unless
    ``accept_other_store``: a restore must not swap the audit trail for an unrelated one.
    """
    db_path, src = Path(db_path), Path(src)
    key, head = _check_backup(src)
    seal_file = A.seal_path(db_path)
    previous, previous_rows, previous_sha = None, 0, ""
    tmp = db_path.with_name(db_path.name + ".restaurando")
    if db_path.is_file() and seal_file.exists():
        live = A.Seal.load(seal_file)
        if live.key != key and not accept_other_store:
            raise DataError("registros.respaldo_otro_almacen_auditoria", name=src.name)
        InspectionStore(db_path, role=ROL_SISTEMA, user=user or operator()).record_event(
            "restauracion_iniciada", {"archivo": src.name, "sha256": _sha256(src),
                                      "otro_almacen": live.key != key})
    with _seal_held(seal_file):
        if db_path.is_file():
            with closing(sqlite3.connect(db_path)) as live:
                has_audit = live.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                         "AND name = 'auditoria'").fetchone()
                if has_audit:
                    frame = pd.read_sql_query("SELECT * FROM auditoria ORDER BY id", live)
                    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
                    previous = db_path.with_name(f"{db_path.name}.auditoria-{stamp}.jsonl")
                    _write_private(previous, _audit_text(frame, ".jsonl"))
                    previous_rows, previous_sha = len(frame), _sha256(previous)
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as source, \
                    closing(sqlite3.connect(tmp)) as copy:
                source.backup(copy)
                copy.execute(f"DROP TABLE {BACKUP_SEAL_TABLE}")
                copy.commit()
                records = int(copy.execute("SELECT count(*) FROM inspecciones").fetchone()[0])
                audit_rows = int(copy.execute("SELECT count(*) FROM auditoria").fetchone()[0])
            if not db_path.exists():
                private_dir(db_path.parent)
                os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            with closing(sqlite3.connect(tmp)) as copy, \
                    closing(sqlite3.connect(db_path, timeout=30.0)) as live:
                copy.backup(live)
            A.owner_only(db_path)
            A.Seal(seal_file, key, head[0], head[1])._write()
        finally:
            tmp.unlink(missing_ok=True)
    store = InspectionStore(db_path, role=ROL_SISTEMA, user=user or operator())
    store.record_event("restauracion", {
        "archivo": src.name, "sha256": _sha256(src), "registros": records,
        "auditoria_anterior": previous.name if previous else None,
        "sha256_auditoria_anterior": previous_sha, "filas_auditoria_anterior": previous_rows})
    return RestoreResult(records=records, audit_rows=audit_rows, previous_audit=previous,
                         previous_rows=previous_rows)


def _check_backup(src: Path) -> tuple[bytes, tuple[int, str]]:
    """Return the backup's seal key and head, after checking it is an intact backup."""
    if not src.is_file():
        raise DataError("registros.no_existe_respaldo", src=src)
    bad = Message("registros.respaldo_no_utilizable", {"name": src.name})
    try:
        with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise DataError("registros.respaldo_sqlite_danado", bad=bad, check=check)
            row = conn.execute(f"SELECT clave, ultima_fila, ultimo_hash FROM "
                               f"{BACKUP_SEAL_TABLE}").fetchone()
            version = conn.execute(
                "SELECT valor FROM meta WHERE clave = 'schema_version'").fetchone()
            if row is None or version is None or not \
                    MIN_BACKUP_VERSION <= int(version[0]) <= SCHEMA_VERSION:
                raise DataError("registros.respaldo_sin_sello_o_version", bad=bad)
            seal = A.Seal.from_backup(src, row[0], int(row[1]), str(row[2]))
            report = A.verify(conn, seal)
    except sqlite3.DatabaseError as err:
        raise DataError("registros.respaldo_error_sqlite", bad=bad, err=err) from err
    if not report.ok:
        raise DataError("registros.respaldo_auditoria_alterada", bad=bad,
                        report=Rendered(report))
    head = (seal.last_id, seal.last_hash)
    with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as conn:
        head = A.last_row(conn) if A.last_row(conn)[0] > seal.last_id else head
    return seal.key, head

