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
from geo.geography.sources import REGISTRY, fetch_sources, load_registry, sha256_file


@pytest.fixture(autouse=True)
def _spanish_after():
    """`riskmap --lang en` switches the process language; put Spanish back after each test."""
    yield
    set_language("es")


TAMPERED = "ubigeo-peru-aumentado_ubigeo_distrito.csv"
#: the real sector tables of issue 20 (MANIFEST_SECTOR.toml), read by [[layers]], not the base
SECTOR_FILES = {
    "geobosques_perdida_distrital":
        "xgboost_deforestation_Bosque_y_perdida_de_bosques_por_Distrito_al_2024_curated.csv",
    "amazonia_deforestacion_panel": "xgboost_deforestation_deforestation_dataset_PERU.csv",
    "amazonia_deforestacion_diccionario":
        "xgboost_deforestation_Data_Dictionary_deforestation_dataset_PERU.xlsx",
    "devida_coca_departamento": "xgboost_deforestation_coca_department_2020_2024.csv",
}
#: what each sector table's citation must credit (the data underneath, not only the repository)
SECTOR_CREDITS = {
    "geobosques_perdida_distrital": ("MINAM", "GeoBosques"),
    "amazonia_deforestacion_panel": ("Quispe et al. (2022)", "MapBiomas Perú", "INEI", "PNUD",
                                     "INGEMMET", "SERFOR", "DEVIDA"),
    "amazonia_deforestacion_diccionario": ("Quispe et al. (2022)",),
    "devida_coca_departamento": ("DEVIDA",),
}


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


@pytest.fixture(params=[TAMPERED, *SECTOR_FILES.values()],
                ids=["ubigeo", *SECTOR_FILES])
def tampered(request, upstream_dir: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the upstream folder where one file has one byte changed: (folder, name).

    Run once for a file of the base and once for each sector table.
    """
    name = request.param
    folder = tmp_path / "espejo_danado"
    shutil.copytree(upstream_dir, folder)
    target = folder / name
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    return folder, name


def test_registry_matches_the_manifests(upstream_dir):
    manifest = tomllib.loads((upstream_dir / "MANIFEST.toml").read_text())
    sector = tomllib.loads((upstream_dir / "MANIFEST_SECTOR.toml").read_text())
    assert {key: item["file"] for key, item in sector.items()} == SECTOR_FILES
    manifest.update(sector)
    sources = {s.key: s for s in load_registry()}
    assert set(sources) == set(manifest)
    for key, item in manifest.items():
        assert sources[key].file == item["file"]
        assert sources[key].url == item["url"]
        assert sources[key].sha256 == item["sha256"]
        assert "/raw.githubusercontent.com/" in sources[key].url
        assert sources[key].license and sources[key].citation


def test_sector_tables_credit_their_data_and_say_they_are_not_shipped():
    sources = {s.key: s for s in load_registry()}
    for key, credits in SECTOR_CREDITS.items():
        source = sources[key]
        for credit in credits:
            assert credit in source.citation, (key, credit)
        assert "pipaber/xgboost_deforestation" in source.citation
        assert "@ 04b3706" in source.citation and "/04b3706" in source.url
        assert "no licence file" in source.license and "never redistributed" in source.license
    # the registry says why riskmap may use them: downloaded on the user's machine, not shipped
    text = REGISTRY.read_text(encoding="utf-8")
    assert "has NO licence file" in text and "never ships their bytes" in text


def test_the_base_picks_its_own_sources_only(base_gpkg):
    """The sector tables are fetched with the rest but never converted into the base."""
    import pyogrio

    fetched = {p.name for p in (base_gpkg.parent / "fuentes").iterdir()}
    assert set(SECTOR_FILES.values()) <= fetched
    converted = set(pyogrio.read_dataframe(base_gpkg, layer="fuentes")["clave"])
    assert converted and not converted & set(SECTOR_FILES)


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
    # the real sector tables arrive with the rest, byte for byte as the registry pins them
    pinned = {s.key: s.sha256 for s in load_registry()}
    assert {key: sha256_file(dest / name) for key, name in SECTOR_FILES.items()} == {
        key: pinned[key] for key in SECTOR_FILES}


def test_refetch_does_not_download_again(upstream_dir, tmp_path, serve):
    url, requests = serve(upstream_dir)
    dest = tmp_path / "fuentes"
    fetch_sources(dest, mirror=url)
    n = len(load_registry())
    assert len(requests) == n
    events = []
    fetch_sources(dest, mirror=url, progress=events.append)
    assert len(requests) == n
    assert {e.status for e in events} == {"present"}
    # a damaged local file is fetched again, and only that one
    (dest / TAMPERED).write_bytes(b"roto")
    fetch_sources(dest, mirror=url)
    assert requests[n:] == [f"/{TAMPERED}"]
    assert sha256_file(dest / TAMPERED) == {s.file: s.sha256 for s in load_registry()}[TAMPERED]


def test_fetch_from_a_folder(upstream_dir, tmp_path):
    import io

    from dashboard.commands.data import DownloadProgress
    from geo.errors import set_language

    events = []
    dest = fetch_sources(tmp_path / "f", mirror=upstream_dir, progress=events.append)
    assert all(sha256_file(dest / s.file) == s.sha256 for s in load_registry())
    done = [e for e in events if e.status == "done"]
    assert len(done) == len(load_registry()) and all(e.copied for e in done)
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
    assert sorted(p.name for p in dest.iterdir()) == sorted(s.file for s in load_registry())


def test_corrupted_file_over_http_leaves_nothing_behind(tampered, tmp_path, serve):
    folder, name = tampered
    url, _ = serve(folder)
    dest = tmp_path / "fuentes"
    with pytest.raises(FetchError) as err:
        fetch_sources(dest, mirror=url)
    expected = {s.file: s.sha256 for s in load_registry()}[name]
    actual = sha256_file(folder / name)
    for text in (err.value.es, err.value.en):
        assert name in text and expected in text and actual in text
    assert "--mirror" in err.value.es
    # the files verified before it stay; the bad one and any temporary file are gone
    names = sorted(p.name for p in dest.iterdir())
    assert name not in names
    assert not [n for n in names if n.endswith(".part") or n.startswith(".")]
    order = [s.file for s in load_registry()]
    assert names == sorted(order[:order.index(name)])


def test_corrupted_download_does_not_touch_existing_file(tampered, tmp_path):
    folder, name = tampered
    dest = tmp_path / "fuentes"
    dest.mkdir()
    (dest / name).write_bytes(b"copia anterior")
    with pytest.raises(FetchError, match="sha256"):
        fetch_sources(dest, mirror=folder)
    assert (dest / name).read_bytes() == b"copia anterior"
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


def test_cli_fetch_corrupted_exit_code_and_languages(tampered, tmp_path, capsys):
    folder, name = tampered
    args = ["data", "fetch", "--mirror", str(folder), "--dest", str(tmp_path / "f"),
            "--out", str(tmp_path / "b.gpkg")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "no es el esperado" in err and name in err and "Traceback" not in err
    assert not (tmp_path / "f" / name).exists()
    assert main(["--lang", "en", *args]) == 2
    err = capsys.readouterr().err
    assert "is not the expected one" in err
    assert not (tmp_path / "b.gpkg").exists()


@pytest.mark.slow
def test_cli_fetch_builds_the_base(mirror_url, tmp_path, capsys, monkeypatch):
    """`riskmap data fetch` as a user runs it: the data folder and mirror from the environment."""
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RISKMAP_MIRROR", mirror_url)
    code = main(["--lang", "en", "data", "fetch"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "sha256 verified" in printed and "Base written" in printed
    assert (tmp_path / "peru_base.gpkg").is_file()
    # every source, the sector tables too, has its own line and lands in <data>/fuentes
    lines = printed.splitlines()
    registry = load_registry()
    for source in registry:
        mine = [line for line in lines if line.strip().startswith(f"{source.file}:")]
        assert len(mine) == 1 and "downloaded, sha256 verified" in mine[0], source.file
        assert sha256_file(tmp_path / "fuentes" / source.file) == source.sha256
    assert f"{len(registry)} sources verified in {tmp_path / 'fuentes'}" in printed
