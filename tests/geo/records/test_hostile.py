"""Hostile input: files built to sink the reader, a held lock, formulas, files at rest.

The command-line cases run ``riskmap`` in a subprocess and measure that subprocess's peak
resident memory (``os.wait4``'s rusage) and wall time, as a server operator would see them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_files import HEADER, big_csv, xlsx_bomb  # tests/: on sys.path (its conftest)

from geo.errors import DataError
from geo.paths import REPO_ROOT

REPO = REPO_ROOT


def run_measured(args: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """Run ``python -m dashboard ARGS``; (status, seconds, peak RSS in MB, output)."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", *args], cwd=REPO,
                            env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.monotonic() - start, usage.ru_maxrss / 1024, out


@pytest.fixture
def base(base_gpkg) -> Path:
    """The real district GeoPackage (what --base takes)."""
    return base_gpkg


@pytest.mark.slow
def test_xlsx_bomb_is_refused_in_seconds_and_bounded_memory(tmp_path, base):
    bomb = xlsx_bomb(tmp_path / "bomba.xlsx")
    assert bomb.stat().st_size < 20e6  # small on disk ...
    env = {"RISKMAP_DATA_DIR": str(tmp_path / "datos"),
           "RISKMAP_CONFIG": str(tmp_path / "no.toml")}
    status, seconds, peak_mb, out = run_measured(
        ["inspections", "validate", str(bomb), "--base", str(base)], env)
    assert status == 2, out
    assert "bomba.xlsx: se descomprime a 1" in out and "Expórtelo a CSV" in out, out
    assert seconds < 60 and peak_mb < 1024, (seconds, peak_mb)


@pytest.mark.slow
def test_a_300_mb_csv_is_refused_in_seconds_and_bounded_memory(tmp_path, base):
    csv = big_csv(tmp_path / "grande.csv", 300)
    env = {"RISKMAP_DATA_DIR": str(tmp_path / "datos"),
           "RISKMAP_CONFIG": str(tmp_path / "no.toml")}
    for command in (["inspections", "validate"], ["inspections", "import"]):
        status, seconds, peak_mb, out = run_measured(
            [*command, str(csv), "--base", str(base)], env)
        assert status == 2, out
        assert "grande.csv: pesa 3" in out and "el límite es 50 MB" in out, out
        assert seconds < 60 and peak_mb < 1024, (command, seconds, peak_mb)
    # under the size limit but over the row limit: counted in blocks, still refused
    status, seconds, peak_mb, out = run_measured(
        ["inspections", "validate", str(csv), "--base", str(base), "--max-mb", "400"], env)
    assert status == 2 and "más de 200,000 filas" in out, out
    assert seconds < 60 and peak_mb < 1024, (seconds, peak_mb)


def test_the_worker_is_stopped_at_its_memory_ceiling(tmp_path):
    from geo.trust.isolation import run_limited

    start = time.monotonic()
    with pytest.raises(DataError) as info:
        run_limited(bytearray, 2_000_000_000, memory_mb=300, timeout_s=60, what="x.csv")
    assert "x.csv: leerlo necesita más de 300 MB" in info.value.es
    assert "more than 300 MB" in info.value.en
    assert time.monotonic() - start < 30
    with pytest.raises(DataError, match="tarda más de 1 s"):
        run_limited(time.sleep, 10, memory_mb=300, timeout_s=1)
    # the error of the work itself comes back in both languages
    from geo.records.inspections import check_limits

    empty = tmp_path / "vacio.csv"
    empty.write_text(HEADER * 5, encoding="utf-8")
    with pytest.raises(DataError) as info:
        run_limited(check_limits, empty, 50, 2, memory_mb=500)
    assert "vacio.csv: tiene más de 2 filas" in info.value.es and "rows" in info.value.en


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_rows_are_counted_whatever_the_line_ending(tmp_path, ending):
    from geo.records.inspections import check_limits

    path = tmp_path / "f.csv"
    path.write_bytes(ending.join([b"id,fecha"] + [b"a,b"] * 30) + ending)
    with pytest.raises(DataError, match="más de 10 filas"):
        check_limits(path, 50, 10)


def test_a_held_write_lock_says_another_import_is_running(tmp_path, monkeypatch):
    import geo.records.store.database as store_module
    from geo.records.store import InspectionStore

    store = InspectionStore(tmp_path / "s.sqlite", role="planificador", user="ana")
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.5)
    holder = sqlite3.connect(store.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another import, mid-transaction
    try:
        start = time.monotonic()
        with pytest.raises(DataError) as info:
            store.records()
        assert time.monotonic() - start < 5
        assert "otra importación está en curso" in info.value.es
        assert "Vuelva a intentarlo" in info.value.es and "Try again" in info.value.en
    finally:
        holder.rollback()
        holder.close()
    assert store.records().empty  # and works again once the lock is gone


def test_every_csv_riskmap_writes_neutralises_formulas(tmp_path, monkeypatch, capsys):
    """The audit export: a sign-in name or a file name is user text too."""
    from dashboard.cli import main
    from geo.records.store import InspectionStore

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    store = InspectionStore(tmp_path / "datos" / "inspecciones.sqlite", role="sistema")
    store.record_event("inicio_sesion_fallido", {"archivo": "=HYPERLINK(\"http://x\")"},
                       user="@SUM(A1)", role="ninguno")
    out = tmp_path / "auditoria.csv"
    assert main(["audit", "export", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert ",'@SUM(A1)," in text
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in text.splitlines()
                   for cell in line.split(","))


def test_the_demo_history_file_is_owner_only(demo_dir):
    assert (demo_dir / "inspecciones.csv").stat().st_mode & 0o777 == 0o600


def test_sign_in_attempts_with_any_name_leave_a_bounded_trail(tmp_path):
    from geo.trust.accounts import INVALID_NAME, AccessStore, Users, sign_in

    users = Users(tmp_path / "u.toml", fast_hash=True)
    access = AccessStore(tmp_path / "a.sqlite")
    result = sign_in(users, access, "=cmd|' /C calc'!A0" + "x" * 500, "pw")
    assert result.name == INVALID_NAME  # an attacker's text never reaches the audit trail
    assert json.dumps(result.name)
