"""Shared fixtures: the real public data in ../shared/data and the pipeline built on it.

Integration tests read ``../shared/data`` (or ``$RISKMAP_SHARED_DATA``). Under ``CI=true``
a missing folder is a failure, never a silent skip. The pipeline fixtures (fetch over
loopback -> base GeoPackage -> simulated demo -> district table) are session-scoped and
return paths, so the expensive steps run once per test session.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path:
    env = os.environ.get("RISKMAP_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data (boundaries/, tables/, upstream/)."""
    path = _shared_data_dir()
    if not (path / "upstream" / "MANIFEST.toml").is_file():
        msg = f"shared data not found at {path} (set RISKMAP_SHARED_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def upstream_dir(shared_data: Path) -> Path:
    """Verbatim copies of the public source files, named as in config/sources.toml."""
    return shared_data / "upstream"


@pytest.fixture(scope="session")
def mirror_url(upstream_dir: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving the upstream folder: the real download path."""
    handler = functools.partial(_QuietHandler, directory=str(upstream_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh working data folder for the session (``RISKMAP_DATA_DIR``)."""
    root = tmp_path_factory.mktemp("riskmap-data")
    old = os.environ.get("RISKMAP_DATA_DIR")
    os.environ["RISKMAP_DATA_DIR"] = str(root)
    try:
        yield root
    finally:
        if old is None:
            os.environ.pop("RISKMAP_DATA_DIR", None)
        else:
            os.environ["RISKMAP_DATA_DIR"] = old


@pytest.fixture(scope="session")
def base_gpkg(data_root: Path, mirror_url: str) -> Path:
    """peru_base.gpkg, fetched over loopback and converted, exactly as `riskmap data fetch`."""
    from geo.geography.base import build_base
    from geo.geography.sources import fetch_sources

    sources = fetch_sources(data_root / "fuentes", mirror=mirror_url)
    return build_base(sources, data_root / "peru_base.gpkg")


@pytest.fixture(scope="session")
def demo_dir(base_gpkg: Path, data_root: Path) -> Path:
    """The simulated demo world (seed 0) on the real Cusco and Loreto boundaries."""
    from geo.world.demo import make_demo

    return make_demo(base_gpkg, data_root / "demo", seed=0)


@pytest.fixture(scope="session")
def demo_settings(demo_dir: Path):
    """The Settings the demo wrote (what the dashboard uses by default)."""
    from geo.config import load_settings

    return load_settings(demo_dir / "settings.toml")


@pytest.fixture(scope="session")
def districts_gpkg(demo_settings) -> Path:
    """The built district GeoPackage for the demo world (169 districts)."""
    from geo.geography.build import build_districts

    build_districts(demo_settings, out=demo_settings.districts_gpkg)
    return demo_settings.districts_gpkg


@pytest.fixture(scope="session")
def scores_gpkg(demo_settings, districts_gpkg: Path) -> Path:
    """The demo world's scores (``riesgo.gpkg``), as `riskmap score` writes them."""
    from models.risk.score import score_districts, write_scores

    scores = score_districts(demo_settings)
    write_scores(scores, demo_settings.scores_gpkg, demo_settings)
    return demo_settings.scores_gpkg


PLANNING_SETTINGS = """config_version = 1
[data]
workdir = "."
simulated = true
[planning]
exploration_share = 0.15
max_trip_days = 10
days_per_inspection = 2
seed = 0
[[planning.offices]]
name = "Intendencia Regional Cusco"
lat = -13.5226
lon = -71.9673
capacity_days = 40
department = "08"
[[planning.offices]]
name = "Intendencia Regional Loreto (Iquitos)"
lat = -3.7491
lon = -73.2538
capacity_days = 40
department = "16"
"""


@pytest.fixture(scope="session")
def synthetic_plan_world(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A settings file and a riesgo.gpkg with made-up scores on the real 169 districts.

    Returns the settings path: the planning command and page read the scores beside it.
    """
    import geopandas as gpd
    import numpy as np

    from geo import columns as C

    root = tmp_path_factory.mktemp("plan-world")
    gdf = gpd.read_file(shared_data / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson")
    gdf = gdf.rename(columns={"UBIGEO": C.UBIGEO, "DISTRITO": C.DISTRITO,
                              "PROVINCIA": C.PROVINCIA, "DEPARTAMENTO": C.DEPARTAMENTO})
    rng = np.random.default_rng(11)
    gdf[C.RIESGO] = rng.beta(1.0, 8.0, len(gdf))
    gdf[C.RIESGO_P05] = gdf[C.RIESGO] * 0.5
    gdf[C.RIESGO_P95] = np.minimum(1.0, gdf[C.RIESGO] * 1.8)
    gdf[C.EVIDENCIA] = np.where(rng.random(len(gdf)) < 0.3, C.EVIDENCIA_INSUFICIENTE,
                                "suficiente")
    gdf[C.RANGO] = gdf[C.RIESGO].rank(ascending=False, method="first").astype(int)
    cols = [C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO, C.RIESGO_P05,
            C.RIESGO_P95, C.EVIDENCIA, C.RANGO, "geometry"]
    gdf[cols].to_file(root / "riesgo.gpkg", layer="riesgo")
    (root / "settings.toml").write_text(PLANNING_SETTINGS, encoding="utf-8")
    return root / "settings.toml"


@pytest.fixture()
def last_rescoring():
    """Write the last rescoring's ``cambios.json`` where a role test wants it (it removes it).

    One district of Cusco (080101, named ``distrito``) moved from class 2 to 3 on its own
    new record; ``moved`` of Cusco's 116 districts changed class. Call it with the file path.
    """
    import json

    def write(path: Path, distrito: str, moved: int) -> Path:
        path.write_text(json.dumps({
            "fecha": "2026-11-30T10:00:00",
            "distritos": [{"ubigeo": "080101", "distrito": distrito, "departamento": "Cusco",
                           "clase_antes": 2, "clase_despues": 3, "riesgo_antes": 0.05,
                           "riesgo_despues": 0.07, "n_antes": 3, "n_despues": 4,
                           "motivo": "nuevos registros del distrito"}],
            "por_departamento": {"08": {"distritos": 116, "cambian_de_clase": moved}},
            "nuevas_inspecciones": 1, "distritos_con_registros_nuevos": 1}), encoding="utf-8")
        return path

    return write


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that reads ``../shared/data`` (through any fixture) ``shared_data``.

    ``make test-fast`` leaves them out (``-m "not shared_data"``): it runs on a machine that has
    only the repository.
    """
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)


@pytest.fixture(autouse=True)
def _spanish_unless_a_test_says_otherwise():
    """Each test starts in Spanish, whatever the one before it switched to.

    The language is a context variable (``geo.messages.language``); a test that runs
    ``riskmap --lang en …`` in this process sets it in the test's own context, and this
    fixture puts Spanish back so that the next test starts from the default.
    """
    from geo.errors import set_language

    set_language("es")
    yield
    set_language("es")


# --- small synthetic fixtures shared by several test modules --------------------------------


@pytest.fixture
def districts():
    """Two 0.1-degree boxes: Cusco city (080101) and Iquitos (160101).

    A module that needs other districts defines its own ``districts``.
    """
    import geopandas as gpd
    from shapely.geometry import box

    from geo import columns as C

    return gpd.GeoDataFrame(
        {C.UBIGEO: ["080101", "160101"]},
        geometry=[box(-72.0, -13.6, -71.9, -13.5), box(-73.3, -3.8, -73.2, -3.7)],
        crs=4326,
    )


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run `riskmap ...` with the data folder (and no settings) in tmp_path."""
    from dashboard.cli import main

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    monkeypatch.setenv("RISKMAP_CONFIG", str(tmp_path / "no-existe.toml"))

    def run(argv, stdin: str | None = None) -> int:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main(argv)

    return run
