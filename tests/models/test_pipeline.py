import json

import geopandas as gpd

from geo import columns as C
from models.pipeline import EVALUATION_FILE, prepare


def test_prepare_builds_every_artefact_once(tmp_path, upstream_dir):
    lines: list[str] = []
    events = []
    settings = prepare(data_dir=tmp_path, mirror=upstream_dir, progress=lines.append,
                       fetch_progress=events.append)
    demo = settings.parent
    assert settings == tmp_path / "demo" / "settings.toml"
    scores = gpd.read_file(demo / "riesgo.gpkg", layer="riesgo")
    assert len(scores) == 169 and scores[C.RIESGO].between(0, 1).all()
    card = json.loads((demo / EVALUATION_FILE).read_text(encoding="utf-8"))
    assert card["simulado"] is True
    assert [line[:5] for line in lines[:6]] == ["[1/6]", "[2/6]", "[3/6]", "[4/6]", "[5/6]",
                                                "[6/6]"]
    assert {e.status for e in events} >= {"done"}

    # a second run reuses everything: nothing is rewritten
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    lines.clear()
    assert prepare(data_dir=tmp_path, mirror=upstream_dir, progress=lines.append) == settings
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert not any(line.startswith("[5/6]") for line in lines)
