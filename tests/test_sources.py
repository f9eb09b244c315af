"""Fetching the public sources: the real download path over loopback, hashes, mirrors."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import socket
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.cli import main
from geo.errors import ConfigError, FetchError, set_language
from geo.sources import fetch_sources, load_registry, sha256_file


@pytest.fixture(autouse=True)
def _spanish_after():
    """`riskmap --lang en` switches the process language; put Spanish back after each test."""
    yield
    set_language("es")


TAMPERED = "ubigeo-peru-aumentado_ubigeo_distrito.csv"


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def serve() -> Iterator:
    """Start a counting HTTP server on 127.0.0.1 for a folder; return (url, requests)."""
    servers = []

    def start(folder: Path) -> tuple[str, list[str]]:
        requests: list[str] = []
        handler = type("H", (_CountingHandler,), {"requests": requests})
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", requests

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tampered_dir(upstream_dir: Path, tmp_path: Path) -> Path:
    """A copy of the upstream folder where one file has one byte changed."""
    folder = tmp_path / "espejo_danado"
    shutil.copytree(upstream_dir, folder)
    target = folder / TAMPERED
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    return folder


def test_registry_matches_the_manifest(upstream_dir):
    manifest = tomllib.loads((upstream_dir / "MANIFEST.toml").read_text())
    sources = {s.key: s for s in load_registry()}
    assert set(sources) == set(manifest)
    for key, item in manifest.items():
        assert sources[key].file == item["file"]
        assert sources[key].url == item["url"]
        assert sources[key].sha256 == item["sha256"]
        assert "/raw.githubusercontent.com/" in sources[key].url
        assert sources[key].license and sources[key].citation


def test_registry_rejects_unknown_key(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text('registry_version = 1\n[sources.x]\nfile = "a"\nurl = "b"\nsha256 = "'
                   + "0" * 64 + '"\nlicense = "l"\ncitation = "c"\nformat = "f"\nextra = 1\n')
    with pytest.raises(ConfigError, match="extra"):
        load_registry(bad)


def test_fetch_over_loopback(mirror_url, upstream_dir, tmp_path):
    events = []
    dest = fetch_sources(tmp_path / "fuentes", mirror=mirror_url, progress=events.append)
    assert dest == tmp_path / "fuentes"
    for source in load_registry():
        path = dest / source.file
        assert path.read_bytes() == (upstream_dir / source.file).read_bytes()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == source.sha256
        mine = [e for e in events if e.source.key == source.key]
        size = path.stat().st_size
        assert mine[-1].status == "done" and mine[-1].done == size and not mine[-1].copied
        # the server sends Content-Length, so the progress knows the total
        assert all(e.total == size for e in mine)
        assert any(e.status == "downloading" and 0 < e.done < size for e in mine) or size < 65536
    assert sorted(p.name for p in dest.iterdir()) == sorted(s.file for s in load_registry())


def test_refetch_does_not_download_again(upstream_dir, tmp_path, serve):
    url, requests = serve(upstream_dir)
    dest = tmp_path / "fuentes"
    fetch_sources(dest, mirror=url)
    assert len(requests) == 6
    events = []
    fetch_sources(dest, mirror=url, progress=events.append)
    assert len(requests) == 6
    assert {e.status for e in events} == {"present"}
    # a damaged local file is fetched again, and only that one
    (dest / TAMPERED).write_bytes(b"roto")
    fetch_sources(dest, mirror=url)
    assert requests[6:] == [f"/{TAMPERED}"]
    assert sha256_file(dest / TAMPERED) == {s.file: s.sha256 for s in load_registry()}[TAMPERED]


def test_fetch_from_a_folder(upstream_dir, tmp_path):
    import io

    from dashboard.commands.data import DownloadProgress
    from geo.errors import set_language

    events = []
    dest = fetch_sources(tmp_path / "f", mirror=upstream_dir, progress=events.append)
    assert all(sha256_file(dest / s.file) == s.sha256 for s in load_registry())
    done = [e for e in events if e.status == "done"]
    assert len(done) == 6 and all(e.copied for e in done)
    # a folder mirror is copied, not downloaded: the progress line says so
    stream = io.StringIO()
    printer = DownloadProgress(stream)
    set_language("es")
    printer(done[0])
    assert "copiados de la carpeta espejo" in stream.getvalue()
    assert "descargad" not in stream.getvalue()
    set_language("en")
    try:
        printer(done[0])
    finally:
        set_language("es")
    assert "copied from the mirror folder" in stream.getvalue()


def test_fetch_from_env_mirror(upstream_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RISKMAP_MIRROR", str(upstream_dir))
    dest = fetch_sources(tmp_path / "f")
    assert len(list(dest.iterdir())) == 6


def test_corrupted_file_over_http_leaves_nothing_behind(tampered_dir, tmp_path, serve):
    url, _ = serve(tampered_dir)
    dest = tmp_path / "fuentes"
    with pytest.raises(FetchError) as err:
        fetch_sources(dest, mirror=url)
    expected = {s.file: s.sha256 for s in load_registry()}[TAMPERED]
    actual = sha256_file(tampered_dir / TAMPERED)
    for text in (err.value.es, err.value.en):
        assert TAMPERED in text and expected in text and actual in text
    assert "--mirror" in err.value.es
    # the files verified before it stay; the bad one and any temporary file are gone
    names = sorted(p.name for p in dest.iterdir())
    assert TAMPERED not in names
    assert not [n for n in names if n.endswith(".part") or n.startswith(".")]
    assert len(names) == 4


def test_corrupted_download_does_not_touch_existing_file(tampered_dir, tmp_path):
    dest = tmp_path / "fuentes"
    dest.mkdir()
    (dest / TAMPERED).write_bytes(b"copia anterior")
    with pytest.raises(FetchError, match="sha256"):
        fetch_sources(dest, mirror=tampered_dir)
    assert (dest / TAMPERED).read_bytes() == b"copia anterior"
    assert not list(dest.glob(".*"))


def test_offline_suggests_mirror(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError) as err:
        fetch_sources(tmp_path / "f", mirror=f"http://127.0.0.1:{port}/", timeout=5)
    assert "--mirror" in err.value.es and "RISKMAP_MIRROR" in err.value.en
    assert list((tmp_path / "f").iterdir()) == []


def test_missing_file_on_mirror(tmp_path, serve):
    empty = tmp_path / "vacio"
    empty.mkdir()
    url, _ = serve(empty)
    with pytest.raises(FetchError, match="404"):
        fetch_sources(tmp_path / "a", mirror=url)
    with pytest.raises(FetchError, match="no tiene el archivo"):
        fetch_sources(tmp_path / "b", mirror=empty)
    with pytest.raises(FetchError, match="ni una carpeta"):
        fetch_sources(tmp_path / "c", mirror=tmp_path / "no_existe")


def test_cli_fetch_corrupted_exit_code_and_languages(tampered_dir, tmp_path, capsys):
    args = ["data", "fetch", "--mirror", str(tampered_dir), "--dest", str(tmp_path / "f"),
            "--out", str(tmp_path / "b.gpkg")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "no es el esperado" in err and "Traceback" not in err
    assert main(["--lang", "en", *args]) == 2
    err = capsys.readouterr().err
    assert "is not the expected one" in err
    assert not (tmp_path / "b.gpkg").exists()


@pytest.mark.slow
def test_cli_fetch_builds_the_base(mirror_url, tmp_path, capsys):
    out = tmp_path / "peru_base.gpkg"
    code = main(["--lang", "en", "data", "fetch", "--mirror", mirror_url,
                 "--dest", str(tmp_path / "f"), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "sha256 verified" in printed and "Base written" in printed
    assert out.is_file()
