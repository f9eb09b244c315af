"""The risk layer as a researcher opens it: with GDAL's own tools, in QGIS, in Excel.

Each export of the demo world's scores is opened with ``ogrinfo`` (Debian ``gdal-bin``, a
GDAL other than the one pyogrio bundles): its CRS, its field types (UBIGEO text with its
leading zero, counts as integers), the QGIS style stored with it (GeoPackage
``layer_styles``; ``.qml``/``.sld`` beside a GeoJSON), the CSV's ``.csvt`` and BOM, and the
metadata (every column described, every source with its licence, no local path).
``ogrinfo`` missing is a skip on a workstation and a failure under CI (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from geo import columns as C

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ogrinfo() -> str:
    path = shutil.which("ogrinfo")
    if path is None:
        msg = "ogrinfo (Debian gdal-bin) not found"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg + " (CI=true: .ci/run installs gdal-bin)")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def exports(scores_gpkg, demo_settings, tmp_path_factory) -> dict[str, Path]:
    from models.risk.score import score_districts, write_scores

    scores = score_districts(demo_settings, n_bootstrap=50)
    out = tmp_path_factory.mktemp("exportes")
    # a temporary-looking name: the layer must still be called "riesgo"
    return {ext: write_scores(scores, out / f".riesgo-x7k2{'.' + ext}", demo_settings)
            for ext in ("gpkg", "geojson", "csv")}


def _run(ogrinfo: str, *args: str) -> str:
    done = subprocess.run([ogrinfo, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, "CPL_LOG": os.devnull})
    return done.stdout


def _fields(summary: str) -> dict[str, str]:
    """``name: Type (w.p)`` lines of ``ogrinfo -so`` -> {name: Type}."""
    return dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", summary, flags=re.M))


def _check_types(fields: dict[str, str]) -> None:
    assert fields[C.UBIGEO] == "String"
    for col in (C.N_INSPECCIONES, C.N_HALLAZGOS, C.RANGO, "clase"):
        assert fields[col] in ("Integer", "Integer64"), (col, fields[col])
    for col in (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10):
        assert fields[col] == "Real", (col, fields[col])


def test_the_geopackage_opens_with_its_crs_types_style_and_metadata(exports, ogrinfo):
    gpkg = str(exports["gpkg"])
    listing = _run(ogrinfo, "-ro", gpkg)
    assert re.search(r"^1: riesgo \(Multi Polygon\)", listing, re.M)
    assert "layer_styles" in listing and "metadatos" in listing
    summary = _run(ogrinfo, "-ro", "-so", gpkg, "riesgo")
    assert 'ID["EPSG",4326]' in summary
    _check_types(_fields(summary))
    one = _run(ogrinfo, "-ro", "-q", gpkg, "riesgo", "-where", "ubigeo = '080101'")
    assert "ubigeo (String) = 080101" in one  # the leading zero kept
    style = _run(ogrinfo, "-ro", "-q", gpkg, "layer_styles")
    assert "f_table_name (String) = riesgo" in style
    assert "useAsDefault (Integer(Boolean)) = 1" in style
    with sqlite3.connect(gpkg) as db:
        qml, sld = db.execute("SELECT styleQML, styleSLD FROM layer_styles "
                              "WHERE f_table_name = 'riesgo' AND useAsDefault").fetchone()
        meta = dict(db.execute("SELECT clave, valor FROM metadatos").fetchall())
        fields = [r[1] for r in db.execute("PRAGMA table_info(riesgo)")
                  if r[1] not in ("fid", "geom", "geometry")]
    root = ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line
    rules = root.findall(".//rule")
    assert [r.get("filter") for r in rules[:5]] == [f'"clase" = {i}' for i in range(1, 6)]
    assert any("evidencia insuficiente" in r.get("filter") for r in rules)
    assert root.find(".//layer[@class='LinePatternFill']") is not None  # the hatching
    assert ET.fromstring(sld.encode()).tag.endswith("StyledLayerDescriptor")
    _check_metadata({k: _maybe_json(v) for k, v in meta.items()}, fields)


def test_every_geopackage_riskmap_writes_opens_in_gdal_3_6_without_a_warning(
        exports, scores_gpkg, districts_gpkg, base_gpkg, demo_dir, ogrinfo):
    # GDAL >= 3.7 (pyogrio's) writes GeoPackage 1.4 unless told otherwise; Debian 12's GDAL
    # 3.6 (ogrinfo, QGIS) then warns "may only be partially supported" on every open
    files = [exports["gpkg"], scores_gpkg, districts_gpkg, base_gpkg,
             *sorted((demo_dir / "capas").glob("*.gpkg"))]
    assert len(files) >= 5  # the demo writes at least its services layer
    for path in files:
        done = subprocess.run([ogrinfo, "-ro", "-so", "-al", str(path)], capture_output=True,
                              text=True, check=True)
        assert "Layer name:" in done.stdout, path
        assert "warning" not in done.stderr.lower(), (path.name, done.stderr)
        with sqlite3.connect(path) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
        assert version in (10200, 10300), (path.name, version)


def test_the_geojson_is_layer_riesgo_in_wgs84_with_its_styles_beside(exports, ogrinfo):
    path = exports["geojson"]
    summary = _run(ogrinfo, "-ro", "-so", str(path), "riesgo")
    assert "Layer name: riesgo" in summary
    assert 'ID["EPSG",4326]' in summary
    _check_types(_fields(summary))
    qml = path.with_suffix(".qml").read_text(encoding="utf-8")
    assert "RuleRenderer" in qml and "LinePatternFill" in qml
    sld = ET.parse(path.with_suffix(".sld")).getroot()
    ns = {"sld": "http://www.opengis.net/sld"}
    assert len(sld.findall(".//sld:Rule", ns)) == 7  # 5 classes, no risk, the hatching
    meta = json.loads(Path(str(path) + ".metadatos.json").read_text(encoding="utf-8"))
    props = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
    _check_metadata(meta, list(props))


def test_the_csv_has_a_bom_a_csvt_text_ubigeo_and_whole_counts(exports, ogrinfo):
    path = exports["csv"]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads "La Convención", not "La ConvenciÃ³n"
    assert path.with_suffix(".csvt").is_file()
    summary = _run(ogrinfo, "-ro", "-so", "-al", str(path))  # a CSV's layer is its file name
    _check_types(_fields(summary))
    one = _run(ogrinfo, "-ro", "-q", "-al", str(path), "-where", "ubigeo = '080101'")
    assert "ubigeo (String) = 080101" in one
    text = raw.decode("utf-8-sig")
    assert "La Convención" in text
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert table[C.UBIGEO].str.fullmatch(r"\d{6}").all()
    assert not table[C.N_INSPECCIONES].str.contains(r"\.").any()  # 45, never 45.0
    assert (table["simulado"] == "True").all()
    # text is quoted, numbers are not: a spreadsheet importing as text keeps the zero
    first = text.splitlines()[1]
    assert first.startswith('"') and re.search(r',\d', first)
    meta = json.loads(Path(str(path) + ".metadatos.json").read_text(encoding="utf-8"))
    _check_metadata(meta, list(table.columns))


def _maybe_json(value: str):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _check_metadata(meta: dict, columns: list[str]) -> None:
    described = meta["descripcion_columnas"]
    missing = [c for c in columns if c not in described]
    assert not missing, missing
    assert all(len(described[c]) > 10 for c in columns)
    base = meta["fuentes_base"]
    assert {"mapsperu_distritos"} <= {s["clave"] for s in base}
    assert all(s["licencia"] and s["cita"] for s in base)
    layers = meta["fuentes"]
    assert len(layers) >= 5 and all(s["licencia"] and s["cita"] for s in layers)
    # every layer says what it is: real (with its source, years and unit) or simulated
    for s in layers:
        assert s["origen"] in ("real", "simulado"), s["capa"]
        if s["origen"] == "real":
            assert s["fuente"] and s["unidad"] and s["anios"] and not s["simulado"], s["capa"]
        else:
            assert "SIMULA" in s["descripcion"].upper() or "simulada" in s["licencia"]
    assert {s["origen"] for s in layers} == {"real", "simulado"}  # the demo has both
    assert not any(p.startswith("/") for s in layers for p in s["ruta"].split(";"))
    assert meta["clases_cortes"] and len(meta["clases_cortes"]) == 5
    text = json.dumps(meta, ensure_ascii=False)
    for root in ("/tmp/", "/work/", "/home/", str(Path.home()) + "/"):
        assert root not in text, root
    assert meta["simulado"] in (True, "true", "True")
