r"""The audit trail that proves itself: append-only, hash-chained and sealed.

Every row of table ``auditoria`` carries ``hash_anterior`` (the previous row's hash) and
``hash`` = HMAC-SHA256 over the row's own values and ``hash_anterior``, with a key kept
outside the database. So:

* an **edited** row no longer matches its hash (and without the key nobody can forge one);
* a **deleted** row breaks the chain (the next row points at a hash that is not there);
* **truncation** (deleting the last rows) is caught by the *seal*: a small owner-only file
  next to the database, ``<store>.sello``, holding the key and the id and hash of the last
  row written, updated after every append;
* SQLite triggers refuse ``UPDATE`` and ``DELETE`` on the table, so an edit needs the
  triggers dropped first — which :func:`verify` reports too.

The seal is updated after the row's transaction commits, never before (a crash in between
leaves rows *after* the seal, reported as a note, not as tampering: the chain still proves
them). A store whose seal is missing refuses to write more audit rows: an audit trail that
cannot be checked is not kept going silently.

Examples
--------
>>> import sqlite3, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> conn = sqlite3.connect(d / "s.sqlite", isolation_level=None)
>>> create_table(conn)
>>> seal = Seal.create(d / "s.sqlite.sello")
>>> append(conn, seal, "ana", "planificador", "lectura_registros", {"filas": 3})[0]
1
>>> seal.advance(*last_row(conn))
>>> verify(conn, seal).ok
True
>>> _ = conn.execute("DROP TRIGGER auditoria_sin_cambios")
>>> _ = conn.execute("UPDATE auditoria SET usuario = 'otro' WHERE id = 1")
>>> report = verify(conn, seal)
>>> report.ok, report.problems[0].row
(False, 1)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import DataError

__all__ = [
    "AuditProblem",
    "AuditReport",
    "COLUMNS",
    "GENESIS",
    "Seal",
    "append",
    "create_table",
    "last_row",
    "owner_only",
    "row_hash",
    "seal_path",
    "verify",
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


def seal_path(db_path: str | Path) -> Path:
    """Return where the seal of the store ``db_path`` lives (``<store>.sello``)."""
    return Path(str(db_path) + ".sello")


def owner_only(path: Path, mode: int = 0o600) -> None:
    """Make ``path`` readable and writable by its owner only (no-op where unsupported)."""
    with contextlib.suppress(OSError):
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            path.chmod(mode)


def row_hash(key: bytes, values: tuple[Any, ...], previous: str) -> str:
    """HMAC-SHA256 (hex) of a row's values ``(id, fecha_hora, usuario, rol, accion, detalle)``.

    >>> row_hash(b"k", (1, "2026-01-01T00:00:00+00:00", "ana", "admin", "x", "{}"), GENESIS)[:12]
    '91b1fdf0c358'
    """
    payload = json.dumps([*values, previous], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class Seal:
    """The key of the chain and the last row it has seen, kept in ``<store>.sello`` (0600)."""

    path: Path
    key: bytes
    last_id: int = 0
    last_hash: str = GENESIS

    @classmethod
    def create(cls, path: str | Path) -> Seal:
        """Write a new seal with a fresh random key (refuses to replace an existing one)."""
        seal = cls(Path(path), secrets.token_bytes(32))
        if seal.path.exists():
            raise DataError(
                es=f"Ya existe el sello de auditoría {seal.path}; no se reemplaza.",
                en=f"The audit seal {seal.path} already exists; it is not replaced.",
            )
        seal._write()
        return seal

    @classmethod
    def load(cls, path: str | Path) -> Seal:
        """Read a seal; a missing or damaged file is a :class:`DataError` that says what to do."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, bytes.fromhex(raw["clave"]), int(raw["ultima_fila"]),
                       str(raw["ultimo_hash"]))
        except FileNotFoundError as err:
            raise DataError(
                es=f"Falta el sello de la auditoría ({path}). Sin él no se puede comprobar la "
                "auditoría, y riskmap no sigue escribiendo en una que no puede comprobar: "
                "restáurelo desde la copia de seguridad (riskmap store restore).",
                en=f"The audit seal ({path}) is missing. Without it the audit trail cannot "
                "be checked, and riskmap does not keep writing to one it cannot check: "
                "restore it from the backup (riskmap store restore).",
            ) from err
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise DataError(
                es=f"El sello de la auditoría {path} está dañado ({err}). Restáurelo desde la "
                "copia de seguridad.",
                en=f"The audit seal {path} is damaged ({err}). Restore it from the backup.",
            ) from err

    def advance(self, last_id: int, last_hash: str, *, locked: bool = False) -> None:
        """Record that rows up to ``last_id`` exist; never moves back (concurrent writers).

        ``locked``: the caller already holds :meth:`lock` (a writer holds it for its whole
        transaction).
        """
        with contextlib.nullcontext() if locked else Seal.lock(self.path):
            current = Seal.load(self.path)
            if last_id <= current.last_id:
                self.last_id, self.last_hash = current.last_id, current.last_hash
                return
            self.last_id, self.last_hash = last_id, last_hash
            self._write()

    def as_dict(self) -> dict[str, Any]:
        """Return what the seal file holds."""
        return {"version": 1, "clave": self.key.hex(), "ultima_fila": self.last_id,
                "ultimo_hash": self.last_hash,
                "actualizado": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    def _write(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.as_dict(), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @staticmethod
    @contextlib.contextmanager
    def lock(path: str | Path) -> Iterator[None]:
        """Hold the seal's exclusive lock (``<seal>.lock``): one audit writer at a time.

        Not re-entrant: ``flock`` on a second descriptor of the same file blocks, even in
        the same thread.
        """
        path = Path(path)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def last_row(conn: sqlite3.Connection) -> tuple[int, str]:
    """``(id, hash)`` of the newest audit row (``(0, GENESIS)`` when there is none)."""
    row = conn.execute("SELECT id, hash FROM auditoria ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def append(conn: sqlite3.Connection, seal: Seal, user: str, role: str, action: str,
           detail: dict[str, Any], when: str | None = None) -> tuple[int, str]:
    """Append one row inside the caller's write transaction; return its ``(id, hash)``.

    The caller commits, then calls ``seal.advance(id, hash)``.
    """
    previous_id, previous = last_row(conn)
    row_id = previous_id + 1
    values = (row_id, when or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              str(user), str(role), str(action),
              json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str))
    digest = row_hash(seal.key, values, previous)
    conn.execute(f"INSERT INTO auditoria ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (*values, previous, digest))
    return row_id, digest


@dataclass(frozen=True)
class AuditProblem:
    """One piece of evidence that the trail was changed: the row and what is wrong."""

    row: int
    es: str
    en: str


@dataclass
class AuditReport:
    """The result of :func:`verify`."""

    rows: int
    problems: list[AuditProblem] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    head: str = GENESIS

    @property
    def ok(self) -> bool:
        """Whether the trail is intact (notes are not problems)."""
        return not self.problems

    def render(self, lang: str = "es") -> str:
        """Return the report as plain text lines."""
        es = lang != "en"
        lines = []
        if self.ok:
            lines.append(f"Auditoría íntegra: {self.rows} filas, encadenadas y selladas "
                         f"(última huella {self.head[:16]}…)." if es else
                         f"Audit trail intact: {self.rows} rows, chained and sealed "
                         f"(last hash {self.head[:16]}…).")
        else:
            lines.append(f"La auditoría fue alterada: {len(self.problems)} problema(s) en "
                         f"{self.rows} filas." if es else
                         f"The audit trail was tampered with: {len(self.problems)} "
                         f"problem(s) in {self.rows} rows.")
            lines += [f"  {p.es if es else p.en}" for p in self.problems]
        lines += [f"  {n[0] if es else n[1]}" for n in self.notes]
        return "\n".join(lines)


def verify(conn: sqlite3.Connection, seal: Seal) -> AuditReport:
    """Recompute the chain and compare its end with the seal; name every row that fails."""
    problems: list[AuditProblem] = []
    expected_id, previous, n = 1, GENESIS, 0
    cursor = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM auditoria ORDER BY id")
    for row in cursor:
        n += 1
        row_id, values, prev_stored, stored = int(row[0]), tuple(row[:6]), row[6], row[7]
        if row_id != expected_id:
            gap = (f"{expected_id}" if row_id == expected_id + 1
                   else f"{expected_id}–{row_id - 1}")
            problems.append(AuditProblem(
                expected_id,
                f"fila(s) {gap}: borrada(s) (la fila {row_id} sigue a la {expected_id - 1}).",
                f"row(s) {gap}: deleted (row {row_id} follows row {expected_id - 1})."))
        elif prev_stored != previous:
            problems.append(AuditProblem(
                row_id, f"fila {row_id}: no enlaza con la fila anterior (cadena rota).",
                f"row {row_id}: does not link to the previous row (broken chain)."))
        if not hmac.compare_digest(row_hash(seal.key, values, str(prev_stored)), str(stored)):
            problems.append(AuditProblem(
                row_id, f"fila {row_id}: su contenido no coincide con su huella (editada).",
                f"row {row_id}: its content does not match its hash (edited)."))
        expected_id, previous = row_id + 1, str(stored)
    last_id = expected_id - 1
    report = AuditReport(rows=n, problems=problems, head=previous)
    if seal.last_id > last_id:
        missing = (f"{seal.last_id}" if seal.last_id == last_id + 1
                   else f"{last_id + 1}–{seal.last_id}")
        problems.append(AuditProblem(
            last_id + 1,
            f"fila(s) {missing}: borrada(s) del final (el sello llega a la fila "
            f"{seal.last_id}).",
            f"row(s) {missing}: deleted from the end (the seal reaches row {seal.last_id})."))
    elif seal.last_id:
        sealed = conn.execute("SELECT hash FROM auditoria WHERE id = ?",
                              (seal.last_id,)).fetchone()
        if sealed is not None and str(sealed[0]) != seal.last_hash:
            problems.append(AuditProblem(
                seal.last_id,
                f"fila {seal.last_id}: no es la que se selló (reemplazada).",
                f"row {seal.last_id}: not the row that was sealed (replaced)."))
    if last_id > seal.last_id:
        report.notes.append((
            f"Nota: {last_id - seal.last_id} fila(s) posteriores al sello (escritas justo "
            "antes de una interrupción); su cadena es válida.",
            f"Note: {last_id - seal.last_id} row(s) after the seal (written just before an "
            "interruption); their chain is valid."))
    present = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'auditoria'")}
    for name in TRIGGERS:
        if name not in present:
            problems.append(AuditProblem(
                0, f"falta el disparador {name}, que impide cambiar o borrar filas "
                "(alguien lo quitó).",
                f"trigger {name}, which prevents changing or deleting rows, is missing "
                "(someone removed it)."))
    return report
