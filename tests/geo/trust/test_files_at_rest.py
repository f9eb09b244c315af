"""Files at rest (issue 21, finding 6): whatever holds counts or records is owner-only.

The helper (:mod:`geo.private`) is tested on its own, then the whole way a deployment writes:
``riskmap prepare`` into a data folder that starts open to everyone, a rescore clicked on the
Datos page (the real page, headless), and the command line's exports. The data folder is then
walked: every file that is not one of the public ones below is 0600 and every folder above it
0700. Everything runs under umask 022 (files 0644 unless riskmap sets the mode itself), so the
walk cannot pass by luck.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.paths import REPO_ROOT
from geo.private import make_private, private_dir, private_path, write_private

REPO = REPO_ROOT
APP = str(REPO / "dashboard" / "app.py")

# Files of the data folder that hold no counts and no records, so they may stay readable
# (README, "Deploying with real records"): the public boundaries and indicators, the
# downloaded public sources, the district table of public layers, and the demo world's
# description and simulated services.
PUBLIC = ("peru_base.gpkg", "fuentes/", "demo/distritos.gpkg", "demo/settings.toml",
          "demo/LEEME.md", "demo/.version", "demo/capas/")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# --- the helper ---------------------------------------------------------------------------
@pytest.mark.parametrize("mask", [0o000, 0o022])
def test_write_private_is_owner_only_whatever_the_umask(tmp_path, mask):
    out = tmp_path / "exportes" / "2026" / "plan.csv"
    with _umask(mask):
        assert write_private(out, "ubigeo,hallazgos\n080101,3\n") == out
        write_private(out.with_suffix(".bin"), b"\x00\x01")
    assert out.read_bytes() == b"ubigeo,hallazgos\n080101,3\n"  # no newline translation
    assert out.with_suffix(".bin").read_bytes() == b"\x00\x01"
    assert _mode(out) == 0o600 and _mode(out.with_suffix(".bin")) == 0o600
    assert _mode(tmp_path / "exportes") == 0o700 and _mode(out.parent) == 0o700
    assert sorted(p.name for p in out.parent.iterdir()) == ["plan.bin", "plan.csv"]


def test_write_private_replaces_a_file_readable_by_everyone(tmp_path):
    out = tmp_path / "cambios.json"
    out.write_text("{}", encoding="utf-8")
    os.chmod(out, 0o644)
    with _umask(0o000):
        write_private(out, '{"distritos": []}')
    assert _mode(out) == 0o600 and out.read_text(encoding="utf-8") == '{"distritos": []}'


def test_a_gdal_writer_works_in_a_folder_nobody_else_may_enter(tmp_path):
    import pyogrio

    target = tmp_path / "riesgo.gpkg"
    frame = gpd.GeoDataFrame({"ubigeo": ["080101"], "n_hallazgos": [3]},
                             geometry=[box(0, 0, 1, 1)], crs=4326)
    with _umask(0o000):
        with private_path(target) as tmp:
            assert tmp.name == target.name  # the driver sees the right extension
            pyogrio.write_dataframe(frame, tmp, layer="riesgo", driver="GPKG")
            # GDAL (SQLite) made it readable by others: only the folder keeps them out
            assert _mode(tmp) & 0o044
            assert tmp.parent.parent == tmp_path and _mode(tmp.parent) == 0o700
            assert not target.exists()  # the final name appears only once it is private
        assert _mode(target) == 0o600
    assert gpd.read_file(target, layer="riesgo")["n_hallazgos"].tolist() == [3]
    assert [p.name for p in tmp_path.iterdir()] == ["riesgo.gpkg"]  # nothing left behind


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "evaluacion.json"
    target.write_text("antes", encoding="utf-8")
    with pytest.raises(RuntimeError), private_path(target) as tmp:
        tmp.write_text("a medias", encoding="utf-8")
        raise RuntimeError("el escritor falló")
    with pytest.raises(FileNotFoundError), private_path(target):
        pass  # a writer that wrote nothing is a mistake, not an empty file
    assert target.read_text(encoding="utf-8") == "antes"
    assert [p.name for p in tmp_path.iterdir()] == ["evaluacion.json"]


def test_existing_folders_are_tightened_only_when_asked(tmp_path):
    theirs, ours = tmp_path / "informes", tmp_path / "datos"
    for folder in (theirs, ours):
        folder.mkdir()
        os.chmod(folder, 0o755)
    private_dir(theirs)  # a folder the user chose for an export: not riskmap's to change
    private_dir(ours, tighten=True)  # riskmap's data or working folder
    assert _mode(theirs) == 0o755 and _mode(ours) == 0o700
    old = ours / "riesgo.gpkg"  # written by an older riskmap
    old.write_bytes(b"")
    os.chmod(old, 0o644)
    make_private(old)
    make_private(ours / "falta.json")  # nothing to do
    assert _mode(old) == 0o600


# --- the whole way: prepare, the Datos page's rescore, the command line's exports ---------
@dataclass
class World:
    root: Path
    scores_before: os.stat_result
    scores_after: os.stat_result
    exports: tuple[Path, ...]


def _riskmap(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "dashboard", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def _rescore_on_datos_page(env: dict[str, str]) -> None:
    """Click «Recalcular» on the Datos page of the demo (no sign-in: a planner)."""
    from streamlit.testing.v1 import AppTest

    with pytest.MonkeyPatch.context() as mp:
        for name in ("RISKMAP_CONFIG", "RISKMAP_DATA_DIR"):
            mp.setenv(name, env[name])
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()
        at.switch_page("views/datos.py").run()
        assert not at.exception, [e.value for e in at.exception]
        at.button(key="datos_recalcular").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("Riesgo recalculado" in s.value for s in at.success)


@pytest.fixture(scope="module")
def world(tmp_path_factory, upstream_dir) -> World:
    root = tmp_path_factory.mktemp("en-reposo") / "datos"
    root.mkdir()
    os.chmod(root, 0o755)  # as a checkout's data/ folder: open to everyone until prepared
    env = {**os.environ, "RISKMAP_DATA_DIR": str(root), "RISKMAP_MIRROR": str(upstream_dir)}
    env.pop("RISKMAP_CONFIG", None)
    out = root / "exportes" / "2026-11"  # folders the exports create
    exports = (out / "riesgo.csv", out / "riesgo.csv.metadatos.json", out / "riesgo.csvt",
               out / "capa" / "riesgo.geojson", out / "capa" / "riesgo.geojson.metadatos.json",
               out / "capa" / "riesgo.qml", out / "capa" / "riesgo.sld",
               out / "indicadores.csv", out / "indicadores.csvt",
               out / "plan" / "plan.csv", out / "plan" / "plan.html", out / "ficha.md",
               root / "respaldo.sqlite", root / "auditoria.jsonl")
    with _umask(0o022):
        _riskmap(env, "prepare")
        env["RISKMAP_CONFIG"] = str(root / "demo" / "settings.toml")
        scores = root / "demo" / "riesgo.gpkg"
        before = scores.stat()
        _rescore_on_datos_page(env)
        after = scores.stat()
        _riskmap(env, "score", "--out", str(exports[0]), "--bootstrap", "5")
        _riskmap(env, "score", "--out", str(exports[3]), "--bootstrap", "5")
        _riskmap(env, "indicators", "--rol", "planificador", "--out", str(exports[7]))
        _riskmap(env, "plan", "--out", str(exports[9]), "--html", str(exports[10]))
        _riskmap(env, "evaluate", "--out", str(exports[11]), "--bootstrap", "5")
        # into a folder that exists: that geo.records.store creates its own folder 0700 is below
        _riskmap(env, "store", "backup", str(exports[12]))
        _riskmap(env, "audit", "export", "--out", str(exports[13]))
    return World(root, before, after, exports)


def test_the_datos_rescore_rewrote_the_scores_and_kept_its_changes(world):
    demo = world.root / "demo"
    assert world.scores_after.st_mtime_ns > world.scores_before.st_mtime_ns
    assert world.scores_after.st_ino != world.scores_before.st_ino  # a new file, renamed in
    assert (demo / "cambios.json").is_file()


def test_every_file_with_counts_is_owner_only_in_owner_only_folders(world):
    root = world.root
    checked, loose = set(), []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir() or any(rel == p or rel.startswith(p) for p in PUBLIC):
            continue
        checked.add(path)
        if _mode(path) != 0o600:
            loose.append(f"{rel}: {oct(_mode(path))}")
        for folder in path.relative_to(root).parents:  # up to the data folder itself
            if _mode(root / folder) != 0o700:
                loose.append(f"{folder}/: {oct(_mode(root / folder))}")
    assert not loose, sorted(set(loose))
    # the walk saw what the finding named, and every export: it cannot pass on an empty folder
    named = {root / "demo" / n for n in ("riesgo.gpkg", "cambios.json", "evaluacion.json",
                                         "inspecciones.csv")}
    assert named | set(world.exports) | {root / "inspecciones.sqlite"} <= checked


def test_nothing_half_written_is_left_in_the_data_folder(world):
    leftovers = [p for p in world.root.rglob("*")
                 if p.name.endswith((".tmp", ".part")) and "fuentes" not in p.parts]
    assert not leftovers


def test_backups_and_audit_exports_create_their_folders_owner_only(world):
    env = {**os.environ, "RISKMAP_DATA_DIR": str(world.root),
           "RISKMAP_CONFIG": str(world.root / "demo" / "settings.toml")}
    backup = world.root / "respaldos" / "2026" / "riskmap.sqlite"
    trail = world.root / "auditorias" / "2026" / "auditoria.csv"
    with _umask(0o022):
        _riskmap(env, "store", "backup", str(backup))
        _riskmap(env, "audit", "export", "--out", str(trail))
    for path in (backup, trail):
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
