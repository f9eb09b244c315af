"""Download the public sources listed in ``config/sources.toml`` and verify every byte.

Each source is a file at a URL pinned to a git commit, with its sha256: the boundaries and
indicators that :func:`geo.geography.base.build_base` converts (it picks them by key), and the real
sector tables that settings read as they are through ``{fuentes}/…`` paths. Every one is
fetched into the same folder (``geo.paths.sources_dir()``). A download goes
to a temporary file in the destination folder, is hashed on the way, and is renamed into
place only when the hash matches: a wrong hash or a broken connection leaves nothing
behind (and never touches a file already there). A file already present with the right
hash is not downloaded again.

Without internet, ``mirror`` (or the environment variable ``RISKMAP_MIRROR``) names an
http(s) server or a local folder holding the same files under the registry's names.

Examples
--------
>>> sources = load_registry()
>>> [s.key for s in sources][:2]
['mapsperu_distritos', 'mapsperu_provincias']
>>> sources[0].file
'mapsPERU_map_DIST.rda'
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from geo import paths
from geo.errors import ConfigError, FetchError

__all__ = [
    "MIRROR_ENV",
    "REGISTRY",
    "Progress",
    "Source",
    "fetch_sources",
    "load_registry",
    "sha256_file",
    "source_paths",
]

REGISTRY = paths.CONFIG_DIR / "sources.toml"
MIRROR_ENV = "RISKMAP_MIRROR"
REGISTRY_VERSION = 1
CHUNK = 1 << 16
TIMEOUT = 60.0  # seconds without a byte before a download is abandoned
_KEYS = {"file", "url", "sha256", "license", "citation", "format"}


@dataclass(frozen=True)
class Source:
    """One public source file of the registry."""

    key: str
    file: str
    url: str
    sha256: str
    license: str
    citation: str
    format: str


@dataclass(frozen=True)
class Progress:
    """What :func:`fetch_sources` reports to its ``progress`` callback.

    Attributes
    ----------
    source : Source
    done : int
        Bytes received so far.
    total : int or None
        Size of the file when the server says it (``None`` otherwise).
    status : str
        ``"present"`` (already there and verified, not downloaded), ``"downloading"``
        (called repeatedly) or ``"done"`` (downloaded and verified).
    copied : bool
        True when the file comes from a local mirror folder (copied, not downloaded).
    """

    source: Source
    done: int
    total: int | None
    status: str
    copied: bool = False


def load_registry(path: str | Path | None = None) -> tuple[Source, ...]:
    """Read the registry of public sources.

    Parameters
    ----------
    path : str or Path, optional
        A registry TOML (default ``config/sources.toml`` of the checkout).

    Returns
    -------
    tuple of Source
        In the registry's order.

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, an unknown or missing key, or a malformed sha256.
    """
    path = Path(path) if path is not None else REGISTRY
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError("geografia.no_existe_registro_fuentes", path=path) from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError("comun.no_toml_valido", path=path, err=err) from err
    if raw.get("registry_version") != REGISTRY_VERSION:
        raise ConfigError("geografia.registry_version_debe", path=path,
                          registry_version=REGISTRY_VERSION)
    sources = []
    for key, item in raw.get("sources", {}).items():
        got = set(item)
        if got != _KEYS:
            missing, unknown = sorted(_KEYS - got), sorted(got - _KEYS)
            raise ConfigError("geografia.fuente_tiene_claves_faltantes", path=path, key_=key,
                              missing=missing, unknown=unknown, keys=', '.join(sorted(_KEYS)))
        digest = str(item["sha256"]).lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ConfigError("geografia.sha256_fuente_no_hash", path=path, key_=key)
        sources.append(Source(key=key, **{**{k: str(item[k]) for k in _KEYS}, "sha256": digest}))
    if not sources:
        raise ConfigError("geografia.no_declara_ninguna_fuente", path=path)
    return tuple(sources)


def source_paths(dest: str | Path, registry: str | Path | None = None) -> dict[str, Path]:
    """Return ``{key: dest / file}`` for every source of the registry."""
    dest = Path(dest)
    return {s.key: dest / s.file for s in load_registry(registry)}


def sha256_file(path: str | Path) -> str:
    """Return the hex sha256 of a file's bytes.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_sources(
    dest: str | Path,
    mirror: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    *,
    registry: str | Path | None = None,
    timeout: float = TIMEOUT,
) -> Path:
    """Download every source of the registry into ``dest``, verifying each sha256.

    Parameters
    ----------
    dest : str or Path
        Folder to download into (created if needed).
    mirror : str or Path, optional
        An ``http(s)://`` URL or a local folder that holds the files under the names in
        the registry. Default: ``$RISKMAP_MIRROR``, else each source's pinned public URL.
    progress : callable, optional
        Called with a :class:`Progress` as bytes arrive and when each file is done.
    registry : str or Path, optional
        Another registry TOML (default ``config/sources.toml``).
    timeout : float
        Seconds to wait for the server before giving up.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    FetchError
        A file could not be downloaded (naming it, the URL and what to do) or its
        sha256 differs from the registry's (naming the file, expected and actual hash).
        The temporary file is removed; files already in ``dest`` are left untouched.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if mirror is None:
        mirror = os.environ.get(MIRROR_ENV) or None
    for source in load_registry(registry):
        target = dest / source.file
        if target.is_file() and sha256_file(target) == source.sha256:
            size = target.stat().st_size
            _report(progress, Progress(source, size, size, "present"))
            continue
        _fetch_one(source, target, mirror, progress, timeout)
    return dest


# ---------------------------------------------------------------------------------------
def _fetch_one(
    source: Source,
    target: Path,
    mirror: str | Path | None,
    progress: Callable[[Progress], None] | None,
    timeout: float,
) -> None:
    location = _location(source, mirror)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{source.file}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(location, Path):
                digest, size = _copy_local(source, location, out, progress)
            else:
                digest, size = _download(source, location, out, progress, timeout)
        if digest != source.sha256:
            raise FetchError("geografia.archivo_obtenido_no_esperado", file=source.file,
                             location=location, sha256=source.sha256, digest=digest)
        os.chmod(tmp, 0o644)  # mkstemp makes private files; sources are public data
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _report(progress, Progress(source, size, size, "done", copied=isinstance(location, Path)))


def _location(source: Source, mirror: str | Path | None) -> str | Path:
    if mirror is None or str(mirror).strip() == "":
        return source.url
    text = str(mirror).strip()
    scheme = urllib.parse.urlparse(text).scheme.lower()
    if scheme in ("http", "https"):
        return text.rstrip("/") + "/" + urllib.parse.quote(source.file)
    folder = Path(urllib.parse.urlparse(text).path if scheme == "file" else text).expanduser()
    if not folder.is_dir():
        raise FetchError("geografia.espejo_no_url_http", text=text)
    return folder / source.file


def _copy_local(
    source: Source, path: Path, out: BinaryIO, progress: Callable[[Progress], None] | None
) -> tuple[str, int]:
    if not path.is_file():
        raise FetchError("geografia.carpeta_espejo_no_tiene", parent=path.parent, file=source.file,
                         url=source.url)
    with open(path, "rb") as f:
        return _stream(source, f, out, path.stat().st_size, progress)


def _download(
    source: Source,
    url: str,
    out: BinaryIO,
    progress: Callable[[Progress], None] | None,
    timeout: float,
) -> tuple[str, int]:
    request = urllib.request.Request(url, headers={"User-Agent": "riskmap (data fetch)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            return _stream(source, response, out, total, progress)
    except urllib.error.HTTPError as err:
        raise FetchError("geografia.no_pudo_descargar_servidor", file=source.file, url=url,
                         code=err.code, reason=err.reason) from err
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        reason = getattr(err, "reason", err)
        raise FetchError("geografia.no_pudo_descargar_conexion", file=source.file, url=url,
                         reason=reason, mirror_env=MIRROR_ENV) from err


def _stream(
    source: Source,
    src: BinaryIO,
    out: BinaryIO,
    total: int | None,
    progress: Callable[[Progress], None] | None,
) -> tuple[str, int]:
    h = hashlib.sha256()
    done = 0
    _report(progress, Progress(source, 0, total, "downloading"))
    while chunk := src.read(CHUNK):
        h.update(chunk)
        out.write(chunk)
        done += len(chunk)
        _report(progress, Progress(source, done, total, "downloading"))
    return h.hexdigest(), done


def _report(progress: Callable[[Progress], None] | None, event: Progress) -> None:
    if progress is not None:
        progress(event)
