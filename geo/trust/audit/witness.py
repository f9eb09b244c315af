"""The witness outside the store: an append-only file, an HTTP endpoint or a syslog server.

What an anchor line holds and how it is signed, sent (within a time limit) and read back.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import json
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.config.audit import place_refusal
from geo.errors import DataError
from geo.trust.audit.rows import _now

__all__ = [
    "ANCHOR",
    "ANCHOR_TIMEOUT_S",
    "ANCHOR_VERSION",
    "SYSLOG_PORT",
    "SYSLOG_PRIORITY",
    "Witness",
]

ANCHOR = "anclaje"  # the "riskmap" field of a witness line
ANCHOR_VERSION = 1
ANCHOR_TIMEOUT_S = 5.0  # a witness that does not answer in this time is skipped until next
SYSLOG_PORT = 514
SYSLOG_PRIORITY = 13 * 8 + 6  # facility 13 (log audit), severity 6 (informational)


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
                raise DataError("confianza.testigo_falta_servidor_syslog", text=text)
            return cls("syslog", text)
        if scheme:
            raise DataError("confianza.testigo_use_archivo_url", text=text)
        path = Path(text).expanduser().resolve()
        refusal = place_refusal(store, path, "witness")
        if refusal is not None:
            raise DataError("confianza.testigo_lugar_rechazado", refusal=refusal)
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
            raise DataError("confianza.testigo_syslog_lee_archivo", target=self.target)
        if self.kind == "http":
            return self._http(None).splitlines()
        try:
            return Path(self.target).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise DataError("confianza.no_pudo_leer_testigo", target=self.target, err=err) from err

    def _append(self, line: str) -> None:
        path = Path(self.target)
        if not path.parent.is_dir():  # an unmounted mount point must not get a local file
            raise DataError("confianza.no_existe_carpeta_testigo", parent=path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))  # one write: one whole line
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as err:
            raise DataError("confianza.no_pudo_anadir_testigo", path=path, err=err) from err

    def _http(self, body: bytes | None) -> str:
        request = urllib.request.Request(
            self.target, data=body, method="POST" if body is not None else "GET",
            headers={"Content-Type": "application/json", "User-Agent": "riskmap-auditoria"})
        try:
            with urllib.request.urlopen(request, timeout=ANCHOR_TIMEOUT_S) as answer:
                return answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            raise DataError("confianza.testigo_respondio", target=self.target, code=err.code,
                            reason=err.reason) from err
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise DataError("confianza.no_pudo_llegar_testigo", target=self.target,
                            reason=reason) from err

    def _syslog(self, line: str) -> None:
        url = urllib.parse.urlsplit(self.target)
        message = (f"<{SYSLOG_PRIORITY}>1 {_now()} {socket.gethostname()} riskmap - {ANCHOR} - "
                   f"{line}").encode()
        try:
            with socket.socket(socket.AF_INET6 if ":" in (url.hostname or "") else
                               socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(message, (url.hostname, url.port or SYSLOG_PORT))
        except OSError as err:
            raise DataError("confianza.no_pudo_enviar_testigo", target=self.target,
                            err=err) from err


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
    """Run ``func`` in a thread; give up waiting after ``seconds`` (a hung mount or server).

    The thread runs in a copy of the caller's context, so its messages speak the caller's
    language (:mod:`geo.messages`: a new thread would start from the default).
    """
    outcome: dict[str, BaseException] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            func()
        except BaseException as err:  # noqa: BLE001 - handed back to the caller below
            outcome["error"] = err

    thread = threading.Thread(target=context.run, args=(run,), name="riskmap-anclaje",
                              daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DataError("confianza.testigo_no_respondio", witness=witness.label(), seconds=seconds)
    if "error" in outcome:
        raise outcome["error"]
