"""SIGKILL `riskmap inspections import` at any moment: all rows or none, audit intact.

The trust issue's acceptance criterion: a large import killed at 10 or more moments leaves
0 partial imports and 0 integrity errors. An uninterrupted run of the same import is timed
first, watching SQLite's rollback journal (``<store>-journal`` exists exactly while the
write transaction is open and is deleted by its commit). The kills then fall at fractions
of the time it took to reach its commit (start-up, reading, validation, the transaction),
at moments inside the transaction itself, and right after the commit, before the seal of
the audit trail moves.

A journal still on disk after the process died proves it died inside the transaction, so
those kills must leave the store as it was; a journal seen to vanish proves the commit, so
those kills must leave every row. An import that committed in batches, or row by row,
fails here with a count that is neither.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from geo import columns as C
from geo.geography.base import read_districts
from geo.paths import REPO_ROOT
from geo.records.store import ROL_SISTEMA, InspectionStore
from geo.trust.audit import seal_path

REPO = REPO_ROOT

N_SMALL = 300  # records already in the store before the big import
N_BIG = 30_000  # one uninterrupted import takes a few seconds
FRACTIONS = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)  # of the commit
IN_TRANSACTION = (0.0, 0.33, 0.66)  # kill this share of the measured transaction after it opens
POLL = 0.0005  # seconds between looks at the process and the journal
UNCHANGED, COMPLETE = "sin cambios", "completa"

# (start, journal opened, journal gone) -> kill now?
Trigger = Callable[[float, float | None, float | None], bool]


@dataclasses.dataclass
class Run:
    """What one run of the import did, in seconds since it started."""

    moment: str
    returncode: int
    end: float
    journal_on: float | None = None
    journal_off: float | None = None
    killed_at: float | None = None
    hot_journal: bool = False  # still on disk after the process died: died inside the write
    outcome: str = ""
    note: bool = False  # audit rows after the seal (killed between commit and seal)
    store: Path | None = None

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def line(self) -> str:
        def t(x: float | None) -> str:
            return "-" if x is None else f"{x:.3f}"

        return (f"{self.moment:>18}  rc={self.returncode:>3}  end={t(self.end):>6}  "
                f"kill={t(self.killed_at):>6}  "
                f"journal={t(self.journal_on):>6}..{t(self.journal_off):<6} "
                f"hot={int(self.hot_journal)}  {self.outcome}{' +nota' if self.note else ''}")


@pytest.mark.slow
def test_sigkill_at_any_moment_imports_all_rows_or_none(base_gpkg, tmp_path):
    ubigeos = sorted(read_districts(base_gpkg, region=("08", "16"))[C.UBIGEO])
    small = _write_records(tmp_path / "previas.csv", ubigeos, N_SMALL, "P", seed=1)
    big = _write_records(tmp_path / "grande.csv", ubigeos, N_BIG, "G", seed=2)
    env = {**os.environ, "RISKMAP_DATA_DIR": str(tmp_path / "datos"), "PYTHONUNBUFFERED": "1"}

    template = tmp_path / "previo" / "inspecciones.sqlite"
    _cli(["inspections", "import", str(small), "--base", str(base_gpkg), "--store",
          str(template)], env)
    assert _state(template)[0] == N_SMALL

    # The same import, uninterrupted, on a copy of the same store: its duration and when
    # the write transaction opens and commits.
    ref = _watch("sin matar", big, base_gpkg, _copy(template, tmp_path / "ref"), env)
    assert ref.returncode == 0, (tmp_path / "ref" / "salida.txt").read_text()
    assert ref.journal_on is not None and ref.journal_off is not None, (
        f"no rollback journal seen during the import (journal_mode no longer DELETE? then "
        f"watch the -wal file instead)\n{ref.line()}")
    assert _state(ref.store)[0] == N_SMALL + N_BIG
    commit, write = ref.journal_off, ref.journal_off - ref.journal_on

    # Anchored on the commit, not on the end: a run a little faster than the timed one is
    # still killed (the few tenths of a second after the commit have their own kill).
    plan: list[tuple[str, Trigger]] = [
        (f"{f:.0%} de {commit:.2f} s", lambda now, on, off, f=f: now >= f * commit)
        for f in FRACTIONS
    ]
    plan += [
        (f"escritura+{d * write:.3f} s",
         lambda now, on, off, d=d: on is not None and now >= on + d * write)
        for d in IN_TRANSACTION
    ]
    plan.append(("tras el commit", lambda now, on, off: off is not None))

    runs = []
    for i, (moment, trigger) in enumerate(plan):
        run = _watch(moment, big, base_gpkg, _copy(template, tmp_path / f"k{i:02d}"), env,
                     trigger)
        try:
            run.outcome, run.note = _check_all_or_none(run.store, big.name)
        except AssertionError as err:
            raise AssertionError(f"after the kill at {run.line()}\n{err}") from err
        runs.append(run)
    table = "\n".join([ref.line(), *(r.line() for r in runs)])

    killed = [r for r in runs if r.killed]
    assert len(killed) >= 10, table
    assert {r.outcome for r in killed} == {UNCHANGED, COMPLETE}, table
    inside = [r for r in killed if r.hot_journal]
    assert inside, f"no kill landed inside the write transaction\n{table}"
    for r in killed:
        if r.hot_journal or r.journal_on is None:  # died before the commit
            assert r.outcome == UNCHANGED, table
        if r.journal_off is not None:  # died after it
            assert r.outcome == COMPLETE, table

    # What an operator does after the crash: check the trail, run the same import again.
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(lambda r: _rerun(r, big, base_gpkg, env), runs))
    for run, output in zip(runs, outputs, strict=True):
        records, imports = _state(run.store)
        assert records == N_SMALL + N_BIG, f"{run.line()}\n{output}"
        assert imports == (2 if run.outcome == UNCHANGED else 3), f"{run.line()}\n{output}"
        report = InspectionStore(run.store, role=ROL_SISTEMA).verify_audit()
        assert report.ok and not report.notes, f"{run.line()}\n{report.render()}"
    print(table)


def _write_records(path: Path, ubigeos: list[str], n: int, prefix: str, seed: int) -> Path:
    """A valid inspection file of ``n`` rows on real districts, all dated in the past."""
    rng = random.Random(seed)
    lines = ["id,fecha,ubigeo,sector,hallazgo_tf,origen,trabajadores,victimas"]
    for i in range(n):
        found = rng.random() < 0.2
        workers = rng.randint(1, 60)
        victims = str(rng.randint(0, workers)) if found else ""
        lines.append(
            f"{prefix}{i:06d},{rng.randint(2015, 2023)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d},{rng.choice(ubigeos)},"
            f"{rng.choice(C.SECTORES_INSPECCION)},{int(found)},{rng.choice(C.ORIGENES)},"
            f"{workers},{victims}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _copy(template: Path, folder: Path) -> Path:
    """Copy a store and its seal (nothing else: no journal, no lock) into ``folder``."""
    folder.mkdir(parents=True)
    store = folder / template.name
    shutil.copy2(template, store)
    shutil.copy2(seal_path(template), seal_path(store))
    return store


def _cli(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"riskmap {' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _watch(moment: str, csv: Path, base: Path, store: Path, env: dict[str, str],
           trigger: Trigger | None = None) -> Run:
    """Run the import, watch its journal, SIGKILL it when ``trigger`` says so."""
    journal = Path(f"{store}-journal")
    command = [sys.executable, "-m", "dashboard", "inspections", "import", str(csv),
               "--base", str(base), "--store", str(store)]
    with open(store.parent / "salida.txt", "w", encoding="utf-8") as out:
        start = time.monotonic()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            on = off = killed_at = None
            while proc.poll() is None:
                now = time.monotonic() - start
                if journal.exists():
                    on = now if on is None else on
                elif on is not None and off is None:
                    off = now
                if trigger is not None and trigger(now, on, off):
                    proc.send_signal(signal.SIGKILL)  # the process cannot clean up
                    killed_at = now
                    break
                time.sleep(POLL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        end = time.monotonic() - start
    # before anything opens the store (the next reader rolls a hot journal back)
    return Run(moment, proc.returncode, end, on, off, killed_at, journal.exists(), store=store)


def _check_all_or_none(store: Path, big_name: str) -> tuple[str, bool]:
    """Check a killed store: integrity, all rows of the big file or none, audit verified."""
    with closing(sqlite3.connect(store)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        records = conn.execute("SELECT count(*) FROM inspecciones").fetchone()[0]
        imports = conn.execute("SELECT id, archivo, filas_nuevas FROM importaciones "
                               "ORDER BY id").fetchall()
        per_import = dict(conn.execute(
            "SELECT import_id, count(*) FROM inspecciones GROUP BY import_id"))
        audited = conn.execute(
            "SELECT count(*) FROM auditoria WHERE accion = 'importacion'").fetchone()[0]
    assert records in (N_SMALL, N_SMALL + N_BIG), f"partial import: {records} records"
    complete = records == N_SMALL + N_BIG
    assert len(imports) == (2 if complete else 1), imports
    assert per_import == ({1: N_SMALL, 2: N_BIG} if complete else {1: N_SMALL})
    assert [row[1:] for row in imports[1:]] == ([(big_name, N_BIG)] if complete else [])
    assert audited == len(imports)  # the import's audit row commits with it, or not at all
    report = InspectionStore(store, role=ROL_SISTEMA).verify_audit()
    assert report.ok, report.render()
    return (COMPLETE if complete else UNCHANGED), bool(report.notes)


def _rerun(run: Run, csv: Path, base: Path, env: dict[str, str]) -> str:
    store = str(run.store)
    return (_cli(["audit", "verify", "--store", store], env)
            + _cli(["inspections", "import", str(csv), "--base", str(base), "--store", store],
                   env))


def _state(store: Path) -> tuple[int, int]:
    """``(records, imports)`` in a store."""
    with closing(sqlite3.connect(store)) as conn:
        return (conn.execute("SELECT count(*) FROM inspecciones").fetchone()[0],
                conn.execute("SELECT count(*) FROM importaciones").fetchone()[0])
