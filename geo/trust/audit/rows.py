"""The audit table's rows: schema and append-only triggers, a row's HMAC, the newest row.

Also the clock rows and anchors are stamped with (UTC, to the second).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import sqlite3
from typing import Any

__all__ = [
    "COLUMNS",
    "create_table",
    "GENESIS",
    "last_row",
    "row_hash",
    "TRIGGERS",
]

GENESIS = "0" * 64  # the "previous hash" of row 1
COLUMNS = ("id", "fecha_hora", "usuario", "rol", "accion", "detalle", "hash_anterior", "hash")
TRIGGERS = ("auditoria_sin_cambios", "auditoria_sin_borrado")
_TABLE = """
CREATE TABLE IF NOT EXISTS auditoria (
    id INTEGER PRIMARY KEY,            -- 1, 2, 3, ... with no gaps
    fecha_hora TEXT NOT NULL,          -- UTC, ISO 8601
    usuario TEXT NOT NULL,             -- the authenticated identity, never free text
    rol TEXT NOT NULL,
    accion TEXT NOT NULL,
    detalle TEXT NOT NULL,             -- JSON
    hash_anterior TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS auditoria_sin_cambios BEFORE UPDATE ON auditoria
BEGIN SELECT RAISE(ABORT, 'auditoria: solo se agregan filas (append-only)'); END;
CREATE TRIGGER IF NOT EXISTS auditoria_sin_borrado BEFORE DELETE ON auditoria
BEGIN SELECT RAISE(ABORT, 'auditoria: solo se agregan filas (append-only)'); END;
"""


def create_table(conn: sqlite3.Connection) -> None:
    """Create table ``auditoria`` and its append-only triggers (if missing)."""
    # one statement per execute (executescript would commit the caller's transaction);
    # a trigger's body holds a ';' too, so statements are split at ';' + newline
    for statement in _TABLE.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def row_hash(key: bytes, values: tuple[Any, ...], previous: str) -> str:
    """HMAC-SHA256 (hex) of a row's values ``(id, fecha_hora, usuario, rol, accion, detalle)``.

    >>> row_hash(b"k", (1, "2026-01-01T00:00:00+00:00", "ana", "admin", "x", "{}"), GENESIS)[:12]
    '91b1fdf0c358'
    """
    payload = json.dumps([*values, previous], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def last_row(conn: sqlite3.Connection) -> tuple[int, str]:
    """``(id, hash)`` of the newest audit row (``(0, GENESIS)`` when there is none)."""
    row = conn.execute("SELECT id, hash FROM auditoria ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _when(text: str) -> dt.datetime | None:
    with contextlib.suppress(ValueError, TypeError):
        when = dt.datetime.fromisoformat(text)
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None
