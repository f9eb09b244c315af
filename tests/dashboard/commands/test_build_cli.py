"""`riskmap build` run the way the README writes it, on the demo world's own settings.

``riskmap build [--config FILE] [--region R] --out FILE.gpkg`` in a child process (the
installed ``riskmap`` script), for one department, the other, and all of Peru: exit status
0, no unexpected error, a GeoPackage that reads back with the right districts, and a
summary that names every layer, the services layer by its number of points.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from geo import columns as C
from geo.formatting import format_number
from geo.geography.build import read_fuentes
from geo.geography.services import CAPA
from geo.geography.services import LAYER as SERVICES_LAYER
from geo.paths import REPO_ROOT

REPO = REPO_ROOT


def _riskmap(*args: str) -> subprocess.CompletedProcess:
    """Run the ``riskmap`` command beside this interpreter (``python -m dashboard`` without it)."""
    script = Path(sys.executable).with_name("riskmap")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "dashboard"]
    return subprocess.run([*command, *args], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize(("region", "districts", "departments"), [
    ("cusco", 116, {"08"}),
    ("loreto", 53, {"16"}),
    ("all", 1891, None),
])
def test_readme_build_command(demo_dir: Path, demo_settings, tmp_path: Path, region: str,
                              districts: int, departments: set[str] | None):
    out = tmp_path / f"distritos_{region}.gpkg"
    done = _riskmap("--lang", "en", "build", "--config", str(demo_dir / "settings.toml"),
                    "--region", region, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Unexpected error" not in done.stderr and "Traceback" not in done.stderr

    gdf = gpd.read_file(out, layer="distritos")
    assert len(gdf) == districts and gdf[C.UBIGEO].is_unique
    if departments is not None:
        assert set(gdf[C.COD_DEP]) == departments
    else:
        assert gdf[C.COD_DEP].nunique() == 25
    assert f"{format_number(districts, 'en')} districts: " in done.stdout  # 1,891
    assert f"Written: {out}" in done.stdout

    # every layer has its summary line; the services layer says its number of points
    fuentes = read_fuentes(out)
    assert fuentes["capa"].tolist() == [s.name for s in demo_settings.layers] + [
        s.name for s in demo_settings.services]
    for row in fuentes.itertuples():
        assert f"  {row.capa} ({row.sector}, {row.medida}): " in done.stdout, row.capa
    services = [s.name for s in demo_settings.services]
    assert services, "the demo world has a services layer (the one that broke the summary)"
    points = pyogrio.read_dataframe(out, layer=SERVICES_LAYER, read_geometry=False)
    for name in services:
        n = int((points[CAPA] == name).sum())
        assert n > 0
        assert f"  {name} (servicios, servicios): {n} service points" in done.stdout
