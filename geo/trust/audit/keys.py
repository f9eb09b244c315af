"""Where a store's audit key lives: a file (0600) or a variable, outside the store's folder.

:class:`KeySource` reads, makes and keeps the key; :func:`key_fingerprint` names it
without revealing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.config.audit import AuditSpec, place_refusal
from geo.errors import DataError

__all__ = [
    "KEY_BYTES",
    "key_fingerprint",
    "KeySource",
    "owner_only",
]

KEY_BYTES = 32


def owner_only(path: Path, mode: int = 0o600) -> None:
    """Make ``path`` readable and writable by its owner only (no-op where unsupported)."""
    with contextlib.suppress(OSError):
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            path.chmod(mode)


def key_fingerprint(key: bytes) -> str:
    """Return a public name for a key: which key it is, revealing nothing of it.

    >>> key_fingerprint(b"k" * 32)
    '6754e874c9184d4a118ccfa9e5884bfb'
    """
    return hmac.new(key, b"riskmap:huella-clave:v1", hashlib.sha256).hexdigest()[:32]


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
