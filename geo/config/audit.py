"""``[audit]``: where the audit key lives and where the trail is anchored, outside the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.config.reading import _reject_unknown, _resolve
from geo.errors import ConfigError
from geo.messages import Message

__all__ = ["AuditSpec", "WITNESS_SCHEMES", "place_refusal"]


@dataclass(frozen=True)
class AuditSpec:
    """Where the audit key lives and where the trail is anchored (``[audit]``).

    See :mod:`geo.trust.audit`.

    ``key_file`` and ``key_env`` are exclusive; with neither, a store keeps its key in its
    seal beside it (stores made before ``[audit]``; ``riskmap audit move-key`` moves it out).
    ``witness`` is a file (an absolute path) or an ``http(s)://`` or ``syslog://`` URL.
    """

    key_file: Path | None = None  # a key file outside the store's folder (0600)
    key_env: str | None = None  # or the environment variable that holds the key (hex)
    witness: str | None = None  # where the chain's head is anchored; none: no anchoring
    anchor_every_minutes: float = 60.0  # the dashboard anchors when the last one is older


_AUDIT_KEYS = {"key_file", "key_env", "witness", "anchor_every_minutes"}


WITNESS_SCHEMES = ("http", "https", "syslog")


def _parse_audit(raw: dict[str, Any], path: Path, folder: Path) -> AuditSpec:
    """``[audit]``: the key outside the store's folder, the witness and how often to anchor."""
    _reject_unknown(raw, _AUDIT_KEYS, path, "audit")
    if "key_file" in raw and "key_env" in raw:
        raise ConfigError("config.audit_key_file_key", path=path)
    for key in ("key_file", "key_env", "witness"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise ConfigError("config.audit_debe_texto_no", path=path, key_=key, raw=raw[key])
    env = raw.get("key_env")
    if env is not None and not (env.isascii() and env.isidentifier()):
        raise ConfigError("config.audit_key_env_debe", path=path, env=env)
    witness = raw.get("witness")
    if witness is not None and "://" in witness:
        scheme = witness.split("://", 1)[0].lower()
        if scheme not in WITNESS_SCHEMES:
            raise ConfigError("config.audit_witness_use_archivo", path=path, witness=witness)
    elif witness is not None:
        witness = str(_resolve(folder, witness))
    every = raw.get("anchor_every_minutes", AuditSpec.anchor_every_minutes)
    if not isinstance(every, int | float) or isinstance(every, bool) or every < 0:
        raise ConfigError("config.audit_anchor_every_minutes", path=path, every=every)
    return AuditSpec(key_file=_resolve(folder, raw.get("key_file")), key_env=env,
                     witness=witness, anchor_every_minutes=float(every))


def place_refusal(store: str | Path, place: str | Path, what: str) -> Message | None:
    """Why ``place`` (``"key_file"`` or ``"witness"``) may not be where it is, or None.

    Both must be outside the store's folder: whoever can read that folder (or a copy of it)
    would hold the key, and whoever can rewrite the store could rewrite a witness beside it.

    >>> place_refusal("/srv/datos/s.sqlite", "/mnt/testigo/riskmap.log", "witness") is None
    True
    >>> place_refusal("/srv/datos/s.sqlite", "/srv/datos/testigo.log", "witness").message("en")[:38]
    '/srv/datos/testigo.log is in the store'
    """
    folder = Path(store).expanduser().resolve().parent
    where = Path(place).expanduser().resolve()
    if where != folder and folder not in where.parents:
        return None
    if what == "key_file":
        return Message("config.clave_en_carpeta_almacen", {"where": where, "folder": folder})
    return Message("config.testigo_en_carpeta_almacen", {"where": where, "folder": folder})
