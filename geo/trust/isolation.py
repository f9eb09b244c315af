"""Run untrusted work (reading an uploaded file) in a worker process with a memory ceiling.

The dashboard serves every visitor from one process. Reading an upload there would let one
file slow or sink everyone: a CSV parser holds the interpreter lock, a decompression bomb
grows the process until the machine swaps. So :func:`run_limited` runs the reading in a
child process (``python -m geo.trust.isolation``) and watches it from outside: the moment its
resident memory passes the ceiling, or it runs past the time limit, it is killed and the
caller gets a :class:`geo.errors.DataError` that says so. The server's own memory never
grows and its interpreter lock is never held by the reading.

The request and the answer travel through owner-only files in a private folder (the answer
holds the file's records), deleted as soon as they are read.

Examples
--------
>>> run_limited(sum, [1, 2, 3], memory_mb=512, timeout_s=60)
6
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from geo.errors import DataError, RiskmapError
from geo.paths import REPO_ROOT

__all__ = ["run_limited", "rss_mb"]

T = TypeVar("T")
_ROOT = REPO_ROOT  # the worker imports riskmap from the project root


def rss_mb(pid: int | None = None) -> float:
    """Return a process's resident memory in MB (Linux ``/proc``; 0 where unavailable)."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def run_limited(func: Callable[..., T], *args: Any, memory_mb: float = 1024,
                timeout_s: float = 120, what: str = "", folder: Path | None = None) -> T:
    """Run ``func(*args)`` in a child process; its result, or a :class:`DataError` why not.

    ``func`` and its arguments must be picklable (a module-level function). ``what`` names
    the file for the messages; ``folder`` is where the request and answer files go
    (default: a private temporary folder).

    Returns
    -------
    The function's result. A :class:`geo.errors.RiskmapError` it raises is raised here with
    its message; anything else unexpected becomes a :class:`DataError`.
    """
    name = f"{what}: " if what else ""
    with tempfile.TemporaryDirectory(dir=folder, prefix="trabajo-") as tmp:
        request, answer = Path(tmp) / "pedido.pkl", Path(tmp) / "respuesta.pkl"
        request.write_bytes(pickle.dumps((func, args)))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        proc = subprocess.Popen([sys.executable, "-m", "geo.trust.isolation", str(request),
                                 str(answer)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        start, peak = time.monotonic(), 0.0
        while proc.poll() is None:
            peak = max(peak, rss_mb(proc.pid))
            if peak > memory_mb:
                proc.kill()
                proc.wait()
                raise DataError("confianza.leerlo_necesita_mb_memoria", name=name,
                                memory_mb=memory_mb)
            if time.monotonic() - start > timeout_s:
                proc.kill()
                proc.wait()
                raise DataError("confianza.leerlo_tarda_limite_servidor", name=name,
                                timeout_s=timeout_s)
            time.sleep(0.02)
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.returncode != 0 or not answer.is_file():
            raise DataError("confianza.proceso_leia_termino_sin", name=name,
                            returncode=proc.returncode,
                            stderr=stderr.strip().splitlines()[-1:] or '')
        kind, *payload = pickle.loads(answer.read_bytes())
    if kind == "ok":
        return payload[0]
    if kind == "riskmap":  # the error itself, its key and parameters written here
        raise payload[0]
    raise DataError("confianza.no_pudo_leer", name=name, payload=payload[0],
                    payload_payload=payload[1])


def _sendable(err: RiskmapError) -> RiskmapError:
    """Return ``err``, or (a parameter that cannot be pickled) a DataError with its text."""
    try:
        pickle.dumps(err)
        return err
    except Exception:  # noqa: BLE001 - any failure to pickle
        params = {name: value if _picklable(value) else str(value)
                  for name, value in err.params.items()}
        return DataError(err.key, **params) if err.key else DataError("confianza.no_pudo_leer",
                                                                       name="",
                                                                       payload=type(err).__name__,
                                                                       payload_payload=str(err)[:300])


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - any failure to pickle
        return False
    return True


def _serve(request: Path, answer: Path) -> int:
    """In the child: run the pickled call, write ``("ok", result)`` or what went wrong."""
    func, args = pickle.loads(request.read_bytes())
    try:
        result: tuple = ("ok", func(*args))
    except RiskmapError as err:  # sent whole (key and parameters): written in the caller's language
        result = ("riskmap", _sendable(err))
    except Exception as err:  # noqa: BLE001 - reported to the caller as a message
        result = ("error", type(err).__name__, str(err)[:300])
    fd = os.open(answer, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pickle.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_serve(Path(sys.argv[1]), Path(sys.argv[2])))
