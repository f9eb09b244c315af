"""Files that hold counts or records: owner-only from their first byte.

Scores, the model card, the changes of a rescoring, plans and every export with exact counts
are written through :func:`write_private` (text or bytes) or :func:`private_path` (any writer
that wants a path: GDAL, pandas). The content goes to a temporary folder made 0700 beside the
target, the finished file is set to 0600 there and renamed into place, so there is never a
moment where the final name holds a file others can read, whatever the process's umask: the
modes are set explicitly, not left to it. Folders these functions create are 0700.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> out = write_private(d / "informes" / "plan.csv", "ubigeo,riesgo")
>>> oct(out.stat().st_mode & 0o777), oct(out.parent.stat().st_mode & 0o777)
('0o600', '0o700')
>>> with private_path(d / "informes" / "riesgo.csv") as tmp:
...     _ = tmp.write_text("ubigeo")  # any writer: its own mode does not matter
>>> oct((d / "informes" / "riesgo.csv").stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "make_private", "private_dir", "private_path",
           "write_private"]

FILE_MODE = 0o600
DIR_MODE = 0o700


def write_private(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` owner-only (0600), atomically (temp file, then rename).

    Parameters
    ----------
    path : path
        The file to write; missing folders above it are created 0700.
    data : str or bytes
        The content; text is encoded with ``encoding`` and written as is (no newline
        translation).

    Returns
    -------
    Path
    """
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    with private_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
    return Path(path)


@contextlib.contextmanager
def private_path(path: str | Path) -> Iterator[Path]:
    """Give a path to write ``path``'s content to; on success it becomes ``path``, 0600.

    The path given has ``path``'s name (a driver that goes by the extension sees the right
    one) inside a new 0700 folder beside ``path``, so nobody else can open it while it is
    written, whatever mode the writer creates it with (GDAL and pandas follow the umask).
    After the ``with`` block the file is set to 0600 and renamed over ``path`` (same
    filesystem: atomic); an error inside the block leaves ``path`` as it was. The
    temporary folder and anything else the writer left in it (a journal) are removed.
    """
    path = Path(path)
    private_dir(path.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(stage, DIR_MODE)  # mkdtemp's 0700 could only be narrowed by the umask
        tmp = stage / path.name
        yield tmp
        if not tmp.is_file():
            raise FileNotFoundError(f"nothing was written to {tmp} for {path}")
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def private_dir(folder: str | Path, tighten: bool = False) -> Path:
    """Create ``folder`` (and every missing folder above it) with mode 0700.

    A folder that already exists is left alone unless ``tighten`` (riskmap's own data and
    working folders): then it is set to 0700 too, where its owner may change it.

    Returns
    -------
    Path
    """
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for level in reversed(missing):
        try:
            os.mkdir(level, DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs to set
            continue
        os.chmod(level, DIR_MODE)  # the umask may only have narrowed it; set it exactly
    if tighten and folder not in missing:
        make_private(folder)
    return folder


def make_private(path: str | Path) -> None:
    """Set an existing file to 0600 or folder to 0700 (one written before, by older code).

    Does nothing for a missing path, or one whose mode its owner cannot change here.
    """
    path = Path(path)
    with contextlib.suppress(OSError):
        mode = DIR_MODE if path.is_dir() else FILE_MODE
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
