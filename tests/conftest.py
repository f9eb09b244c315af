"""Shared fixtures: the real public data in ../shared/data and the pipeline built on it.

Integration tests read ``../shared/data`` (or ``$RISKMAP_SHARED_DATA``). Under ``CI=true``
a missing folder is a failure, never a silent skip. The pipeline fixtures (fetch over
loopback -> base GeoPackage -> simulated demo -> district table) are session-scoped and
return paths, so the expensive steps run once per test session.
"""

from __future__ import annotations

import functools
import http.server
import os
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
    from geo.base import build_base
    from geo.sources import fetch_sources

    sources = fetch_sources(data_root / "fuentes", mirror=mirror_url)
    return build_base(sources, data_root / "peru_base.gpkg")


@pytest.fixture(scope="session")
def demo_dir(base_gpkg: Path, data_root: Path) -> Path:
    """The simulated demo world (seed 0) on the real Cusco and Loreto boundaries."""
    from geo.demo import make_demo

    return make_demo(base_gpkg, data_root / "demo", seed=0)


@pytest.fixture(scope="session")
def demo_settings(demo_dir: Path):
    """The Settings the demo wrote (what the dashboard uses by default)."""
    from geo.config import load_settings

    return load_settings(demo_dir / "settings.toml")


@pytest.fixture(scope="session")
def districts_gpkg(demo_settings) -> Path:
    """The built district GeoPackage for the demo world (169 districts)."""
    from geo.build import build_districts

    build_districts(demo_settings, out=demo_settings.districts_gpkg)
    return demo_settings.districts_gpkg


@pytest.fixture(scope="session")
def scores_gpkg(demo_settings, districts_gpkg: Path) -> Path:
    """The demo world's scores (``riesgo.gpkg``), as `riskmap score` writes them."""
    from models.score import score_districts, write_scores

    scores = score_districts(demo_settings)
    write_scores(scores, demo_settings.scores_gpkg, demo_settings)
    return demo_settings.scores_gpkg
