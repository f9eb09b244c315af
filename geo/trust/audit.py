r"""The audit trail that proves itself: append-only, hash-chained, sealed and anchored.

Every row of table ``auditoria`` carries ``hash_anterior`` (the previous row's hash) and
``hash`` = HMAC-SHA256 over the row's own values and ``hash_anterior``, with a key kept
outside the database. So:

* an **edited** row no longer matches its hash (and without the key nobody can forge one);
* a **deleted** row breaks the chain (the next row points at a hash that is not there);
* **truncation** (deleting the last rows) is caught by the *seal*: a small owner-only file
  next to the database, ``<store>.sello``, holding the id and hash of the last row written,
  updated after every append;
* SQLite triggers refuse ``UPDATE`` and ``DELETE`` on the table, so an edit needs the
  triggers dropped first — which :func:`verify` reports too.

**The key lives outside the store's folder** (``[audit] key_file`` or ``key_env``,
:class:`KeySource`); the seal names where and carries the key's fingerprint, never the key.
A store made before ``[audit]`` keeps its key in its seal (version 1) until
:func:`move_key` moves it out; :func:`key_advice` says so.

**Anchors.** Whoever holds the key (root on the server) can still re-chain the trail and
rewrite the seal. :func:`anchor` appends the sealed head (row id, hash, time, signed with a
key derived from the audit key) to a *witness* outside the store's folder (:class:`Witness`:
an append-only file on another mount, an HTTP endpoint or a syslog server), and the seal
anchors by itself, after a write, when the last anchor is older than ``[audit]
anchor_every_minutes`` (:meth:`Seal.advance`). :func:`check_witness` then names every
anchored row the store no longer has, or has with another hash: an edit, a deletion, a
truncation, a re-chaining or a rollback to an older copy of anything the witness has seen.
A legitimate ``riskmap store restore`` is recognised by its ``restauracion`` row and the
replaced trail it keeps beside the store, which must hold the anchored rows.

The seal is updated after the row's transaction commits, never before (a crash in between
leaves rows *after* the seal, reported as a note, not as tampering: the chain still proves
them). A store whose seal or key is missing refuses to write more audit rows: an audit
trail that cannot be checked is not kept going silently.

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
import logging
import os
import secrets
import socket
import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from geo import paths
from geo.config import AuditSpec, load_settings
from geo.errors import DataError, RiskmapError

__all__ = [
    "Anchoring",
    "AuditProblem",
    "AuditReport",
    "COLUMNS",
    "GENESIS",
    "KeySource",
    "Seal",
    "Witness",
    "anchor",
    "anchor_entry",
    "append",
    "backup_carries_key",
    "backup_key_field",
    "check_witness",
    "create_table",
    "key_advice",
    "key_fingerprint",
    "last_row",
    "move_key",
    "owner_only",
    "place_refusal",
    "row_hash",
    "seal_path",
    "settings_for",
    "use_settings",
    "verify",
]

GENESIS = "0" * 64  # the "previous hash" of row 1
COLUMNS = ("id", "fecha_hora", "usuario", "rol", "accion", "detalle", "hash_anterior", "hash")
TRIGGERS = ("auditoria_sin_cambios", "auditoria_sin_borrado")
KEY_BYTES = 32
ANCHOR = "anclaje"  # the "riskmap" field of a witness line
ANCHOR_VERSION = 1
ANCHOR_TIMEOUT_S = 5.0  # a witness that does not answer in this time is skipped until next
RESTORATION = "restauracion"  # the audit row geo.records.store writes in a restored trail
SYSLOG_PORT = 514
SYSLOG_PRIORITY = 13 * 8 + 6  # facility 13 (log audit), severity 6 (informational)
_log = logging.getLogger("riskmap.audit")

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


def key_fingerprint(key: bytes) -> str:
    """Return a public name for a key: which key it is, revealing nothing of it.

    >>> key_fingerprint(b"k" * 32)
    '6754e874c9184d4a118ccfa9e5884bfb'
    """
    return hmac.new(key, b"riskmap:huella-clave:v1", hashlib.sha256).hexdigest()[:32]


def place_refusal(store: str | Path, place: str | Path, what: str) -> tuple[str, str] | None:
    """Why ``place`` (``"key_file"`` or ``"witness"``) may not be where it is, or None.

    Both must be outside the store's folder: whoever can read that folder (or a copy of it)
    would hold the key, and whoever can rewrite the store could rewrite a witness beside it.

    >>> place_refusal("/srv/datos/s.sqlite", "/mnt/testigo/riskmap.log", "witness") is None
    True
    >>> place_refusal("/srv/datos/s.sqlite", "/srv/datos/testigo.log", "witness")[1][:38]
    '/srv/datos/testigo.log is in the store'
    """
    folder = Path(store).expanduser().resolve().parent
    where = Path(place).expanduser().resolve()
    if where != folder and folder not in where.parents:
        return None
    if what == "key_file":
        return (f"{where} está en la carpeta del almacén ({folder}): quien pueda leer esa "
                "carpeta, o una copia de ella, tendría la clave y podría volver a firmar la "
                "auditoría entera. Guárdela en otra carpeta del usuario del servicio, p. ej. "
                "/etc/riskmap/clave_auditoria (0600).",
                f"{where} is in the store's folder ({folder}): whoever can read that folder, "
                "or a copy of it, would hold the key and could re-sign the whole audit trail. "
                "Keep it in another folder of the service user, e.g. "
                "/etc/riskmap/clave_auditoria (0600).")
    return (f"{where} está en la carpeta del almacén ({folder}): quien pueda reescribir el "
            "almacén podría reescribir también el testigo, y el testigo ya no probaría nada. "
            "Use un archivo de solo añadir en otro montaje (de otra máquina o de otro "
            "usuario), un servidor syslog (syslog://) o una URL http(s)://.",
            f"{where} is in the store's folder ({folder}): whoever can rewrite the store "
            "could rewrite the witness too, and it would prove nothing. Use an append-only "
            "file on another mount (another machine's or another user's), a syslog server "
            "(syslog://) or an http(s):// URL.")


# -- where the key lives ----------------------------------------------------------------------
@dataclass(frozen=True)
class KeySource:
    """Where a store's audit key lives outside its folder: a file (0600) or an environment variable.

    ``kind`` is ``"archivo"`` (``where``: the file's absolute path) or ``"entorno"``
    (``where``: the variable's name). The key is 32 random bytes written as 64 hex digits.
    """

    kind: str
    where: str

    FILE = "archivo"
    ENV = "entorno"

    @classmethod
    def from_spec(cls, spec: AuditSpec | None) -> KeySource | None:
        """Return the source ``[audit]`` names (None: the key stays in the seal, as before)."""
        if spec is None:
            return None
        if spec.key_file is not None:
            return cls(cls.FILE, str(Path(spec.key_file).expanduser().resolve()))
        if spec.key_env:
            return cls(cls.ENV, spec.key_env)
        return None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> KeySource:
        """Read what :meth:`as_dict` wrote (``{"archivo": path}`` or ``{"entorno": name}``)."""
        ((kind, where),) = raw.items()
        if kind not in (cls.FILE, cls.ENV) or not isinstance(where, str) or not where:
            raise ValueError(f"clave_en = {raw!r}")
        return cls(kind, where)

    def as_dict(self) -> dict[str, str]:
        """Return what the seal and a backup record: where the key is, never the key."""
        return {self.kind: self.where}

    def label(self) -> tuple[str, str]:
        """``(es, en)``: the file or the variable, for messages."""
        if self.kind == self.FILE:
            return f"el archivo {self.where}", f"file {self.where}"
        return f"la variable de entorno {self.where}", f"environment variable {self.where}"

    def read(self, store: str | Path | None = None) -> bytes:
        """Return the key; a missing, unreadable, too open or malformed one is a DataError."""
        es, en = self.label()
        if self.kind == self.ENV:
            text = os.environ.get(self.where)
            if not text:
                raise DataError(
                    es=f"Falta la clave de la auditoría: {es} no está definida en el entorno "
                    "de este proceso. Defínala como en el servicio del tablero (p. ej. un "
                    "EnvironmentFile de systemd legible solo por el usuario del servicio); sin "
                    "ella riskmap no escribe en una auditoría que no puede comprobar.",
                    en=f"The audit key is missing: {en} is not set in this process's "
                    "environment. Set it as the dashboard's service does (e.g. a systemd "
                    "EnvironmentFile readable by the service user only); without it riskmap "
                    "does not write to an audit trail it cannot check.")
            return _parse_key(text, es, en)
        path = Path(self.where)
        if store is not None and (refusal := place_refusal(store, path, "key_file")):
            raise DataError(es=f"Clave de la auditoría: {refusal[0]}",
                            en=f"Audit key: {refusal[1]}")
        try:
            mode = path.stat().st_mode & 0o777
            text = path.read_text(encoding="ascii")
        except FileNotFoundError as err:
            raise DataError(
                es=f"Falta la clave de la auditoría ({es}). Sin ella la auditoría no se puede "
                "comprobar y riskmap no sigue escribiendo: póngala de vuelta desde donde la "
                "guardó (no está en los respaldos del almacén).",
                en=f"The audit key ({en}) is missing. Without it the audit trail cannot be "
                "checked and riskmap does not keep writing: put it back from where you kept "
                "it (it is not in the store's backups).") from err
        except (OSError, UnicodeDecodeError) as err:
            raise DataError(
                es=f"No se pudo leer la clave de la auditoría ({es}: {err}). Debe ser del "
                "usuario que ejecuta riskmap y legible solo por él (chmod 600).",
                en=f"Could not read the audit key ({en}: {err}). It must belong to the user "
                "that runs riskmap and be readable by it only (chmod 600).") from err
        if mode & 0o077:
            raise DataError(
                es=f"La clave de la auditoría ({es}) la pueden leer otros usuarios (permisos "
                f"{mode:o}): quien la lea puede volver a firmar la auditoría. Ejecute 'chmod "
                f"600 {path}' (y cambie de clave si alguien pudo leerla).",
                en=f"The audit key ({en}) is readable by other users (mode {mode:o}): whoever "
                f"reads it can re-sign the audit trail. Run 'chmod 600 {path}' (and change "
                "the key if anyone may have read it).")
        return _parse_key(text, es, en)

    def provide(self, store: str | Path) -> bytes:
        """Return the key of a new store: read it, or (a file not there yet) make one."""
        if self.kind == self.FILE and not Path(self.where).exists():
            key = secrets.token_bytes(KEY_BYTES)
            self.put(store, key)
            return key
        return self.read(store)

    def put(self, store: str | Path, key: bytes) -> None:
        """Keep ``key`` here: write a new key file (0600), or check the variable already holds it.

        A file or variable that holds another key is refused: it is another store's, and
        replacing it would leave that store's trail impossible to check.
        """
        es, en = self.label()
        if self.kind == self.ENV or Path(self.where).exists():
            held = self.read(store) if self.kind == self.FILE else \
                _parse_key(os.environ.get(self.where) or "", es, en, missing_ok=True)
            if held is None:
                raise DataError(
                    es=f"Ponga primero la clave de este almacén en {es}: es el valor de "
                    "'clave' en su sello (copie esa línea al entorno del servicio, p. ej. un "
                    "EnvironmentFile legible solo por el usuario del servicio) y vuelva a "
                    "ejecutar la orden.",
                    en=f"First put this store's key in {en}: it is the value of 'clave' in "
                    "its seal (copy it into the service's environment, e.g. an "
                    "EnvironmentFile readable by the service user only) and run the command "
                    "again.")
            if not hmac.compare_digest(held, key):
                raise DataError(
                    es=f"{es[0].upper()}{es[1:]} tiene otra clave (huella "
                    f"{key_fingerprint(held)[:16]}…), no la de este almacén (huella "
                    f"{key_fingerprint(key)[:16]}…). No se reemplaza: sería la de otro almacén. "
                    "Elija otro lugar en [audit] o aparte esa clave primero.",
                    en=f"{en[0].upper()}{en[1:]} holds another key (fingerprint "
                    f"{key_fingerprint(held)[:16]}…), not this store's (fingerprint "
                    f"{key_fingerprint(key)[:16]}…). It is not replaced: it would be another "
                    "store's. Choose another place in [audit] or move that key aside first.")
            return
        path = Path(self.where)
        if refusal := place_refusal(store, path, "key_file"):
            raise DataError(es=f"Clave de la auditoría: {refusal[0]}",
                            en=f"Audit key: {refusal[1]}")
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def _parse_key(text: str, es: str, en: str, *, missing_ok: bool = False) -> bytes | None:
    text = text.strip()
    if not text and missing_ok:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise DataError(
            es=f"La clave de la auditoría ({es}) no es válida: se esperaban {2 * KEY_BYTES} "
            "cifras hexadecimales.",
            en=f"The audit key ({en}) is not valid: {2 * KEY_BYTES} hexadecimal digits were "
            "expected.")
    return key


# -- which settings speak for a store ----------------------------------------------------------
_CHOSEN: dict[str, AuditSpec] = {}  # [audit] of stores a command named with --config
_ACTIVE: dict[str, Any] = {}  # the active settings, cached on the file's modification time


def use_settings(store: str | Path, spec: AuditSpec) -> None:
    """Make ``spec`` the ``[audit]`` of ``store`` in this process (a command's ``--config``)."""
    _CHOSEN[str(Path(store).expanduser().resolve())] = spec


def settings_for(store: str | Path) -> AuditSpec | None:
    """Return the ``[audit]`` that speaks for ``store``, or None.

    The one a command chose (:func:`use_settings`), else the active settings'
    (``$RISKMAP_CONFIG``, as the dashboard reads them) when their store is this one.
    """
    store = Path(store).expanduser().resolve()
    if str(store) in _CHOSEN:
        return _CHOSEN[str(store)]
    settings = _active_settings()
    if settings is None or Path(settings.store_path).expanduser().resolve() != store:
        return None
    return settings.audit


def _active_settings() -> Any:
    """Return the active settings (``$RISKMAP_CONFIG`` or the demo's), None if unreadable."""
    path = paths.default_settings()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    if _ACTIVE.get("key") != (str(path), stamp):
        try:
            settings = load_settings(path, check_files=False)
        except (RiskmapError, OSError):
            settings = None  # the dashboard and commands report broken settings themselves
        _ACTIVE.update(key=(str(path), stamp), value=settings)
    return _ACTIVE["value"]


def _store_of(seal: Path) -> Path:
    return seal.with_name(seal.name.removesuffix(".sello"))


# -- the seal ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Anchoring:
    """When the seal last tried to anchor, when it last did (and which row), its last error."""

    attempted: str = ""
    anchored: str = ""
    row: int = 0
    error_es: str = ""
    error_en: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Anchoring:
        """Read the seal's ``anclaje`` entry (missing fields: never)."""
        return cls(str(raw.get("intento", "")), str(raw.get("anclado", "")),
                   int(raw.get("fila", 0)), str(raw.get("error_es", "")),
                   str(raw.get("error_en", "")))

    def as_dict(self) -> dict[str, Any]:
        """Return what the seal keeps."""
        return {"intento": self.attempted, "anclado": self.anchored, "fila": self.row,
                "error_es": self.error_es, "error_en": self.error_en}


@dataclass
class Seal:
    """The chain's last row and where its key is, kept in ``<store>.sello`` (0600).

    ``source`` None: the key is in the seal itself (stores made before ``[audit]``).
    """

    path: Path
    key: bytes
    last_id: int = 0
    last_hash: str = GENESIS
    source: KeySource | None = None
    anchoring: Anchoring = field(default_factory=Anchoring)

    @classmethod
    def create(cls, path: str | Path) -> Seal:
        """Write a new seal (refuses to replace one), its key where ``[audit]`` says.

        With ``key_file`` the file is read, or made with a fresh random key; with
        ``key_env`` the variable must hold one; with neither (no settings for this store)
        a fresh key is kept in the seal, as before ``[audit]``.
        """
        path = Path(path)
        if path.exists():
            raise DataError(
                es=f"Ya existe el sello de auditoría {path}; no se reemplaza.",
                en=f"The audit seal {path} already exists; it is not replaced.",
            )
        source = KeySource.from_spec(settings_for(_store_of(path)))
        key = source.provide(_store_of(path)) if source else secrets.token_bytes(KEY_BYTES)
        seal = cls(path, key, source=source)
        seal._write()
        return seal

    @classmethod
    def load(cls, path: str | Path) -> Seal:
        """Read a seal and its key; a missing or damaged one is a DataError that says what to do."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            last_id, last_hash = int(raw["ultima_fila"]), str(raw["ultimo_hash"])
            anchoring = Anchoring.from_dict(raw.get("anclaje") or {})
            if "clave" in raw:
                return cls(path, bytes.fromhex(raw["clave"]), last_id, last_hash,
                           anchoring=anchoring)
            source, fingerprint = KeySource.from_dict(raw["clave_en"]), str(raw["huella_clave"])
        except FileNotFoundError as err:
            raise DataError(
                es=f"Falta el sello de la auditoría ({path}). Sin él no se puede comprobar la "
                "auditoría, y riskmap no sigue escribiendo en una que no puede comprobar: "
                "restáurelo desde la copia de seguridad (riskmap store restore).",
                en=f"The audit seal ({path}) is missing. Without it the audit trail cannot "
                "be checked, and riskmap does not keep writing to one it cannot check: "
                "restore it from the backup (riskmap store restore).",
            ) from err
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise DataError(
                es=f"El sello de la auditoría {path} está dañado ({err}). Restáurelo desde la "
                "copia de seguridad.",
                en=f"The audit seal {path} is damaged ({err}). Restore it from the backup.",
            ) from err
        key = source.read(_store_of(path))
        if key_fingerprint(key) != fingerprint:
            es, en = source.label()
            raise DataError(
                es=f"La clave de {es} no es la de este almacén (huella "
                f"{key_fingerprint(key)[:16]}…; el sello {path.name} espera {fingerprint[:16]}…). "
                "Ponga allí la clave de este almacén; con otra, la auditoría no se puede "
                "comprobar y riskmap no escribe en ella.",
                en=f"The key in {en} is not this store's (fingerprint "
                f"{key_fingerprint(key)[:16]}…; seal {path.name} expects {fingerprint[:16]}…). "
                "Put this store's key there; with another one the audit trail cannot be "
                "checked and riskmap does not write to it.")
        return cls(path, key, last_id, last_hash, source, anchoring)

    @classmethod
    def from_backup(cls, path: str | Path, key_field: str, last_id: int,
                    last_hash: str) -> Seal:
        """Return the seal a backup carries (``respaldo_sello``), its key found where it lives.

        ``key_field`` is what :func:`backup_key_field` wrote: where the key is and its
        fingerprint, or (backups of a store whose key is in its seal, and backups made
        before ``[audit]``) the key itself.
        """
        text = str(key_field).strip()
        try:
            if not text.startswith("{"):
                return cls(Path(path), bytes.fromhex(text), last_id, last_hash)
            raw = json.loads(text)
            wanted = str(raw["huella_clave"])
            named = KeySource.from_dict(raw["clave_en"])
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise DataError(
                es=f"{Path(path).name}: el sello que lleva el respaldo está dañado ({err}).",
                en=f"{Path(path).name}: the seal the backup carries is damaged ({err}).",
            ) from err
        settings = _active_settings()
        active = KeySource.from_spec(settings.audit if settings is not None else None)
        for source in dict.fromkeys(s for s in (named, active) if s is not None):
            with contextlib.suppress(RiskmapError):
                key = source.read()
                if key_fingerprint(key) == wanted:
                    return cls(Path(path), key, last_id, last_hash, source)
        es, en = named.label()
        raise DataError(
            es=f"{Path(path).name}: su auditoría se selló con una clave que se guarda fuera "
            f"del respaldo ({es}, huella {wanted[:16]}…) y no está disponible aquí. Póngala "
            "donde dice [audit] (key_file o key_env) y vuelva a intentarlo.",
            en=f"{Path(path).name}: its audit trail was sealed with a key kept outside the "
            f"backup ({en}, fingerprint {wanted[:16]}…) that is not available here. Put it "
            "where [audit] says (key_file or key_env) and try again.")

    def advance(self, last_id: int, last_hash: str, *, locked: bool = False) -> None:
        """Record that rows up to ``last_id`` exist; never moves back (concurrent writers).

        Then anchor the new head if ``[audit] anchor_every_minutes`` have passed since the
        last try (:func:`settings_for`; a witness that fails is retried after the same
        interval, never holding up the write for more than a few seconds).

        ``locked``: the caller already holds :meth:`lock` (a writer holds it for its whole
        transaction).
        """
        with contextlib.nullcontext() if locked else Seal.lock(self.path):
            current = Seal.load(self.path)
            if last_id <= current.last_id:
                self.last_id, self.last_hash = current.last_id, current.last_hash
                return
            self.last_id, self.last_hash = last_id, last_hash
            self.anchoring = current.anchoring
            self._write()
            self._anchor_if_due()

    def as_dict(self) -> dict[str, Any]:
        """Return what the seal file holds: where the key is and its fingerprint, never the key.

        A seal without a :class:`KeySource` keeps the key itself (version 1).
        """
        where: dict[str, Any] = (
            {"clave_en": self.source.as_dict(), "huella_clave": key_fingerprint(self.key)}
            if self.source is not None else {"clave": self.key.hex()})
        return {"version": 2 if self.source is not None else 1, **where,
                "ultima_fila": self.last_id, "ultimo_hash": self.last_hash,
                "actualizado": _now(), "anclaje": self.anchoring.as_dict()}

    def _write(self) -> None:
        if self.source is None:  # never bring back beside the store a key that lives elsewhere
            self.source = _known_source(self)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.as_dict(), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def _anchor_if_due(self) -> None:
        """Anchor the head in ``[audit] witness`` if the last try is older than the interval."""
        spec = settings_for(_store_of(self.path))
        if spec is None or not spec.witness or spec.anchor_every_minutes <= 0:
            return
        now = dt.datetime.now(dt.UTC)
        last = _when(self.anchoring.attempted)
        if last is not None and now - dt.timedelta(minutes=spec.anchor_every_minutes) < last <= now:
            return
        stamp = now.isoformat(timespec="seconds")
        try:
            witness = Witness.parse(spec.witness, _store_of(self.path))
            line = _line(anchor_entry(self, _store_of(self.path), stamp))
            _with_timeout(lambda: witness.send(line), ANCHOR_TIMEOUT_S, witness)
            self.anchoring = Anchoring(attempted=stamp, anchored=stamp, row=self.last_id)
        except Exception as err:  # noqa: BLE001 - an anchor must never fail the write itself
            es = err.es if isinstance(err, RiskmapError) else f"{type(err).__name__}: {err}"
            en = err.en if isinstance(err, RiskmapError) else f"{type(err).__name__}: {err}"
            self.anchoring = replace(self.anchoring, attempted=stamp, error_es=f"{stamp}: {es}",
                                     error_en=f"{stamp}: {en}")
            _log.warning("riskmap: audit anchor not written: %s", en)
        self._write()

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


def _known_source(seal: Seal) -> KeySource | None:
    """Where ``seal.key`` already lives outside the store: the seal on disk's, or ``[audit]``'s."""
    candidates = []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        raw = json.loads(seal.path.read_text(encoding="utf-8"))
        if "clave_en" in raw:
            candidates.append(KeySource.from_dict(raw["clave_en"]))
    candidates.append(KeySource.from_spec(settings_for(_store_of(seal.path))))
    for source in candidates:
        if source is None:
            continue
        with contextlib.suppress(RiskmapError):
            if hmac.compare_digest(source.read(_store_of(seal.path)), seal.key):
                return source
    return None


def backup_key_field(seal: Seal) -> str:
    """Return what a backup keeps of its seal's key (``respaldo_sello.clave``).

    Where the key lives and its fingerprint, never the key, when it lives outside the
    store; the key itself only for a store that still keeps it in its seal (it is beside the
    store anyway: ``riskmap audit move-key``). :meth:`Seal.from_backup` reads both.
    """
    if seal.source is None:
        return seal.key.hex()
    return json.dumps({"clave_en": seal.source.as_dict(),
                       "huella_clave": key_fingerprint(seal.key)}, sort_keys=True)


def backup_carries_key(backup: str | Path) -> bool:
    """Whether a backup made by ``riskmap store backup`` holds the audit key itself."""
    with contextlib.suppress(sqlite3.Error), \
            closing(sqlite3.connect(f"file:{Path(backup)}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT clave FROM respaldo_sello").fetchone()
        return row is not None and not str(row[0]).lstrip().startswith("{")
    return False


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
    values = (row_id, when or _now(), str(user), str(role), str(action),
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
    witnessed: int = 0  # anchors of a witness that this trail matches (check_witness)

    @property
    def ok(self) -> bool:
        """Whether the trail is intact (notes are not problems)."""
        return not self.problems

    def render(self, lang: str = "es") -> str:
        """Return the report as plain text lines."""
        es = lang != "en"
        lines = []
        if self.ok:
            also_es = f", y coinciden con {self.witnessed} anclaje(s) del testigo" \
                if self.witnessed else ""
            also_en = f", and match {self.witnessed} anchor(s) of the witness" \
                if self.witnessed else ""
            lines.append(f"Auditoría íntegra: {self.rows} filas, encadenadas y selladas"
                         f"{also_es} (última huella {self.head[:16]}…)." if es else
                         f"Audit trail intact: {self.rows} rows, chained and sealed{also_en} "
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


# -- the witness ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Witness:
    """Where a store's chain head is anchored, outside the store's folder.

    ``kind``: ``"archivo"`` (an append-only file, best on another mount: ``chattr +a``, or
    a folder another user owns and the service may only append to), ``"http"`` (a POST of
    one JSON line to an ``http(s)://`` endpoint; a GET of the same URL returns the lines)
    or ``"syslog"`` (``syslog://host[:port]``, RFC 5424 over UDP; read back from the file
    the syslog server writes).
    """

    kind: str
    target: str

    @classmethod
    def parse(cls, target: str | Path, store: str | Path) -> Witness:
        """Check ``target`` for the store ``store``; a witness inside its folder is refused."""
        text = str(target).strip()
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme in ("http", "https"):
            return cls("http", text)
        if scheme == "syslog":
            if not urllib.parse.urlsplit(text).hostname:
                raise DataError(es=f"Testigo {text}: falta el servidor (syslog://host:514).",
                                en=f"Witness {text}: the server is missing "
                                "(syslog://host:514).")
            return cls("syslog", text)
        if scheme:
            raise DataError(
                es=f"Testigo {text}: use un archivo o una URL http://, https:// o syslog://.",
                en=f"Witness {text}: use a file or an http://, https:// or syslog:// URL.")
        path = Path(text).expanduser().resolve()
        refusal = place_refusal(store, path, "witness")
        if refusal is not None:
            raise DataError(es=f"Testigo: {refusal[0]}", en=f"Witness: {refusal[1]}")
        return cls("archivo", str(path))

    def label(self) -> str:
        """Return the file or URL, for messages."""
        return self.target

    def shares_disk_with(self, store: str | Path) -> bool:
        """Whether a file witness is on the store's own filesystem (one root can rewrite both)."""
        if self.kind != "archivo":
            return False
        with contextlib.suppress(OSError):
            folder = Path(self.target).parent
            return folder.stat().st_dev == Path(store).resolve().parent.stat().st_dev
        return False

    def send(self, line: str) -> None:
        """Append one anchor line; a witness that refuses or does not answer is a DataError."""
        if self.kind == "http":
            self._http(line.encode("utf-8"))
        elif self.kind == "syslog":
            self._syslog(line)
        else:
            self._append(line)

    def read(self) -> list[str]:
        """Return the witness's lines (a file, or the endpoint's answer to a GET)."""
        if self.kind == "syslog":
            raise DataError(
                es=f"Un testigo syslog ({self.target}) se lee del archivo que escribe el "
                "servidor syslog: páselo con --witness ARCHIVO.",
                en=f"A syslog witness ({self.target}) is read from the file the syslog server "
                "writes: pass it with --witness FILE.")
        if self.kind == "http":
            return self._http(None).splitlines()
        try:
            return Path(self.target).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise DataError(es=f"No se pudo leer el testigo {self.target} ({err}).",
                            en=f"Could not read the witness {self.target} ({err}).") from err

    def _append(self, line: str) -> None:
        path = Path(self.target)
        if not path.parent.is_dir():  # an unmounted mount point must not get a local file
            raise DataError(
                es=f"No existe la carpeta del testigo {path.parent} (¿está montado el disco "
                "del testigo?). No se creó nada.",
                en=f"The witness folder {path.parent} does not exist (is the witness's mount "
                "there?). Nothing was created.")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))  # one write: one whole line
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as err:
            raise DataError(es=f"No se pudo añadir al testigo {path} ({err}).",
                            en=f"Could not append to the witness {path} ({err}).") from err

    def _http(self, body: bytes | None) -> str:
        request = urllib.request.Request(
            self.target, data=body, method="POST" if body is not None else "GET",
            headers={"Content-Type": "application/json", "User-Agent": "riskmap-auditoria"})
        try:
            with urllib.request.urlopen(request, timeout=ANCHOR_TIMEOUT_S) as answer:
                return answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            raise DataError(es=f"El testigo {self.target} respondió {err.code} {err.reason}.",
                            en=f"The witness {self.target} answered {err.code} "
                            f"{err.reason}.") from err
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise DataError(es=f"No se pudo llegar al testigo {self.target} ({reason}).",
                            en=f"Could not reach the witness {self.target} ({reason}).") from err

    def _syslog(self, line: str) -> None:
        url = urllib.parse.urlsplit(self.target)
        message = (f"<{SYSLOG_PRIORITY}>1 {_now()} {socket.gethostname()} riskmap - {ANCHOR} - "
                   f"{line}").encode()
        try:
            with socket.socket(socket.AF_INET6 if ":" in (url.hostname or "") else
                               socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(message, (url.hostname, url.port or SYSLOG_PORT))
        except OSError as err:
            raise DataError(es=f"No se pudo enviar al testigo {self.target} ({err}).",
                            en=f"Could not send to the witness {self.target} ({err}).") from err


def anchor_entry(seal: Seal, store: str | Path, when: str | None = None) -> dict[str, Any]:
    """Return the witness line for the sealed head: row id, hash, time, signed with the key.

    The signature (``firma``) is an HMAC with a key derived from the audit key: nobody
    without the key can write an anchor :func:`check_witness` accepts, and whoever has it
    (riskmap, or root on the server) can only *add* anchors, never take one back.
    """
    entry = {"riskmap": ANCHOR, "version": ANCHOR_VERSION,
             "almacen": f"{socket.gethostname()}:{Path(store).resolve()}",
             "fila": seal.last_id, "hash": seal.last_hash, "fecha_hora": when or _now(),
             "huella_clave": key_fingerprint(seal.key)}
    return {**entry, "firma": _signature(seal.key, entry)}


def anchor(db_path: str | Path, to: str | Path) -> dict[str, Any]:
    """Append the store's sealed head to the witness ``to`` now; return the line written.

    Holds the seal's lock (no audit row lands meanwhile); call it outside a store
    transaction. A witness that refuses is a DataError, and the seal records the attempt.
    """
    store = Path(db_path)
    witness = Witness.parse(to, store)
    with Seal.lock(seal_path(store)):
        seal = Seal.load(seal_path(store))
        entry = anchor_entry(seal, store)
        try:
            witness.send(_line(entry))
        except RiskmapError as err:
            seal.anchoring = replace(seal.anchoring, attempted=entry["fecha_hora"],
                                     error_es=f"{entry['fecha_hora']}: {err.es}",
                                     error_en=f"{entry['fecha_hora']}: {err.en}")
            seal._write()
            raise
        seal.anchoring = Anchoring(attempted=entry["fecha_hora"], anchored=entry["fecha_hora"],
                                   row=seal.last_id)
        seal._write()
    return entry


def check_witness(report: AuditReport, db_path: str | Path, lines: Iterable[str]) -> AuditReport:
    """Compare the store's trail with the anchors of its witness; add what fails to ``report``.

    Every anchor must be signed with this store's key and name a row the store still has
    with the same hash. An anchored row that is gone is a missing range (truncated, or the
    store put back to an older copy); one with another hash was rewritten after it was
    anchored (edited, deleted and renumbered, re-chained with the key), and the first row
    changed lies between the last anchor that still matches and that one. Anchors of a trail
    replaced by ``riskmap store restore`` are accepted when the replaced trail it kept beside
    the store (named and hashed in the ``restauracion`` row) holds them, chained with the key.
    """
    store = Path(db_path)
    seal = Seal.load(seal_path(store))
    entries, ignored = _anchors(lines)
    fingerprint, good = key_fingerprint(seal.key), []
    for number, entry in entries:
        if entry.get("huella_clave") == fingerprint and hmac.compare_digest(
                str(entry.get("firma", "")), _signature(seal.key, entry)):
            good.append((number, entry))
        else:
            report.problems.append(AuditProblem(
                0, f"testigo, línea {number}: un anclaje que no está firmado con la clave de "
                "este almacén (falsificado, de otro almacén, o la clave se cambió).",
                f"witness, line {number}: an anchor not signed with this store's key "
                "(forged, another store's, or the key was changed)."))
    if ignored:
        report.notes.append((f"{ignored} línea(s) del testigo no son anclajes de riskmap "
                             "(se ignoran).",
                             f"{ignored} line(s) of the witness are not riskmap anchors "
                             "(ignored)."))
    if not good:
        report.problems.append(AuditProblem(
            0, "el testigo no tiene ningún anclaje firmado con la clave de este almacén: no "
            "hay con qué comparar la auditoría.",
            "the witness holds no anchor signed with this store's key: there is nothing to "
            "compare the trail with."))
        return report
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
        last_id = last_row(conn)[0]
        kept = _kept_trails(conn, store.parent, seal.key, report)

        def stored(row: int) -> str | None:
            found = conn.execute("SELECT hash FROM auditoria WHERE id = ?", (row,)).fetchone()
            return None if found is None else str(found[0])

        _compare(report, good, stored, kept, last_id)
    return report


def key_advice(db_path: str | Path, spec: AuditSpec | None) -> list[tuple[str, str]]:
    """``(es, en)`` lines on where the key is and on anchoring, for ``riskmap audit``."""
    seal = Seal.load(seal_path(db_path))
    wanted = KeySource.from_spec(spec)
    advice = []
    if seal.source is None and wanted is None:
        advice.append((
            f"Aviso: la clave de la auditoría está en el sello, junto al almacén ({seal.path}): "
            "quien lea esa carpeta, o un respaldo, puede volver a firmar la auditoría entera. "
            "Guárdela fuera: [audit] key_file o key_env en la configuración y luego 'riskmap "
            "audit move-key' (README, «Una auditoría anclada fuera del servidor»).",
            f"Warning: the audit key is in the seal, beside the store ({seal.path}): whoever "
            "reads that folder, or a backup, can re-sign the whole audit trail. Keep it "
            "outside: [audit] key_file or key_env in the settings, then 'riskmap audit "
            "move-key' (README, \"An audit trail anchored outside the server\")."))
    elif wanted is not None and wanted != seal.source:
        es, en = wanted.label()
        advice.append((
            f"Aviso: la configuración guarda la clave de la auditoría en {es}, pero este "
            f"almacén la toma de {seal.source.label()[0] if seal.source else 'su sello'}: "
            "ejecute 'riskmap audit move-key' para llevarla allí.",
            f"Warning: the settings keep the audit key in {en}, but this store takes it from "
            f"{seal.source.label()[1] if seal.source else 'its seal'}: run 'riskmap audit "
            "move-key' to move it there."))
    if spec is not None and spec.witness:
        if seal.anchoring.error_es:
            advice.append((f"Aviso: el último anclaje en {spec.witness} falló "
                           f"({seal.anchoring.error_es}).",
                           f"Warning: the last anchoring to {spec.witness} failed "
                           f"({seal.anchoring.error_en})."))
        elif seal.anchoring.anchored:
            advice.append((f"Último anclaje: fila {seal.anchoring.row}, "
                           f"{seal.anchoring.anchored} ({spec.witness}).",
                           f"Last anchor: row {seal.anchoring.row}, "
                           f"{seal.anchoring.anchored} ({spec.witness})."))
    return advice


def move_key(db_path: str | Path, spec: AuditSpec | None) -> tuple[KeySource, bool]:
    """Move the store's audit key to where ``[audit]`` says; return it and whether it moved.

    The key is written there (a new 0600 file) or checked to be there already (the
    environment variable), then the seal is rewritten to name that place instead of holding
    the key. Nothing is re-signed: every row keeps its hash.
    """
    target = KeySource.from_spec(spec)
    if target is None:
        raise DataError(
            es="La configuración no dice dónde guardar la clave de la auditoría: añada "
            "[audit] key_file = \"/etc/riskmap/clave_auditoria\" (un archivo fuera de la "
            "carpeta del almacén) o key_env = \"RISKMAP_AUDIT_KEY\".",
            en="The settings do not say where to keep the audit key: add [audit] key_file = "
            "\"/etc/riskmap/clave_auditoria\" (a file outside the store's folder) or "
            "key_env = \"RISKMAP_AUDIT_KEY\".")
    path = seal_path(db_path)
    with Seal.lock(path):
        seal = Seal.load(path)
        if seal.source == target:
            return target, False
        target.put(db_path, seal.key)
        seal.source = target
        seal._write()
    return target, True


# -- helpers ----------------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _when(text: str) -> dt.datetime | None:
    with contextlib.suppress(ValueError, TypeError):
        when = dt.datetime.fromisoformat(text)
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _signature(key: bytes, entry: dict[str, Any]) -> str:
    """HMAC of an anchor's fields (all but ``firma``) with a key derived from the audit key.

    Derived, so that an anchor's signature can never pass for a row's hash or the reverse.
    """
    body = json.dumps({k: v for k, v in entry.items() if k != "firma"}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    derived = hmac.new(key, b"riskmap:anclaje:v1", hashlib.sha256).digest()
    return hmac.new(derived, body.encode("utf-8"), hashlib.sha256).hexdigest()


def _with_timeout(func: Callable[[], None], seconds: float, witness: Witness) -> None:
    """Run ``func`` in a thread; give up waiting after ``seconds`` (a hung mount or server)."""
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            func()
        except BaseException as err:  # noqa: BLE001 - handed back to the caller below
            outcome["error"] = err

    thread = threading.Thread(target=run, name="riskmap-anclaje", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DataError(es=f"El testigo {witness.label()} no respondió en {seconds:g} s.",
                        en=f"The witness {witness.label()} did not answer in {seconds:g} s.")
    if "error" in outcome:
        raise outcome["error"]


def _anchors(lines: Iterable[str]) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """Return the anchors among a witness's lines (JSON, maybe after a syslog header)."""
    found, ignored = [], 0
    for number, line in enumerate(lines, start=1):
        start = line.find("{")
        entry = None
        if start >= 0:
            with contextlib.suppress(ValueError):
                entry = json.loads(line[start:])
        if not isinstance(entry, dict) or entry.get("riskmap") != ANCHOR:
            ignored += bool(line.strip())
            continue
        if not isinstance(entry.get("fila"), int) or not isinstance(entry.get("hash"), str):
            ignored += 1
            continue
        found.append((number, entry))
    return found, ignored


@dataclass
class _Kept:
    """A trail replaced by a restoration, as the restoration kept it beside the store."""

    name: str
    restored_at: str
    hashes: dict[int, str]
    used: int = 0


def _kept_trails(conn: sqlite3.Connection, folder: Path, key: bytes,
                 report: AuditReport) -> list[_Kept]:
    """Return the replaced trails the ``restauracion`` rows name, chained with ``key``.

    A restored trail must continue the one it replaced: its row before the restoration is
    that trail's row of the same id (a backup is a copy of the trail as it then was), so a
    restoration cannot swap rows the witness saw for others without being named.
    """
    def before(row_id: int) -> str:
        found = conn.execute("SELECT hash FROM auditoria WHERE id = ?", (row_id - 1,)).fetchone()
        return GENESIS if found is None else str(found[0])

    pending = [(int(i), str(d), str(t), before(int(i))) for i, d, t in conn.execute(
        "SELECT id, detalle, fecha_hora FROM auditoria WHERE accion = ? ORDER BY id",
        (RESTORATION,))]
    kept: list[_Kept] = []
    seen: set[str] = set()
    while pending:
        row_id, detail, when, previous = pending.pop(0)
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            info = json.loads(detail)
            name, sha = str(info.get("auditoria_anterior") or ""), \
                str(info.get("sha256_auditoria_anterior") or "")
            if not name or name in seen or "/" in name or "\\" in name:
                continue
            seen.add(name)
            rows = _read_kept(folder / name, sha, key, report)
            if rows is None:
                continue
            hashes = {int(r["id"]): str(r["hash"]) for r in rows}
            if row_id > 1 and hashes.get(row_id - 1) != previous:
                report.problems.append(AuditProblem(
                    row_id, f"fila {row_id}: la restauración del {when} no continúa la "
                    f"auditoría que reemplazó ({name}): su fila {row_id - 1} es otra. El "
                    "respaldo no era una copia de esa auditoría; sus anclajes no se dan por "
                    "buenos.",
                    f"row {row_id}: the restoration of {when} does not continue the trail it "
                    f"replaced ({name}): its row {row_id - 1} is another. The backup was not a "
                    "copy of that trail; its anchors are not accepted."))
                continue
            kept.append(_Kept(name, when, hashes))
            pending += [(int(r["id"]), str(r["detalle"]), str(r["fecha_hora"]),
                         hashes.get(int(r["id"]) - 1, GENESIS)) for r in rows
                        if r.get("accion") == RESTORATION]
    return kept


def _read_kept(path: Path, sha: str, key: bytes,
               report: AuditReport) -> list[dict[str, Any]] | None:
    """Return a kept trail's rows, if the file is there, unchanged and chained with ``key``."""
    try:
        data = path.read_bytes()
    except OSError:
        report.notes.append((
            f"Falta {path.name}, la auditoría que reemplazó una restauración: los anclajes de "
            "esa auditoría no se pueden comprobar (guárdela junto al almacén).",
            f"{path.name}, the audit trail a restoration replaced, is missing: that trail's "
            "anchors cannot be checked (keep it beside the store)."))
        return None
    problem = None
    if sha and hashlib.sha256(data).hexdigest() != sha:
        problem = "sha256"
    else:
        try:
            rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
            previous = GENESIS
            for number, row in enumerate(rows, start=1):
                values = tuple(row[c] for c in COLUMNS[:6])
                if int(row["id"]) != number or row["hash_anterior"] != previous or not \
                        hmac.compare_digest(row_hash(key, values, previous), str(row["hash"])):
                    problem = f"fila {number}"
                    break
                previous = str(row["hash"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            problem = "formato"
    if problem is None:
        return rows
    report.notes.append((
        f"{path.name}, la auditoría que reemplazó una restauración, no es la que se guardó "
        f"({problem}): no se usa para comprobar sus anclajes.",
        f"{path.name}, the audit trail a restoration replaced, is not the one that was kept "
        f"({problem}): it is not used to check its anchors."))
    return None


def _compare(report: AuditReport, anchors: list[tuple[int, dict[str, Any]]],
             stored: Callable[[int], str | None], kept: list[_Kept], last_id: int) -> None:
    """Sort the anchors: matching this trail, a kept one, rewritten, or beyond its end."""
    matched: list[tuple[int, dict[str, Any]]] = []
    rewritten: list[tuple[int, dict[str, Any]]] = []
    beyond: list[tuple[int, dict[str, Any]]] = []
    for number, entry in anchors:
        row, digest = int(entry["fila"]), str(entry["hash"])
        here = stored(row) if row > 0 else GENESIS
        if here is not None and hmac.compare_digest(here, digest):
            matched.append((number, entry))
        elif (trail := next((k for k in kept if k.hashes.get(row) == digest), None)):
            trail.used += 1
        elif here is None:
            beyond.append((number, entry))
        else:
            rewritten.append((number, entry))
    good_rows = sorted({int(e["fila"]) for _, e in matched})
    if rewritten:
        number, entry = min(rewritten, key=lambda item: int(item[1]["fila"]))
        bad = int(entry["fila"])
        first = max([r for r in good_rows if r < bad], default=0) + 1
        span = f"{bad}" if first == bad else f"{first}–{bad}"
        report.problems.append(AuditProblem(
            first,
            f"fila(s) {span}: reescrita(s) después de anclarse: la fila {bad} no es la que vio "
            f"el testigo el {entry['fecha_hora']} (línea {number}); la primera fila alterada "
            f"está entre la {first} y la {bad}."
            if first != bad else
            f"fila {bad}: reescrita después de anclarse: no es la que vio el testigo el "
            f"{entry['fecha_hora']} (línea {number}).",
            f"row(s) {span}: rewritten after being anchored: row {bad} is not the one the "
            f"witness saw on {entry['fecha_hora']} (line {number}); the first row changed lies "
            f"between rows {first} and {bad}."
            if first != bad else
            f"row {bad}: rewritten after being anchored: it is not the one the witness saw on "
            f"{entry['fecha_hora']} (line {number})."))
        if len(rewritten) > 1:
            report.problems.append(AuditProblem(
                bad, f"otros {len(rewritten) - 1} anclaje(s) posteriores tampoco coinciden.",
                f"{len(rewritten) - 1} later anchor(s) do not match either."))
    if beyond:
        number, entry = max(beyond, key=lambda item: int(item[1]["fila"]))
        far = int(entry["fila"])
        span = f"{last_id + 1}" if far == last_id + 1 else f"{last_id + 1}–{far}"
        report.problems.append(AuditProblem(
            last_id + 1,
            f"fila(s) {span}: faltan: el testigo vio la fila {far} el {entry['fecha_hora']} "
            f"(línea {number}) y la auditoría termina en la {last_id} (se cortó el final o se "
            "volvió a una copia anterior).",
            f"row(s) {span}: missing: the witness saw row {far} on {entry['fecha_hora']} "
            f"(line {number}) and the trail ends at row {last_id} (its end was cut, or an "
            "older copy was put back)."))
    for trail in kept:
        if trail.used:
            report.notes.append((
                f"{trail.used} anclaje(s) son de la auditoría que reemplazó la restauración del "
                f"{trail.restored_at}, y coinciden con la copia que guardó ({trail.name}).",
                f"{trail.used} anchor(s) are of the trail replaced by the restoration of "
                f"{trail.restored_at}, and match the copy it kept ({trail.name})."))
    if matched:
        report.witnessed = len(matched)
        _, latest = max(matched, key=lambda item: int(item[1]["fila"]))
        top = int(latest["fila"])
        report.notes.append((
            f"Testigo: {len(matched)} anclaje(s) coinciden; el último llega a la fila {top} "
            f"({latest['fecha_hora']}).",
            f"Witness: {len(matched)} anchor(s) match; the latest reaches row {top} "
            f"({latest['fecha_hora']})."))
        if last_id > top and not report.problems:
            span = f"{top + 1}" if last_id == top + 1 else f"{top + 1}–{last_id}"
            report.notes.append((
                f"Fila(s) {span}: posteriores al último anclaje; el testigo aún no las vio (se "
                "podrían reescribir sin que se note hasta el próximo anclaje).",
                f"Row(s) {span}: after the latest anchor; the witness has not seen them yet "
                "(they could be rewritten unnoticed until the next anchor)."))
