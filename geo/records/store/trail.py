"""Who, when and which file, for the audit trail; the seal's lock and owner-only writes.

Small helpers every write of the store shares: the operator's ``login@host``, UTC time
stamps, a file's sha256, the re-entrant lock on the audit seal that a writer holds, and the
text of an exported trail written owner-only.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from geo.errors import DataError
from geo.private import private_dir, write_private
from geo.records.sheets import neutralise_frame
from geo.trust import audit as A

__all__ = ["operator"]


_HELD_LOCK = threading.local()  # the seal locks this thread holds (see _seal_held)


@contextmanager
def _seal_held(path: Path) -> Iterator[bool]:
    """Hold the seal's lock (re-entrant within a thread); yield whether this call took it."""
    held = getattr(_HELD_LOCK, "paths", None)
    if held is None:
        held = _HELD_LOCK.paths = set()
    key = str(path)
    if key in held:
        yield False
        return
    private_dir(path.parent)
    with A.Seal.lock(path):
        held.add(key)
        try:
            yield True
        finally:
            held.discard(key)


def operator() -> str:
    """Return the identity of whoever runs riskmap on this machine: ``login@host``.

    The command line is used by people signed in to the server itself, so its audit rows
    name that login, never a name typed on the command line.
    """
    try:
        login = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        login = f"uid{os.getuid()}"
    return f"{login}@{socket.gethostname()}"


def _sha256(path: Path) -> str:
    if not path.is_file():
        raise DataError("comun.no_existe_archivo_revise", path=path)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _audit_text(frame: pd.DataFrame, suffix: str) -> str:
    if suffix == ".jsonl":
        return "".join(json.dumps(rec, ensure_ascii=False) + "\n"
                       for rec in frame.to_dict("records"))

    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` created owner-only (0600), atomically (geo.private)."""
    write_private(path, text)

