"""geo.records.store: all-or-nothing imports, idempotence, roles, suppression and the
audit trail."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from geo import columns as C
from geo.errors import DataError
from geo.records.inspections import empty_records, load_records, validate_inspections
from geo.records.store import (
    N_VICTIMAS,
    SUPRIMIDO,
    ImportRejected,
    InspectionStore,
    PermissionDenied,
)

TODAY = dt.date(2025, 6, 30)
HEADER = "id,fecha,ubigeo,sector,hallazgo_tf,victimas"
GOOD = HEADER + """
A1,2021-01-05,080101,mineria,1,2
A2,2021-02-05,080101,tala,0,
A3,2022-03-05,160101,tala,1,4
"""


@pytest.fixture
def store(tmp_path) -> InspectionStore:
    return InspectionStore(tmp_path / "datos" / "inspecciones.sqlite", role="planificador",
                           user="ana")


def _audit(store: InspectionStore) -> pd.DataFrame:
    """The audit trail as an administrator reads it (that read is its last row)."""
    return InspectionStore(store.db_path, role="admin", user="auditor").audit()


def _file(tmp_path, text: str, name: str = "insp.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _tables(store) -> dict[str, int]:
    with sqlite3.connect(store.db_path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("inspecciones", "importaciones", "auditoria")}


def test_a_real_sqlite_database(store):
    with sqlite3.connect(store.db_path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        cols = [r[1] for r in conn.execute("PRAGMA table_info(inspecciones)")]
    assert {"inspecciones", "importaciones", "auditoria"} <= names
    assert cols[:3] == [C.ID, C.FECHA, C.UBIGEO] and "import_id" in cols
    assert cols[-3:] == [C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN]


def test_import_then_read_records_equal_validated_rows(tmp_path, store, districts):
    path = _file(tmp_path, GOOD)
    result = store.import_file(path, districts, today=TODAY)
    assert (result.added, result.already_present) == (3, 0)
    expected = validate_inspections(path, districts, today=TODAY).valid
    pd.testing.assert_frame_equal(store.records(), expected)
    imports = store.imports()
    assert imports[["archivo", "filas_nuevas", "filas_existentes", "usuario"]].values.tolist() \
        == [["insp.csv", 3, 0, "ana"]]
    import hashlib

    assert imports["sha256"].iloc[0] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_bad_row_imports_nothing(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    before = _tables(store)
    bad = _file(tmp_path, HEADER + "\nB1,2021-01-05,080101,tala,1,\n"
                "B2,2099-01-01,080101,tala,1,\nB3,2021-01-05,080101,tala,0,\n", "malo.csv")
    with pytest.raises(ImportRejected) as info:
        store.import_file(bad, districts, today=TODAY)
    err = info.value
    assert [(e.line, e.column) for e in err.report.errors] == [(3, C.FECHA)]
    assert "No se importó ninguna fila" in err.es and "No row was imported" in err.en
    after = _tables(store)
    assert after["inspecciones"] == before["inspecciones"] == 3
    assert after["importaciones"] == before["importaciones"] == 1
    assert after["auditoria"] == before["auditoria"] + 1  # the attempt is audited
    assert _audit(store)["accion"].iloc[-2] == "importacion_rechazada"


def test_file_level_error_imports_nothing(tmp_path, store, districts):
    empty = _file(tmp_path, "", "vacio.csv")
    with pytest.raises(DataError, match="vacío"):
        store.import_file(empty, districts, today=TODAY)
    assert _tables(store)["inspecciones"] == 0 and _tables(store)["importaciones"] == 0


def test_reimport_is_idempotent(tmp_path, store, districts):
    path = _file(tmp_path, GOOD)
    first = store.import_file(path, districts, today=TODAY)
    again = store.import_file(path, districts, today=TODAY)
    assert (again.added, again.already_present) == (0, 3)
    assert again.previous_imports == (first.import_id,)
    assert store.count() == 3
    more = _file(tmp_path, GOOD + "A4,2023-01-01,160101,coca,0,\n", "mas.csv")
    third = store.import_file(more, districts, today=TODAY)
    assert (third.added, third.already_present) == (1, 3)
    assert store.count() == 4
    assert store.imports()["filas_nuevas"].tolist() == [3, 0, 1]


def test_conflicting_reimport_reported_not_overwritten(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    changed = _file(tmp_path, HEADER + "\nA9,2021-01-05,080101,tala,1,\n"
                    "A2,2021-02-05,080101,tala,1,\n", "cambio.csv")
    with pytest.raises(ImportRejected) as info:
        store.import_file(changed, districts, today=TODAY)
    assert info.value.conflicts == [{"id": "A2", "line": 3, "columns": [C.HALLAZGO]}]
    assert "id 'A2' difiere en hallazgo_tf" in info.value.es
    assert "id 'A2' differs in hallazgo_tf" in info.value.en
    records = store.records().set_index(C.ID)
    assert "A9" not in records.index  # all or nothing: the new row did not go in either
    assert records.loc["A2", C.HALLAZGO] == 0
    assert _tables(store)["importaciones"] == 1


def test_failure_mid_transaction_rolls_back(tmp_path, store, districts, monkeypatch):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    before = _tables(store)
    import geo.records.store.database as store_module

    real = store_module._to_sql_rows

    def broken(valid):  # the third row violates a CHECK: SQLite fails after two inserts
        rows = real(valid)
        rows[2] = rows[2][:6] + (7,) + rows[2][7:]
        return rows

    monkeypatch.setattr(store_module, "_to_sql_rows", broken)
    path = _file(tmp_path, HEADER + "\nC1,2021-01-01,080101,tala,1,\nC2,2021-01-01,080101,"
                 "tala,1,\nC3,2021-01-01,080101,tala,1,\n", "c.csv")
    with pytest.raises(sqlite3.IntegrityError):
        store.import_file(path, districts, today=TODAY)
    assert _tables(store) == before


def test_crash_mid_import_leaves_store_unchanged(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    before = _tables(store)
    path = _file(tmp_path, HEADER + "\nD1,2021-01-01,080101,tala,1,\n", "d.csv")
    # A process that dies (no exception handling, no cleanup) after inserting the rows and
    # before the commit, as a power cut or a killed process would.
    code = textwrap.dedent(f"""
        import os, datetime as dt
        import geopandas as gpd
        from shapely.geometry import box
        import geo.records.store as s
        real = s.InspectionStore._audit
        def dying(self, user, role, action, detail, conn=None):
            if action == "importacion" and conn is not None:
                n = conn.execute("SELECT count(*) FROM inspecciones").fetchone()[0]
                assert n == {before["inspecciones"] + 1}, n  # the row is in, uncommitted
                os._exit(3)
            return real(self, user, role, action, detail, conn)
        s.InspectionStore._audit = dying
        d = gpd.GeoDataFrame({{"ubigeo": ["080101"]}},
                             geometry=[box(-72.0, -13.6, -71.9, -13.5)], crs=4326)
        st = s.InspectionStore({str(store.db_path)!r}, role="planificador", user="x")
        st.import_file({str(path)!r}, d, today=dt.date(2025, 6, 30))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert _tables(store) == before
    assert "D1" not in store.records()[C.ID].tolist()


@pytest.mark.parametrize("role", ["gobierno_regional", "investigador"])
def test_roles_without_record_access(tmp_path, store, districts, role):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    other = InspectionStore(store.db_path, role=role, user="luis")
    with pytest.raises(PermissionDenied) as info:
        other.records()
    assert f"El rol '{role}' no puede ver registros individuales" in info.value.es
    assert f"Role '{role}' may not see individual inspection records" in info.value.en
    with pytest.raises(PermissionDenied):
        other.import_file(_file(tmp_path, GOOD, "otro.csv"), districts, today=TODAY)
    with pytest.raises(PermissionDenied):
        other.audit()
    with pytest.raises(PermissionDenied, match="umbral de supresión"):
        other.aggregate_by_district(min_count=1)
    assert len(other.aggregate_by_district()) == 2  # aggregates are allowed
    audit = _audit(store)
    denied = audit[(audit["usuario"] == "luis") & (audit["accion"] == "denegado")]
    assert [json.loads(d)["accion"] for d in denied["detalle"]] == [
        "leer_registros", "importar", "leer_auditoria", "umbral_supresion"]
    assert store.count() == 3


def test_unknown_or_missing_role(tmp_path):
    with pytest.raises(PermissionDenied, match="Rol desconocido: 'jefe'"):
        InspectionStore(tmp_path / "s.sqlite", role="jefe").records()
    with pytest.raises(PermissionDenied, match="El rol 'admin' no puede ver registros"):
        InspectionStore(tmp_path / "s.sqlite", role="admin").records()
    with pytest.raises(PermissionDenied, match="Indique el rol"):
        InspectionStore(tmp_path / "s.sqlite").records()


def test_small_counts_suppressed(tmp_path, store, districts):
    # Cusco: 6 inspections, 3 with findings, 7 victims; Iquitos: 2 inspections, 0 findings,
    # no victim counts at all.
    rows = [f"K{i},2021-01-0{i},080101,tala,{int(i <= 3)},{[7, 0, 0, 0, 0, 0][i - 1]}"
            for i in range(1, 7)]
    rows += ["L1,2021-01-01,160101,tala,0,", "L2,2022-01-01,160101,tala,0,"]
    store.import_file(_file(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"), districts,
                      today=TODAY)
    out = InspectionStore(store.db_path, role="investigador").aggregate_by_district()
    out = out.set_index(C.UBIGEO)
    cusco, iquitos = out.loc["080101"], out.loc["160101"]
    assert cusco[C.N_INSPECCIONES] == 6 and pd.isna(cusco[C.N_HALLAZGOS])
    assert cusco[N_VICTIMAS] == 7 and cusco[SUPRIMIDO] == C.N_HALLAZGOS
    assert pd.isna(iquitos[C.N_INSPECCIONES]) and iquitos[C.N_HALLAZGOS] == 0
    assert pd.isna(iquitos[N_VICTIMAS]) and iquitos[SUPRIMIDO] == C.N_INSPECCIONES
    exact = store.aggregate_by_district(min_count=1).set_index(C.UBIGEO)
    assert exact[C.N_HALLAZGOS].tolist() == [3, 0] and exact[SUPRIMIDO].tolist() == ["", ""]
    by_year = store.aggregate_by_year_department(min_count=1)
    assert by_year[["anio", C.COD_DEP, C.N_INSPECCIONES]].values.tolist() == [
        [2021, "08", 6], [2021, "16", 1], [2022, "16", 1]]


def test_audit_trail(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    store.records(user="maria")
    InspectionStore(store.db_path, role="gobierno_regional", user="gore").aggregate_by_district()
    audit = _audit(store)
    assert audit[["usuario", "rol", "accion"]].values.tolist()[1:] == [
        ["ana", "planificador", "importacion"],
        ["maria", "planificador", "lectura_registros"],
        ["gore", "gobierno_regional", "lectura_agregados"],
        ["auditor", "admin", "lectura_auditoria"],
    ]
    assert audit["accion"].iloc[0] == "almacen_creado"
    detail = json.loads(audit["detalle"].iloc[1])
    assert detail["filas_nuevas"] == 3 and len(detail["sha256"]) == 64
    assert all(dt.datetime.fromisoformat(t).tzinfo is not None for t in audit["fecha_hora"])


def test_empty_store_aggregates(store):
    out = store.aggregate_by_district()
    assert out.empty and {C.UBIGEO, C.N_INSPECCIONES, SUPRIMIDO} <= set(out.columns)


def test_not_a_database(tmp_path):
    path = tmp_path / "roto.sqlite"
    path.write_text("esto no es una base de datos " * 100)
    with pytest.raises(DataError, match="no es un almacén de inspecciones válido"):
        InspectionStore(path, role="planificador")
    assert path.read_text().startswith("esto no es")  # left as it was


def test_load_records_adds_store_to_file(tmp_path, store, districts, monkeypatch):
    import types

    other = _file(tmp_path, HEADER + "\nZ1,2021-01-05,080101,mineria,1,\n", "otro.csv")
    settings = types.SimpleNamespace(inspections=other, base=None, region=("08", "16"))
    # empty store: the settings' file
    assert load_records(settings, store.db_path, districts=districts)[C.ID].tolist() == ["Z1"]
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    records = load_records(settings, store.db_path, user="modelo", districts=districts)
    # the history file is kept: file + store, sorted by date then id
    assert records[C.ID].tolist() == ["A1", "Z1", "A2", "A3"]
    assert records.attrs["fuentes"] == {"archivo": 1, "almacen": 3}
    assert _audit(store)[["usuario", "rol", "accion"]].values.tolist()[-2] == [
        "modelo", "sistema", "lectura_registros"]
    # default: the store at geo.paths.store_path(), when it exists; False ignores it
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(store.db_path.parent))  # .../inspecciones.sqlite
    assert load_records(settings, districts=districts)[C.ID].tolist() == ["A1", "Z1", "A2", "A3"]
    assert load_records(settings, False, districts=districts)[C.ID].tolist() == ["Z1"]
    # no file: the store only
    no_file = types.SimpleNamespace(inspections=None, base=None, region=("08", "16"))
    assert load_records(no_file, store.db_path)[C.ID].tolist() == ["A1", "A2", "A3"]


def test_load_records_store_version_wins(tmp_path, store, districts):
    import types

    history = _file(tmp_path, HEADER + """
H1,2020-01-05,080101,mineria,1,
A2,2020-02-05,080101,mineria,1,7
H3,2020-03-05,160101,tala,0,
""", "historia.csv")
    store.import_file(_file(tmp_path, HEADER + """
A2,2021-02-05,080101,tala,0,
N1,2022-03-05,160101,tala,1,4
"""), districts, today=TODAY)
    settings = types.SimpleNamespace(inspections=history, base=None, region=("08", "16"))
    records = load_records(settings, store.db_path, districts=districts)
    assert len(records) == 4
    assert records[C.ID].tolist() == ["H1", "H3", "A2", "N1"]
    a2 = records.set_index(C.ID).loc["A2"]
    assert (a2[C.SECTOR], a2[C.HALLAZGO], str(a2[C.FECHA].date())) == ("tala", 0, "2021-02-05")
    assert records.attrs["reemplazados"] == ["A2"]
    assert records.attrs["fuentes"] == {"archivo": 2, "almacen": 2}
    es, en = records.attrs["notas"][0]
    assert "A2" in es and "almacén" in es and "historia.csv" in es and "store" in en
    assert records[C.HALLAZGO].dtype == "int64" and records[C.VICTIMAS].dtype == "Int64"


# --- command line: riskmap inspections validate|import|list --------------------------------


@pytest.fixture
def cli(monkeypatch, districts, tmp_path):
    """Run `riskmap ...` with the two inline districts and a store in tmp_path."""
    import dashboard.commands.inspections as command
    from dashboard.cli import main

    monkeypatch.setattr(command, "_districts", lambda args: districts)
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    return main


def test_cli_validate_reports_each_bad_row(tmp_path, cli, capsys):
    bad = _file(tmp_path, HEADER + "\nA,2021-01-01,12345,tala,1,\nB,ayer,080101,tala,1,\n"
                "C,2021-01-01,080101,tala,1,\n")
    assert cli(["inspections", "validate", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "3 filas leídas, 1 válida, 2 con errores" in out
    assert "línea 2, columna 'ubigeo'" in out and "línea 3, columna 'fecha'" in out
    assert cli(["--lang", "en", "inspections", "validate", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "line 2, column 'ubigeo'" in out and "cannot read date 'ayer'" in out
    good = _file(tmp_path, GOOD, "bueno.csv")
    assert cli(["inspections", "validate", str(good)]) == 0


def test_cli_file_errors_are_messages_not_tracebacks(tmp_path, cli, capsys):
    empty = _file(tmp_path, "", "vacio.csv")
    assert cli(["inspections", "validate", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "vacío" in err and "Traceback" not in err
    cols = _file(tmp_path, "a,b\n1,2\n", "cols.csv")
    assert cli(["--lang", "en", "inspections", "import", str(cols)]) == 2
    err = capsys.readouterr().err
    assert "required columns are missing" in err and "Traceback" not in err


def test_cli_import_all_or_nothing_and_list(tmp_path, cli, capsys):
    from geo import paths

    good = _file(tmp_path, GOOD)
    assert cli(["inspections", "import", str(good)]) == 0
    assert "3 inspecciones nuevas, 0 ya estaban guardadas" in capsys.readouterr().out
    assert cli(["inspections", "import", str(good)]) == 0
    assert "ya se había importado" in capsys.readouterr().out
    bad = _file(tmp_path, GOOD + "A9,2099-01-01,080101,tala,1,\n", "malo.csv")
    assert cli(["inspections", "import", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "línea 5, columna 'fecha'" in out and "el almacén no cambió" in out
    store = InspectionStore(paths.store_path(), role="planificador")
    assert store.count() == 3 and len(store.imports()) == 2
    assert cli(["inspections", "list", "--rol", "planificador"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Rol: planificador (conteos exactos)")
    assert out[2].split() == ["2021", "Cusco", "2", "1", "2"]
    assert out[3].split() == ["2022", "Loreto", "1", "1", "4"]
    assert cli(["inspections", "list", "--rol", "investigador"]) == 0
    out = capsys.readouterr().out
    assert "<5" in out and "suprimido" in out and "Rol: investigador;" in out
    # no --rol: the least privileged view, and it says so
    assert cli(["inspections", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Rol: investigador, por defecto; los conteos de 1 a 4 se suprimen")
    assert "--rol planificador" in out[0]
    assert out[2].split() == ["2021", "Cusco", "<5", "<5", "<5"]


@pytest.mark.slow
def test_cli_validates_and_imports_the_demo_records(demo_dir, base_gpkg, tmp_path, capsys):
    """Integration: the demo world's records pass the contract against the real districts."""
    from dashboard.cli import main

    records = demo_dir / "inspecciones.csv"
    assert main(["inspections", "validate", str(records), "--base", str(base_gpkg)]) == 0
    out = capsys.readouterr().out
    n = len(pd.read_csv(records, dtype=str))
    assert f"{n} filas leídas, {n} válidas, 0 con errores" in out
    db = tmp_path / "demo.sqlite"
    assert main(["inspections", "import", str(records), "--base", str(base_gpkg),
                 "--store", str(db)]) == 0
    assert InspectionStore(db, role="planificador").count() == n
    assert main(["inspections", "list", "--store", str(db)]) == 0
    assert "Loreto" in capsys.readouterr().out


# --- regions, audit chain, files at rest, backup and restore ---------------------------
def test_regions_scope_reads_and_imports(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    cusco = InspectionStore(store.db_path, role="planificador", user="ana", regions=("08",))
    assert cusco.records()[C.ID].tolist() == ["A1", "A2"]
    assert cusco.aggregate_by_district(min_count=1)[C.UBIGEO].tolist() == ["080101"]
    loreto_gov = InspectionStore(store.db_path, role="gobierno_regional", user="g",
                                 regions=("16",))
    assert loreto_gov.aggregate_by_district()[C.UBIGEO].tolist() == ["160101"]
    # a Cusco planner cannot import a Loreto record: nothing is written, the row is named
    before = _tables(store)
    mixed = _file(tmp_path, HEADER + "\nB1,2021-01-05,080101,tala,0,\n"
                  "B2,2021-01-06,160101,tala,1,3\n", "mixto.csv")
    with pytest.raises(ImportRejected) as info:
        cusco.import_file(mixed, districts, today=TODAY, history=empty_records())
    assert "línea 3: ubigeo 160101 (Loreto)" in info.value.es
    assert "fuera de sus regiones (Cusco)" in info.value.es
    assert "line 3: ubigeo 160101 (Loreto)" in info.value.en
    after = _tables(store)
    assert after["inspecciones"] == before["inspecciones"]
    assert after["importaciones"] == before["importaciones"]
    # an id used in Loreto: refused, and nothing about that record is said (no columns)
    guess = _file(tmp_path, HEADER + "\nA3,2022-03-05,080101,tala,1,4\n", "adivina.csv")
    with pytest.raises(ImportRejected) as info:
        cusco.import_file(guess, districts, today=TODAY, history=empty_records())
    assert "fuera de sus regiones" in info.value.es and "línea 2 ('A3')" in info.value.es
    assert not any(w in info.value.es for w in ("difiere", "fecha", "sector", "victimas"))
    assert not info.value.conflicts
    # the import log: a Loreto-only import is not a Cusco planner's business
    store.import_file(_file(tmp_path, HEADER + "\nL9,2021-01-05,160101,tala,0,\n", "lor.csv"),
                      districts, today=TODAY)
    assert store.imports()["archivo"].tolist() == ["insp.csv", "lor.csv"]
    assert cusco.imports()["archivo"].tolist() == ["insp.csv"]


def test_store_files_are_owner_only(store):
    from geo.trust.audit import seal_path

    for path in (store.db_path, seal_path(store.db_path)):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_world_readable_store_is_tightened(tmp_path):
    path = tmp_path / "s.sqlite"
    InspectionStore(path, role="planificador", user="ana")
    path.chmod(0o644)
    InspectionStore(path, role="planificador", user="ana").count()
    assert path.stat().st_mode & 0o777 == 0o600


def test_audit_verify_intact_then_edited_row_named(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    store.records(user="maria")
    report = store.verify_audit()
    assert report.ok and report.rows == 3, report.render()
    with sqlite3.connect(store.db_path) as conn:  # an attacker with sqlite3
        conn.execute("DROP TRIGGER auditoria_sin_cambios")
        conn.execute("UPDATE auditoria SET usuario = 'nadie' WHERE id = 2")
        conn.execute("""CREATE TRIGGER auditoria_sin_cambios BEFORE UPDATE ON auditoria
                        BEGIN SELECT RAISE(ABORT, 'x'); END""")
    report = store.verify_audit()
    assert not report.ok and [p.row for p in report.problems] == [2]
    assert "fila 2" in report.render("es") and "editada" in report.render("es")


def test_audit_is_append_only_in_sqlite(store):
    with sqlite3.connect(store.db_path) as conn, pytest.raises(sqlite3.DatabaseError,
                                                               match="append-only"):
        conn.execute("DELETE FROM auditoria WHERE id = 1")


@pytest.mark.parametrize("victim", [1, 2, 3])
def test_audit_verify_names_a_deleted_row_anywhere(tmp_path, store, districts, victim):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    store.records(user="maria")  # rows: 1 created, 2 import, 3 read
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("DROP TRIGGER auditoria_sin_borrado")
        conn.execute("DELETE FROM auditoria WHERE id = ?", (victim,))
    report = store.verify_audit()
    assert not report.ok
    assert report.problems[0].row == victim, report.render()
    assert "borrada" in report.render("es")
    assert any("auditoria_sin_borrado" in p.es for p in report.problems)


def test_audit_forged_hash_is_caught_without_the_key(tmp_path, store, districts):
    import hashlib

    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    with sqlite3.connect(store.db_path) as conn:  # recompute a plain SHA-256: still wrong
        conn.execute("DROP TRIGGER auditoria_sin_cambios")
        row = conn.execute("SELECT * FROM auditoria WHERE id = 2").fetchone()
        forged = hashlib.sha256(repr(row).encode()).hexdigest()
        conn.execute("UPDATE auditoria SET detalle = '{}', hash = ? WHERE id = 2", (forged,))
    report = store.verify_audit()
    assert 2 in [p.row for p in report.problems]


def test_missing_seal_stops_writing(tmp_path, store):
    from geo.trust.audit import seal_path

    seal_path(store.db_path).unlink()
    with pytest.raises(DataError, match="Falta el sello"):
        store.records()


def test_backup_and_restore_round_trip(tmp_path, store, districts):
    from geo.records.store import backup_store, restore_store

    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    backup = backup_store(store.db_path, tmp_path / "respaldo.sqlite")
    assert backup.stat().st_mode & 0o777 == 0o600
    with pytest.raises(DataError, match="ya existe"):
        backup_store(store.db_path, backup)
    # later work that the restore will undo
    store.import_file(_file(tmp_path, HEADER + "\nZ9,2021-01-05,080101,tala,0,\n", "z.csv"),
                      districts, today=TODAY)
    assert store.count() == 4
    result = restore_store(store.db_path, backup)
    assert store.count() == 3 and result.records == 3
    assert result.previous_audit is not None and result.previous_audit.is_file()
    assert result.previous_audit.stat().st_mode & 0o777 == 0o600
    kept = [json.loads(line)["accion"] for line in result.previous_audit.read_text().splitlines()]
    assert kept.count("importacion") == 2  # the replaced trail is not lost
    report = store.verify_audit()
    assert report.ok, report.render()
    assert _audit(store)["accion"].iloc[-2] == "restauracion"
    with sqlite3.connect(store.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_restore_refuses_an_altered_backup(tmp_path, store, districts):
    from geo.records.store import backup_store, restore_store

    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    backup = backup_store(store.db_path, tmp_path / "respaldo.sqlite")
    with sqlite3.connect(backup) as conn:
        conn.execute("DROP TRIGGER auditoria_sin_cambios")
        conn.execute("UPDATE auditoria SET usuario = 'x' WHERE id = 2")
    before = _tables(store)
    with pytest.raises(DataError, match="fue alterada"):
        restore_store(store.db_path, backup)
    assert _tables(store) == before


def test_schema_1_store_is_migrated_and_sealed(tmp_path):
    path = tmp_path / "viejo.sqlite"
    with sqlite3.connect(path) as conn:  # what riskmap 0.1 wrote
        conn.executescript("""
            CREATE TABLE meta (clave TEXT PRIMARY KEY, valor TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema_version', '1');
            CREATE TABLE auditoria (id INTEGER PRIMARY KEY AUTOINCREMENT, fecha_hora TEXT
                NOT NULL, usuario TEXT NOT NULL, rol TEXT NOT NULL, accion TEXT NOT NULL,
                detalle TEXT NOT NULL);
            INSERT INTO auditoria (fecha_hora, usuario, rol, accion, detalle)
                VALUES ('2025-01-01T00:00:00+00:00', 'ana', 'planificador', 'importacion',
                        '{}');
        """)
    store = InspectionStore(path, role="admin", user="auditor")
    audit = store.audit()
    assert audit["accion"].tolist() == ["importacion", "esquema_actualizado",
                                        "lectura_auditoria"]
    assert store.verify_audit().ok


def _as_schema_2(path) -> None:
    """Make a store look as riskmap wrote it before victims' sex, age and origin (schema 2)."""
    with sqlite3.connect(path) as conn:
        for col in (C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN):
            conn.execute(f"ALTER TABLE inspecciones DROP COLUMN {col}")
        conn.execute("UPDATE meta SET valor = '2' WHERE clave = 'schema_version'")


def test_schema_2_store_gains_the_victim_columns_and_keeps_its_records(tmp_path, store,
                                                                        districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    _as_schema_2(store.db_path)
    reopened = InspectionStore(store.db_path, role="planificador", user="ana")
    records = reopened.records()
    assert records[C.ID].tolist() == ["A1", "A2", "A3"]
    assert records[C.UBIGEO_ORIGEN].isna().all()
    trail = _audit(store)
    update = trail[trail["accion"] == "esquema_actualizado"]
    assert json.loads(update["detalle"].iloc[-1])["columnas_nuevas"] == [
        C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN]
    assert reopened.verify_audit().ok
    more = _file(tmp_path, "id,fecha,ubigeo,sector,hallazgo_tf,indicadores,victimas,"
                 "victimas_mujeres,victimas_menores,ubigeo_origen\n"
                 "B1,2023-01-05,160101,tala,1,OIT09,3,2,1,210101\n", "nuevo.csv")
    reopened.import_file(more, districts, today=TODAY, origins={"160101", "210101"})
    row = reopened.records().set_index(C.ID).loc["B1"]
    assert (row[C.VICTIMAS_MUJERES], row[C.VICTIMAS_MENORES], row[C.UBIGEO_ORIGEN]) == (
        2, 1, "210101")


def test_a_later_file_completes_old_records_without_overwriting(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)  # no victim columns
    richer = _file(tmp_path, "id,fecha,ubigeo,sector,hallazgo_tf,victimas,victimas_mujeres,"
                   "ubigeo_origen\nA1,2021-01-05,080101,mineria,1,2,1,080101\n"
                   "A3,2022-03-05,160101,tala,1,4,,\n", "completo.csv")
    result = store.import_file(richer, districts, today=TODAY)
    assert (result.added, result.already_present, result.completed) == (0, 2, 1)
    row = store.records().set_index(C.ID).loc["A1"]
    assert (row[C.VICTIMAS_MUJERES], row[C.UBIGEO_ORIGEN]) == (1, "080101")
    trail = _audit(store)
    detail = json.loads(trail[trail["accion"] == "importacion"]["detalle"].iloc[-1])
    assert detail["filas_completadas"] == 1 and detail["ids_completados"] == ["A1"]
    # a filled cell is never overwritten: a different value is a conflict, nothing written
    other = _file(tmp_path, "id,fecha,ubigeo,sector,hallazgo_tf,victimas,victimas_mujeres\n"
                  "A1,2021-01-05,080101,mineria,1,2,2\n", "otro.csv")
    with pytest.raises(ImportRejected) as err:
        store.import_file(other, districts, today=TODAY)
    assert err.value.conflicts[0]["columns"] == [C.VICTIMAS_MUJERES]
    assert store.records().set_index(C.ID).loc["A1", C.VICTIMAS_MUJERES] == 1
    # the first file, without those columns, still imports as already stored
    again = store.import_file(tmp_path / "insp.csv", districts, today=TODAY)
    assert (again.added, again.already_present, again.completed) == (0, 3, 0)
    assert store.verify_audit().ok


def test_a_schema_2_backup_restores_and_is_migrated(tmp_path, store, districts):
    from geo.records.store import backup_store, restore_store

    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    backup = backup_store(store.db_path, tmp_path / "respaldo.sqlite")
    _as_schema_2(backup)  # as a backup made before the upgrade
    restore_store(store.db_path, backup)
    reopened = InspectionStore(store.db_path, role="planificador", user="ana")
    assert reopened.count() == 3 and C.UBIGEO_ORIGEN in reopened.records()
    assert reopened.verify_audit().ok


def test_restore_refuses_another_stores_backup_unless_told(tmp_path, store, districts):
    from geo.records.store import backup_store, restore_store

    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    other = InspectionStore(tmp_path / "otro" / "s.sqlite", role="planificador", user="x")
    foreign = backup_store(other.db_path, tmp_path / "ajeno.sqlite")
    with pytest.raises(DataError, match="otro almacén"):
        restore_store(store.db_path, foreign)
    assert store.count() == 3
    result = restore_store(store.db_path, foreign, accept_other_store=True)
    assert store.count() == 0 and result.previous_rows > 0
    assert store.verify_audit().ok
    kept = [json.loads(x) for x in result.previous_audit.read_text().splitlines()]
    assert kept[-1]["accion"] == "restauracion_iniciada"  # said in the replaced trail too
    trail = _audit(store)
    assert json.loads(trail[trail["accion"] == "restauracion"]["detalle"].iloc[-1])[
        "sha256_auditoria_anterior"]


def test_a_version_changed_by_hand_is_not_migrated(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)
    with sqlite3.connect(store.db_path) as conn:  # hide a row, then claim schema 1
        conn.execute("DROP TRIGGER auditoria_sin_borrado")
        conn.execute("DELETE FROM auditoria WHERE id = 2")
        conn.execute("UPDATE meta SET valor = '1' WHERE clave = 'schema_version'")
    with pytest.raises(DataError, match="cambiada a mano"):
        InspectionStore(store.db_path, role="admin", user="auditor")


# --- the store follows the deployment's settings (issue 12) ---------------------------
def test_the_store_follows_the_settings_not_the_working_folder(tmp_path, cli, monkeypatch,
                                                               districts, capsys):
    """`[data] store` in the active settings decides where imports go and what is read;
    the working data folder's store is neither created nor read."""
    from geo.config import active_store, load_settings
    from geo.records.inspections import load_records

    office = tmp_path / "oficina"
    office.mkdir()
    (office / "settings.toml").write_text(
        'config_version = 1\n[data]\nregion = ["08", "16"]\nstore = "registro/almacen.sqlite"\n',
        encoding="utf-8")
    monkeypatch.setenv("RISKMAP_CONFIG", str(office / "settings.toml"))
    assert cli(["inspections", "import", str(_file(tmp_path, GOOD))]) == 0
    own = office / "registro" / "almacen.sqlite"
    assert InspectionStore(own, role="planificador").count() == 3
    assert not (tmp_path / "datos" / "inspecciones.sqlite").exists()
    assert active_store() == own
    settings = load_settings(office / "settings.toml", check_files=False)
    assert settings.store_path == own
    assert load_records(settings, districts=districts)[C.ID].tolist() == ["A1", "A2", "A3"]
    # the audit and backup commands find it too
    assert cli(["audit", "verify"]) == 0
    assert cli(["store", "backup", str(tmp_path / "copia.sqlite")]) == 0
    assert InspectionStore(tmp_path / "copia.sqlite", role="planificador").count() == 3
    assert not (tmp_path / "datos" / "inspecciones.sqlite").exists()
    # settings that name no store keep the working data folder's
    (office / "otra.toml").write_text('config_version = 1\n[data]\nregion = ["08"]\n',
                                      encoding="utf-8")
    plain = load_settings(office / "otra.toml", check_files=False)
    assert plain.store_path == tmp_path / "datos" / "inspecciones.sqlite"
    # a real deployment's store never moves silently with its base: unset RISKMAP_DATA_DIR
    # and it is still the working folder's, wherever the base lies
    monkeypatch.delenv("RISKMAP_DATA_DIR")
    (office / "real.toml").write_text(
        'config_version = 1\n[data]\nbase = "/srv/sig/peru_base.gpkg"\nregion = ["08"]\n',
        encoding="utf-8")
    from geo import paths

    assert load_settings(office / "real.toml", check_files=False).store_path == \
        paths.store_path()
    # --config names whose store a command opens, whatever the active settings are
    monkeypatch.setenv("RISKMAP_CONFIG", str(office / "real.toml"))
    capsys.readouterr()
    assert cli(["inspections", "list", "--config", str(office / "settings.toml"),
                "--rol", "planificador"]) == 0
    listed = capsys.readouterr().out
    assert re.search(r"2021\s+Cusco\s+2\s+1\s+2\b", listed), listed  # A1, A2 of the office
    assert re.search(r"2022\s+Loreto\s+1\s+1\s+4\b", listed), listed


def test_the_demo_keeps_its_store_in_the_data_folder_it_was_made_in(demo_settings, base_gpkg,
                                                                    monkeypatch):
    """`riskmap prepare --data-dir X` writes X/demo: its store is X/inspecciones.sqlite,
    beside X/peru_base.gpkg, not the checkout's data/inspecciones.sqlite — unless
    $RISKMAP_DATA_DIR names the working folder (it does in this test session)."""
    from geo import paths

    assert demo_settings.store_path == paths.store_path()  # $RISKMAP_DATA_DIR set
    monkeypatch.delenv("RISKMAP_DATA_DIR")
    assert demo_settings.store_path == base_gpkg.resolve().parent / "inspecciones.sqlite"
    assert paths.store_path() != demo_settings.store_path  # the checkout's data/ is not it


# --- writes stay in their region (issue 21) ---------------------------------------------
HISTORY = HEADER + """
H-LOR,2016-05-10,160101,tala,1,4
H-CUS,2017-06-11,080101,mineria,1,2
H-SAME,2018-07-12,080101,agricultura,0,
"""


def _history(tmp_path, districts):
    """The deployment's history file (``[data] inspections``) as the model reads it."""
    import types

    path = _file(tmp_path, HISTORY, "historia.csv")
    settings = types.SimpleNamespace(inspections=path, base=None, region=("08", "16"))
    return settings, validate_inspections(path, districts, today=TODAY).valid


def _cusco(store) -> InspectionStore:
    return InspectionStore(store.db_path, role="planificador", user="ana", regions=("08",))


def test_an_id_of_another_region_in_the_history_file_is_refused_without_saying_where(
        tmp_path, store, districts):
    settings, history = _history(tmp_path, districts)
    cusco = _cusco(store)
    cusco.import_file(_file(tmp_path, HEADER + "\nC1,2021-01-05,080101,tala,0,\n", "c1.csv"),
                      districts, today=TODAY, history=history)
    before, trail_before = _tables(store), len(_audit(store))
    # the attack of issue 21: Loreto's finding (4 victims) re-sent as a Cusco record
    attack = _file(tmp_path, HEADER + "\nC2,2021-02-05,080101,tala,0,\n"
                   "H-LOR,2016-05-10,080101,tala,0,0\n", "ataque.csv")
    with pytest.raises(ImportRejected) as info:
        cusco.import_file(attack, districts, today=TODAY, history=history)
    err = info.value
    assert "línea 3 ('H-LOR')" in err.es and "line 3 ('H-LOR')" in err.en
    assert "No se importó ninguna fila" in err.es
    for text in (err.es, err.en):  # nothing about where that record is, or what it holds
        assert not any(w in text for w in ("Loreto", "160101", "Maynas", "Iquitos", "tala",
                                           "2016", "victimas", "4 "))
    assert not err.conflicts
    # nothing written: no record, no import; the refusal is audited (and only that)
    after = _tables(store)
    assert after["inspecciones"] == before["inspecciones"]
    assert after["importaciones"] == before["importaciones"]
    trail = _audit(store)
    assert len(trail) == trail_before + 2  # the refusal, then this read of the trail
    refusal = json.loads(trail["detalle"].iloc[-2])
    assert trail["accion"].iloc[-2] == "importacion_rechazada"
    assert refusal["ids_de_otra_region"] == 1 and refusal["ids"] == ["H-LOR"]
    # Loreto's record is the history file's, unchanged, for the model and for everyone
    records = load_records(settings, store.db_path, districts=districts).set_index(C.ID)
    assert (records.loc["H-LOR", C.UBIGEO], records.loc["H-LOR", C.HALLAZGO],
            records.loc["H-LOR", C.VICTIMAS]) == ("160101", 1, 4)
    assert "C2" not in records.index
    # the same id in the store as a Cusco record (left by an import before this check)
    # does not make it Cusco's: the Loreto record is still in the history file
    InspectionStore(store.db_path, role="planificador", user="operador").import_file(
        _file(tmp_path, HEADER + "\nH-LOR,2016-05-10,080101,tala,0,0\n", "viejo.csv"),
        districts, today=TODAY)
    with pytest.raises(ImportRejected, match="H-LOR"):
        cusco.import_file(tmp_path / "viejo.csv", districts, today=TODAY, history=history)
    # without the history file's records a limited session does not import at all
    with pytest.raises(ValueError, match="history"):
        cusco.import_file(attack, districts, today=TODAY)


def test_a_region_may_correct_its_own_history_records_and_each_change_is_audited(
        tmp_path, store, districts):
    settings, history = _history(tmp_path, districts)
    cusco = _cusco(store)
    fix = _file(tmp_path, HEADER + """
H-CUS,2017-06-11,080101,tala,1,3
H-SAME,2018-07-12,080101,agricultura,0,
N1,2022-01-05,080101,mineria,0,
""", "correccion.csv")
    result = cusco.import_file(fix, districts, today=TODAY, history=history)
    assert (result.added, result.already_present, result.corrected) == (3, 0, 1)
    trail = _audit(store)
    row = trail[trail["accion"] == "importacion"].iloc[-1]
    detail = json.loads(row["detalle"])
    assert row["usuario"] == "ana"
    assert detail["registros_cambiados"] == 1
    assert detail["cambios"] == [{"id": "H-CUS", "columnas": [C.SECTOR, C.VICTIMAS],
                                  "en": "archivo_historico"}]
    assert '"tala"' not in row["detalle"] and "mineria" not in row["detalle"]  # no values
    # the correction is what the model now reads
    records = load_records(settings, store.db_path, districts=districts).set_index(C.ID)
    assert (records.loc["H-CUS", C.SECTOR], records.loc["H-CUS", C.VICTIMAS]) == ("tala", 3)
    # a stored record completed with its victims' sex is a change too, named the same way
    richer = _file(tmp_path, "id,fecha,ubigeo,sector,hallazgo_tf,victimas,victimas_mujeres\n"
                   "H-CUS,2017-06-11,080101,tala,1,3,2\n", "mujeres.csv")
    assert cusco.import_file(richer, districts, today=TODAY, history=history).completed == 1
    detail = json.loads(_audit(store).query("accion == 'importacion'")["detalle"].iloc[-1])
    assert detail["cambios"] == [{"id": "H-CUS", "columnas": [C.VICTIMAS_MUJERES],
                                  "en": "almacen"}]
    assert store.verify_audit().ok


def test_every_changed_record_is_audited_however_many(tmp_path, store, districts,
                                                      monkeypatch):
    import geo.records.store.database as S

    monkeypatch.setattr(S, "AUDIT_CHANGES", 2)
    rows = [f"V{i},2019-01-{i + 1:02d},080101,mineria,1,{i}" for i in range(5)]
    history = validate_inspections(_file(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n",
                                         "h.csv"), districts, today=TODAY).valid
    changed = [r.replace("mineria", "tala") for r in rows]
    _cusco(store).import_file(_file(tmp_path, HEADER + "\n" + "\n".join(changed) + "\n"),
                              districts, today=TODAY, history=history)
    trail = _audit(store)
    parts = trail[trail["accion"].isin(["importacion", "importacion_cambios"])]
    assert parts["accion"].tolist() == ["importacion", "importacion_cambios",
                                        "importacion_cambios"]
    ids = [c["id"] for d in parts["detalle"] for c in json.loads(d)["cambios"]]
    assert ids == [f"V{i}" for i in range(5)]
    assert json.loads(parts["detalle"].iloc[0])["partes"] == 3
    assert store.verify_audit().ok


def test_the_import_log_of_a_region_counts_only_its_own_records(tmp_path, store, districts):
    store.import_file(_file(tmp_path, GOOD), districts, today=TODAY)  # 2 Cusco, 1 Loreto
    store.import_file(_file(tmp_path, HEADER + "\nL1,2021-01-05,160101,tala,0,\n", "l.csv"),
                      districts, today=TODAY)
    mine = _cusco(store).imports()
    assert mine["archivo"].tolist() == ["insp.csv"]
    assert mine["filas_nuevas"].tolist() == [2]  # its own records, not the file's 3
    # the import number is a sequence every region shares: it would count the others'
    assert "id" not in mine.columns and "filas_existentes" not in mine.columns
    assert store.imports()["filas_nuevas"].tolist() == [3, 1]


# --- files that are not tables of inspections through the command line (issue 21) -----
def test_cli_refuses_a_huge_single_field_csv_clearly(tmp_path, cli, capsys):
    from geo import paths

    huge = tmp_path / "una_celda.csv"
    with huge.open("wb") as fh:  # 45 MB, one field, no line break: under the size limit
        for _ in range(45):
            fh.write(b"A" * 1_000_000)
    for command in ("validate", "import"):
        assert cli(["inspections", command, str(huge)]) == 2, command
        err = capsys.readouterr().err
        assert "una_celda.csv" in err and "131,072 caracteres" in err, err
        assert "inesperado" not in err and "Traceback" not in err
    assert cli(["--lang", "en", "inspections", "validate", str(huge)]) == 2
    assert "131,072 characters" in capsys.readouterr().err
    assert InspectionStore(paths.store_path(), role="planificador").count() == 0
