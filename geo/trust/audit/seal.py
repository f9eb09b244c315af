"""The seal beside the store (``<store>.sello``): the last row, where the key lives, anchoring.

A seal advances after every write and anchors its head in the witness when due; a
backup carries where its key is, never the key; :func:`move_key` takes a key out of a
seal that still holds it, and :func:`key_advice` says when that is due.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hmac
import json
import logging
import os
import secrets
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from geo.config.audit import AuditSpec
from geo.errors import DataError, RiskmapError
from geo.messages import Message, Written
from geo.trust.audit.keys import KEY_BYTES, KeySource, key_fingerprint
from geo.trust.audit.rows import GENESIS, _now, _when
from geo.trust.audit.store_settings import _active_settings, _store_of, settings_for
from geo.trust.audit.witness import (
    ANCHOR,
    ANCHOR_TIMEOUT_S,
    ANCHOR_VERSION,
    Witness,
    _line,
    _signature,
    _with_timeout,
)

__all__ = [
    "anchor_entry",
    "Anchoring",
    "backup_carries_key",
    "backup_key_field",
    "key_advice",
    "move_key",
    "Seal",
    "seal_path",
]

_log = logging.getLogger("riskmap.audit")


def seal_path(db_path: str | Path) -> Path:
    """Return where the seal of the store ``db_path`` lives (``<store>.sello``)."""
    return Path(str(db_path) + ".sello")


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
            raise DataError("confianza.existe_sello_auditoria_no", path=path)
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
            raise DataError("confianza.falta_sello_auditoria_sin", path=path) from err
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise DataError("confianza.sello_auditoria_danado_restaurelo", path=path,
                            err=err) from err
        key = source.read(_store_of(path))
        if key_fingerprint(key) != fingerprint:
            raise DataError("confianza.clave_no_es_de_almacen", source=source.label(),
                            found=key_fingerprint(key)[:16], name=path.name,
                            expected=fingerprint[:16])
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
            raise DataError("confianza.sello_lleva_respaldo_danado", name=Path(path).name,
                            err=err) from err
        settings = _active_settings()
        active = KeySource.from_spec(settings.audit if settings is not None else None)
        for source in dict.fromkeys(s for s in (named, active) if s is not None):
            with contextlib.suppress(RiskmapError):
                key = source.read()
                if key_fingerprint(key) == wanted:
                    return cls(Path(path), key, last_id, last_hash, source)
        raise DataError("confianza.sello_clave_fuera_no_disponible", name=Path(path).name,
                        source=named.label(), wanted=wanted[:16])

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


def key_advice(db_path: str | Path, spec: AuditSpec | None) -> list[Message]:
    """Lines on where the key is and on anchoring, for ``riskmap audit``."""
    seal = Seal.load(seal_path(db_path))
    wanted = KeySource.from_spec(spec)
    advice = []
    if seal.source is None and wanted is None:
        advice.append(Message.of("confianza.aviso_clave_auditoria_sello", path=seal.path))
    elif wanted is not None and wanted != seal.source:
        where = wanted.label()
        held = seal.source.label() if seal.source else Message.of("confianza.su_sello")
        advice.append(Message.of("confianza.aviso_configuracion_guarda_clave", where=where,
                                 held=held))
    if spec is not None and spec.witness:
        if seal.anchoring.error_es:
            failure = Written(seal.anchoring.error_es, seal.anchoring.error_en)
            advice.append(Message.of("confianza.aviso_ultimo_anclaje_fallo", witness=spec.witness,
                                     failure=failure))
        elif seal.anchoring.anchored:
            advice.append(Message.of("confianza.ultimo_anclaje_fila", row=seal.anchoring.row,
                                     anchored=seal.anchoring.anchored, witness=spec.witness))
    return advice


def move_key(db_path: str | Path, spec: AuditSpec | None) -> tuple[KeySource, bool]:
    """Move the store's audit key to where ``[audit]`` says; return it and whether it moved.

    The key is written there (a new 0600 file) or checked to be there already (the
    environment variable), then the seal is rewritten to name that place instead of holding
    the key. Nothing is re-signed: every row keeps its hash.
    """
    target = KeySource.from_spec(spec)
    if target is None:
        raise DataError("confianza.configuracion_no_dice_guardar")
    path = seal_path(db_path)
    with Seal.lock(path):
        seal = Seal.load(path)
        if seal.source == target:
            return target, False
        target.put(db_path, seal.key)
        seal.source = target
        seal._write()
    return target, True
