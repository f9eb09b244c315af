"""The audit trail anchored outside the server (issue 21): key outside, witness, tampering.

An attacker here is root on the server: they hold the key, can drop the triggers, rewrite
the rows, recompute every hash and edit the seal — everything plain ``riskmap audit verify``
checks. Each tampering below first shows that the trail then passes the check without the
witness (``InspectionStore.verify_audit``), then that ``riskmap audit verify --witness``
fails (exit 2) naming the first bad row or the missing range.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import socket
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from geo.errors import ConfigError, DataError
from geo.paths import REPO_ROOT
from geo.records.store import InspectionStore
from geo.trust import audit as A
from geo.trust.audit import store_settings


# -- a deployment: the store in datos/, its key in claves/, its witness in testigo/ ----------
@pytest.fixture
def place(tmp_path, monkeypatch):
    """Folders of a deployment and settings that name them; fresh registries of geo.trust.audit."""
    monkeypatch.setattr(store_settings, "_CHOSEN", {})
    monkeypatch.setattr(store_settings, "_ACTIVE", {})
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    for folder in ("datos", "testigo"):
        (tmp_path / folder).mkdir()
    return tmp_path


def _settings(place: Path, audit: str, monkeypatch) -> Path:
    path = place / "ajustes.toml"
    path.write_text('config_version = 1\n[data]\nworkdir = "."\nsimulated = false\n'
                    'store = "datos/inspecciones.sqlite"\n[audit]\n' + audit, encoding="utf-8")
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    return path


AUDIT = ('key_file = "claves/auditoria.clave"\nwitness = "testigo/riskmap.testigo"\n'
         "anchor_every_minutes = 60\n")


@pytest.fixture
def deployment(place, monkeypatch):
    """Settings with a key file and a witness file; the store is made (and anchored) here."""
    _settings(place, AUDIT, monkeypatch)
    store = _store(place)
    store.record_event("pagina", {"pagina": "mapa"})
    return place


@pytest.fixture
def cli(monkeypatch):
    from dashboard.cli import main

    def run(argv, stdin: str | None = None) -> int:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main(argv)

    return run


def _store(place: Path) -> InspectionStore:
    return InspectionStore(place / "datos" / "inspecciones.sqlite", role="admin", user="ana")


def _db(place: Path) -> Path:
    return place / "datos" / "inspecciones.sqlite"


def _witness(place: Path) -> Path:
    return place / "testigo" / "riskmap.testigo"


def _events(place: Path, n: int, anchor_each: bool = False, cli=None,
            action: str = "distrito") -> None:
    """``n`` page views (audit rows); with ``anchor_each``, `riskmap audit anchor` after each."""
    for i in range(n):
        _store(place).record_event(action, {"ubigeo": f"0801{i:02d}"})
        if anchor_each:
            assert cli(["audit", "anchor"]) == 0


def _rows(place: Path) -> list[tuple]:
    with sqlite3.connect(_db(place)) as conn:
        return conn.execute(f"SELECT {', '.join(A.COLUMNS)} FROM auditoria ORDER BY id").fetchall()


def _key(place: Path) -> bytes:
    """What root reads on the server."""
    return bytes.fromhex((place / "claves" / "auditoria.clave").read_text().strip())


def _rewrite(place: Path, rows: list[tuple], key: bytes) -> None:
    """Root with the key: replace the whole trail by ``rows`` re-chained, and seal its end."""
    previous, chained = A.GENESIS, []
    for new_id, row in enumerate(rows, start=1):
        values = (new_id, *row[1:6])
        digest = A.row_hash(key, values, previous)
        chained.append((*values, previous, digest))
        previous = digest
    with sqlite3.connect(_db(place)) as conn:
        conn.execute("DROP TRIGGER auditoria_sin_borrado")
        conn.execute("DELETE FROM auditoria")
        conn.executemany(f"INSERT INTO auditoria ({', '.join(A.COLUMNS)}) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?)", chained)
        A.create_table(conn)  # the triggers back, as if nothing happened
    _edit_seal(place, len(chained), previous)


def _edit_seal(place: Path, last_id: int, last_hash: str) -> None:
    path = A.seal_path(_db(place))
    seal = json.loads(path.read_text())
    seal.update(ultima_fila=last_id, ultimo_hash=last_hash)
    path.write_text(json.dumps(seal))


def _plain_verify_passes(place: Path) -> None:
    """The check without the witness finds nothing: the tampering needs the witness."""
    report = _store(place).verify_audit()
    assert report.ok, report.render()


def _verify_with_witness(cli, capsys, *extra) -> str:
    capsys.readouterr()
    assert cli(["audit", "verify", "--witness", *extra]) == 2
    out = capsys.readouterr().out
    assert "La auditoría fue alterada" in out and "Traceback" not in out
    return out


# -- the key lives outside the store's folder ----------------------------------------------
def test_the_key_is_nowhere_in_the_stores_folder(deployment):
    key = _key(deployment)
    key_file = deployment / "claves" / "auditoria.clave"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o777 == 0o700
    seal = json.loads(A.seal_path(_db(deployment)).read_text())
    assert "clave" not in seal and seal["clave_en"] == {"archivo": str(key_file.resolve())}
    assert seal["huella_clave"] == A.key_fingerprint(key)
    for path in (deployment / "datos").rglob("*"):
        data = path.read_bytes()
        assert key.hex().encode() not in data and key not in data, path
    assert _store(deployment).verify_audit().ok


def test_a_missing_or_wrong_or_open_key_stops_writing(deployment):
    key_file = deployment / "claves" / "auditoria.clave"
    key_file.chmod(0o644)
    with pytest.raises(DataError, match="chmod 600") as info:
        _store(deployment).record_event("pagina", {})
    assert "readable by other users" in info.value.en
    key_file.chmod(0o600)
    good = key_file.read_text()
    key_file.write_text("ab" * 32 + "\n")  # another key: every row would fail, said first
    with pytest.raises(DataError, match="no es la de este almacén"):
        _store(deployment).record_event("pagina", {})
    key_file.unlink()
    with pytest.raises(DataError, match="Falta la clave de la auditoría") as info:
        _store(deployment).record_event("pagina", {})
    assert "not in the store's backups" in info.value.en
    key_file.write_text(good)
    key_file.chmod(0o600)
    _store(deployment).record_event("pagina", {})
    assert _store(deployment).verify_audit().ok


def test_key_in_an_environment_variable(place, monkeypatch):
    _settings(place, 'key_env = "RISKMAP_AUDIT_KEY"\n', monkeypatch)
    monkeypatch.delenv("RISKMAP_AUDIT_KEY", raising=False)
    with pytest.raises(DataError, match="RISKMAP_AUDIT_KEY no está definida"):
        _store(place)
    key = bytes(range(32))
    monkeypatch.setenv("RISKMAP_AUDIT_KEY", key.hex())
    _store(place).record_event("pagina", {})
    seal = json.loads(A.seal_path(_db(place)).read_text())
    assert seal["clave_en"] == {"entorno": "RISKMAP_AUDIT_KEY"} and "clave" not in seal
    assert key.hex() not in A.seal_path(_db(place)).read_text()
    assert _store(place).verify_audit().ok
    monkeypatch.setenv("RISKMAP_AUDIT_KEY", "ff" * 32)
    with pytest.raises(DataError, match="no es la de este almacén"):
        _store(place).record_event("pagina", {})


def test_an_existing_store_keeps_working_and_is_told_how_to_move_its_key(place, monkeypatch,
                                                                          cli, capsys):
    monkeypatch.setenv("RISKMAP_CONFIG", str(place / "no-existe.toml"))
    _events(place, 3)  # a store of before [audit]: the key in its seal
    old = json.loads(A.seal_path(_db(place)).read_text())
    assert "clave" in old
    capsys.readouterr()
    assert cli(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "la clave de la auditoría está en el sello" in out and "move-key" in out
    _settings(place, 'key_file = "claves/auditoria.clave"\n', monkeypatch)
    assert cli(["audit", "verify"]) == 0
    assert "ejecute 'riskmap audit move-key'" in capsys.readouterr().out
    assert cli(["audit", "move-key"]) == 0
    assert "ninguna fila se volvió a firmar" in capsys.readouterr().out
    seal = json.loads(A.seal_path(_db(place)).read_text())
    assert "clave" not in seal and _key(place).hex() == old["clave"]
    assert (place / "claves" / "auditoria.clave").stat().st_mode & 0o777 == 0o600
    _events(place, 1)
    assert cli(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "Auditoría íntegra" in out and "Aviso" not in out
    assert [r[4] for r in _rows(place)][-2:] == ["clave_auditoria_movida", "distrito"]
    assert cli(["audit", "move-key"]) == 0
    assert "ya está en" in capsys.readouterr().out


def test_move_key_never_overwrites_another_key(place, monkeypatch, cli, capsys):
    monkeypatch.setenv("RISKMAP_CONFIG", str(place / "no-existe.toml"))
    _events(place, 1)
    (place / "claves").mkdir(mode=0o700)
    (place / "claves" / "auditoria.clave").write_text("cd" * 32)
    (place / "claves" / "auditoria.clave").chmod(0o600)
    _settings(place, 'key_file = "claves/auditoria.clave"\n', monkeypatch)
    assert cli(["audit", "move-key"]) == 2
    assert "tiene otra clave" in capsys.readouterr().err
    assert "clave" in json.loads(A.seal_path(_db(place)).read_text())  # nothing changed


def test_a_backup_does_not_carry_the_key(deployment, cli, capsys):
    backup = deployment / "respaldo.sqlite"
    assert cli(["store", "backup", str(backup)]) == 0
    data, key = backup.read_bytes(), _key(deployment)
    assert key.hex().encode() not in data and key not in data
    assert cli(["store", "restore", str(backup), "--yes"]) == 0


def test_backup_fields_name_the_key_and_restore_finds_it(deployment):
    seal = A.Seal.load(A.seal_path(_db(deployment)))
    field = A.backup_key_field(seal)
    assert _key(deployment).hex() not in field and "huella_clave" in field
    again = A.Seal.from_backup(deployment / "r.sqlite", field, seal.last_id, seal.last_hash)
    assert again.key == seal.key and again.source == seal.source
    legacy = A.Seal.from_backup(deployment / "r.sqlite", seal.key.hex(), 1, A.GENESIS)
    assert legacy.key == seal.key  # backups made before [audit] still restore
    with pytest.raises(DataError, match="el sello que lleva el respaldo está dañado"):
        A.Seal.from_backup(deployment / "r.sqlite", '{"clave_en": 1}', 1, A.GENESIS)
    (deployment / "claves" / "auditoria.clave").unlink()
    with pytest.raises(DataError, match="no está disponible aquí"):
        A.Seal.from_backup(deployment / "r.sqlite", field, seal.last_id, seal.last_hash)


def test_backup_of_a_store_with_its_key_in_the_seal_says_it_carries_it(place, monkeypatch,
                                                                        cli, capsys):
    monkeypatch.setenv("RISKMAP_CONFIG", str(place / "no-existe.toml"))
    _events(place, 1)
    assert cli(["store", "backup", str(place / "r.sqlite")]) == 0
    assert "este respaldo lleva la clave de la auditoría" in capsys.readouterr().out


# -- where a witness may be ---------------------------------------------------------------------
def test_a_witness_inside_the_stores_folder_is_refused(deployment, cli, capsys, monkeypatch):
    inside = deployment / "datos" / "testigo.log"
    assert cli(["audit", "anchor", "--to", str(inside)]) == 2
    err = capsys.readouterr().err
    assert "está en la carpeta del almacén" in err and "podría reescribir también" in err
    assert not inside.exists()
    assert cli(["--lang", "en", "audit", "verify", "--witness", str(inside)]) == 2
    assert "could rewrite the witness too" in capsys.readouterr().err
    _settings(deployment, 'witness = "datos/testigo.log"\n', monkeypatch)
    with pytest.raises(ConfigError, match="witness: .*está en la carpeta del almacén"):
        from geo.config import load_settings

        load_settings(deployment / "ajustes.toml", check_files=False)


def test_a_witness_on_a_missing_mount_creates_nothing(deployment, cli, capsys):
    assert cli(["audit", "anchor", "--to", str(deployment / "no-montado" / "t.log")]) == 2
    assert "¿está montado el disco del testigo?" in capsys.readouterr().err
    assert not (deployment / "no-montado").exists()


@pytest.mark.parametrize(("audit", "needle"), [
    ("clave = 1\n", "clave desconocida audit.clave"),
    ('key_file = "/k"\nkey_env = "K"\n', "no van juntas"),
    ('key_env = "ab cd"\n', "nombre de una variable de entorno"),
    ('witness = "ftp://x/y"\n', "http://, https:// o syslog://"),
    ("anchor_every_minutes = -1\n", "0 o más"),
    ('key_file = "datos/clave"\n', "key_file: .*volver a firmar"),
])
def test_audit_settings_errors_name_the_key(place, monkeypatch, audit, needle):
    from geo.config import load_settings

    with pytest.raises(ConfigError, match=needle):
        load_settings(_settings(place, audit, monkeypatch), check_files=False)


def test_the_repository_template_documents_audit():
    from geo.config import AuditSpec, load_settings

    template = REPO_ROOT / "config" / "settings.toml"
    assert load_settings(template, check_files=False).audit == AuditSpec()
    text = template.read_text()
    for key in ("[audit]", "key_file", "key_env", "witness", "anchor_every_minutes"):
        assert key in text


# -- anchoring ------------------------------------------------------------------------------
def test_anchors_are_signed_lines_and_forgeries_are_named(deployment, cli, capsys):
    _events(deployment, 2)
    assert cli(["audit", "anchor"]) == 0
    assert "Anclada la fila 4" in capsys.readouterr().out
    lines = _witness(deployment).read_text().splitlines()
    assert len(lines) == 2  # the store's creation anchored itself, then the command
    entry = json.loads(lines[-1])
    assert entry["fila"] == 4 and entry["hash"] == _rows(deployment)[-1][-1]
    assert set(entry) >= {"fecha_hora", "huella_clave", "firma", "almacen"}
    assert cli(["audit", "verify", "--witness"]) == 0
    out = capsys.readouterr().out
    assert "coinciden con 2 anclaje(s) del testigo" in out
    # someone without the key appends an anchor of their own
    forged = {**entry, "fila": 2, "hash": _rows(deployment)[1][-1], "firma": "0" * 64}
    with _witness(deployment).open("a") as fh:
        fh.write(json.dumps(forged) + "\n")
    out = _verify_with_witness(cli, capsys)
    assert "línea 3: un anclaje que no está firmado con la clave de este almacén" in out


def test_the_dashboard_anchors_on_schedule_and_a_dead_witness_never_stops_it(deployment,
                                                                             cli, capsys,
                                                                             monkeypatch):
    assert len(_witness(deployment).read_text().splitlines()) == 1  # at creation
    _events(deployment, 3)  # within the hour: no new anchor
    assert len(_witness(deployment).read_text().splitlines()) == 1
    seal_file = A.seal_path(_db(deployment))
    seal = json.loads(seal_file.read_text())
    hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)).isoformat()
    seal["anclaje"]["intento"] = hour_ago
    seal_file.write_text(json.dumps(seal))
    _events(deployment, 1)  # the first write after the hour anchors its head
    lines = _witness(deployment).read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[-1])["fila"] == 6
    # the witness's mount is gone: pages keep working, the failure is kept and said
    _settings(deployment, AUDIT.replace("testigo/", "no-montado/"), monkeypatch)
    seal = json.loads(seal_file.read_text())
    seal["anclaje"]["intento"] = hour_ago
    seal_file.write_text(json.dumps(seal))
    _events(deployment, 2)
    assert len(_rows(deployment)) == 8
    capsys.readouterr()
    assert cli(["audit", "verify", "--witness", str(_witness(deployment))]) == 0
    out = capsys.readouterr().out
    assert "el último anclaje en" in out and "falló" in out and "¿está montado" in out
    assert "Fila(s) 7–8: posteriores al último anclaje" in out


def test_http_witness(deployment, cli, capsys):
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            received.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(201)
            self.end_headers()

        def do_GET(self):  # noqa: N802
            body = "\n".join(received).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/testigo/cusco"
    try:
        _events(deployment, 2)
        assert cli(["audit", "anchor", "--to", url]) == 0
        assert len(received) == 1 and json.loads(received[0])["fila"] == 4
        assert cli(["audit", "verify", "--witness", url]) == 0
        rows = _rows(deployment)
        _rewrite(deployment, rows[:2], _key(deployment))  # root cuts the end and re-seals
        _plain_verify_passes(deployment)
        out = _verify_with_witness(cli, capsys, url)
        assert "fila(s) 3–4: faltan" in out
    finally:
        server.shutdown()
    assert cli(["audit", "anchor", "--to", url]) == 2  # the endpoint is gone: said, no trace
    err = capsys.readouterr().err
    assert "No se pudo llegar al testigo" in err and "Traceback" not in err


def test_syslog_witness(deployment, cli, capsys):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        port = server.getsockname()[1]
        assert cli(["audit", "anchor", "--to", f"syslog://127.0.0.1:{port}"]) == 0
        message = server.recv(65536).decode()
    assert message.startswith("<110>1 ") and " riskmap - anclaje - {" in message
    # what the syslog server wrote is the witness the auditor passes
    log = deployment / "testigo" / "syslog.log"
    log.write_text("Jan  1 00:00:00 otro-servicio: hola\n" + message + "\n")
    assert cli(["audit", "verify", "--witness", str(log)]) == 0
    assert "1 línea(s) del testigo no son anclajes" in capsys.readouterr().out


# -- the five tamperings ------------------------------------------------------------------
def test_row_edit_with_the_key_names_the_row(deployment, cli, capsys):
    _events(deployment, 5, anchor_each=True, cli=cli)  # rows 2..7, each anchored
    rows = _rows(deployment)
    edited = list(rows[3])
    edited[5] = json.dumps({"ubigeo": "160101"})  # row 4: another district read
    _rewrite(deployment, [*rows[:3], tuple(edited), *rows[4:]], _key(deployment))
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila 4: reescrita después de anclarse" in out, out
    assert "otros 3 anclaje(s) posteriores tampoco coinciden" in out
    capsys.readouterr()
    assert cli(["--lang", "en", "audit", "verify", "--witness"]) == 2
    assert "row 4: rewritten after being anchored" in capsys.readouterr().out


def test_row_edit_between_sparse_anchors_names_the_range(deployment, cli, capsys):
    _events(deployment, 3)
    assert cli(["audit", "anchor"]) == 0  # row 5
    _events(deployment, 4)
    assert cli(["audit", "anchor"]) == 0  # row 9
    rows = _rows(deployment)
    edited = list(rows[6])
    edited[2] = "otra.persona"  # row 7: who read it
    _rewrite(deployment, [*rows[:6], tuple(edited), *rows[7:]], _key(deployment))
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila(s) 6–9: reescrita(s) después de anclarse" in out
    assert "la primera fila alterada está entre la 6 y la 9" in out


def test_deletion_in_the_middle_renumbered_and_rechained(deployment, cli, capsys):
    _events(deployment, 4, anchor_each=True, cli=cli)  # rows 3..6, each anchored
    rows = _rows(deployment)
    _rewrite(deployment, [*rows[:3], *rows[4:]], _key(deployment))  # row 4 gone
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila 4: reescrita después de anclarse" in out
    assert "fila(s) 6: faltan: el testigo vio la fila 6" in out


def test_tail_truncation_with_the_seal_edited(deployment, cli, capsys):
    _events(deployment, 4)
    assert cli(["audit", "anchor"]) == 0  # row 6
    rows = _rows(deployment)
    with sqlite3.connect(_db(deployment)) as conn:  # no key needed for this one
        conn.execute("DROP TRIGGER auditoria_sin_borrado")
        conn.execute("DELETE FROM auditoria WHERE id > 3")
        A.create_table(conn)
    _edit_seal(deployment, 3, rows[2][-1])
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila(s) 4–6: faltan: el testigo vio la fila 6" in out
    assert "la auditoría termina en la 3" in out


def test_whole_trail_rechained_with_the_key(deployment, cli, capsys):
    _events(deployment, 3)
    assert cli(["audit", "anchor"]) == 0  # row 5 (row 1 anchored at creation)
    rows = _rows(deployment)
    hidden = [(r[0], r[1], "alguien" if r[2] == "ana" else r[2], *r[3:]) for r in rows]
    assert hidden != rows
    _rewrite(deployment, hidden, _key(deployment))  # every row re-signed from row 1
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila(s) 2–5: reescrita(s)" in out  # row 1 (system) kept its hash


def test_rollback_to_an_older_copy_of_store_and_seal(deployment, cli, capsys):
    _events(deployment, 2)  # rows 1..4 (the fixture wrote 1 and 2)
    copy = deployment / "copia"
    copy.mkdir()
    for path in (_db(deployment), A.seal_path(_db(deployment))):
        shutil.copy2(path, copy / path.name)  # a backup taken by copying the files
    _events(deployment, 3)
    assert cli(["audit", "anchor"]) == 0  # row 7
    for path in (copy / _db(deployment).name, copy / A.seal_path(_db(deployment)).name):
        shutil.copy2(path, deployment / "datos" / path.name)  # ... put back
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila(s) 5–7: faltan: el testigo vio la fila 7" in out
    # the dashboard keeps writing on the old copy: row 7 exists again, with another hash;
    # the last anchor that still matches is row 1's (the store's creation)
    _events(deployment, 4, action="exportacion")
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila(s) 2–7: reescrita(s) después de anclarse: la fila 7 no es la que vio" in out


def test_plain_verify_compares_with_the_configured_witness(deployment, cli, capsys):
    _events(deployment, 2)
    assert cli(["audit", "anchor"]) == 0
    rows = _rows(deployment)
    _rewrite(deployment, rows[:2], _key(deployment))
    _plain_verify_passes(deployment)
    capsys.readouterr()
    assert cli(["audit", "verify"]) == 2  # [audit] witness is read by the daily check too
    assert "faltan" in capsys.readouterr().out


# -- a restore made with riskmap is not a rollback ------------------------------------------
def test_a_restore_is_recognised_by_the_trail_it_kept(deployment, cli, capsys):
    _events(deployment, 2)
    backup = deployment / "respaldo.sqlite"
    assert cli(["store", "backup", str(backup)]) == 0
    _events(deployment, 3)
    assert cli(["audit", "anchor"]) == 0
    capsys.readouterr()
    assert cli(["store", "restore", str(backup), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Auditoría restaurada anclada en" in out
    seal = json.loads(A.seal_path(_db(deployment)).read_text())
    assert "clave" not in seal and "clave_en" in seal  # the restore left the key outside
    assert cli(["audit", "verify", "--witness"]) == 0
    out = capsys.readouterr().out
    assert "son de la auditoría que reemplazó la restauración" in out, out
    # without the trail it kept, the anchors before the restore are unexplained
    kept = next((deployment / "datos").glob("inspecciones.sqlite.auditoria-*.jsonl"))
    kept.rename(deployment / "otro-sitio.jsonl")
    out = _verify_with_witness(cli, capsys)
    assert "Falta" in out and kept.name in out


def test_a_fabricated_restore_cannot_swap_anchored_rows(deployment, cli, capsys):
    """Root with the key keeps the real trail as the 'replaced' one, then rewrites row 3."""
    import hashlib

    _events(deployment, 3)
    assert cli(["audit", "anchor"]) == 0  # row 5
    rows = _rows(deployment)
    kept = deployment / "datos" / "inspecciones.sqlite.auditoria-20260101T000000Z.jsonl"
    kept.write_text("".join(json.dumps(dict(zip(A.COLUMNS, r, strict=True))) + "\n"
                            for r in rows))
    edited = list(rows[2])
    edited[5] = json.dumps({"ubigeo": "160101"})
    restoration = (0, rows[-1][1], "root@servidor", "sistema", "restauracion",
                   json.dumps({"auditoria_anterior": kept.name,
                               "sha256_auditoria_anterior":
                                   hashlib.sha256(kept.read_bytes()).hexdigest()}), "", "")
    _rewrite(deployment, [*rows[:2], tuple(edited), rows[3], restoration], _key(deployment))
    _plain_verify_passes(deployment)
    out = _verify_with_witness(cli, capsys)
    assert "fila 5: la restauración del" in out and "no continúa la auditoría" in out
    # the same file and row on an untouched prefix is what a real restore looks like
    _rewrite(deployment, [*rows[:4], restoration], _key(deployment))
    capsys.readouterr()
    assert cli(["audit", "verify", "--witness"]) == 0
    assert "son de la auditoría que reemplazó la restauración" in capsys.readouterr().out
