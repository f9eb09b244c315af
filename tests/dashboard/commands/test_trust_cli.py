"""riskmap users | audit | store: accounts, the audit trail and backups from the command line."""

from __future__ import annotations

import json
import sqlite3

import pytest

from geo.trust.accounts import AccessStore, Users, sign_in


def _users(tmp_path) -> Users:
    return Users(tmp_path / "datos" / "usuarios.toml")


def test_users_add_list_passwd_disable_remove(cli, tmp_path, capsys):
    pw = "una frase larga de cusco\n"
    assert cli(["users", "add", "ana", "--role", "planificador", "--region", "cusco",
                "--password-stdin"], pw) == 0
    assert "Cuenta 'ana' creada (planificador; Cusco)" in capsys.readouterr().out
    path = tmp_path / "datos" / "usuarios.toml"
    text = path.read_text()
    assert "$argon2id$" in text and "una frase larga" not in text  # a hash, never a password
    assert path.stat().st_mode & 0o777 == 0o600
    assert cli(["users", "add", "root", "--role", "admin", "--password-stdin"],
               "otra frase bastante larga\n") == 0
    capsys.readouterr()
    assert cli(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "ana" in out and "planificador" in out and "Cusco" in out and "activa" in out
    assert "root" in out and "todos los departamentos" in out

    # a session, then a password change ends it
    access = AccessStore(tmp_path / "datos" / "acceso.sqlite")
    token = sign_in(_users(tmp_path), access, "ana", pw.strip()).token
    assert access.principal(token, _users(tmp_path)) is not None
    assert cli(["users", "passwd", "ana", "--password-stdin"], "nueva frase muy larga\n") == 0
    assert "1 sesión(es) abierta(s) cerrada(s)" in capsys.readouterr().out
    assert access.principal(token, _users(tmp_path)) is None
    assert not sign_in(_users(tmp_path), access, "ana", pw.strip()).ok
    assert sign_in(_users(tmp_path), access, "ana", "nueva frase muy larga").ok

    assert cli(["users", "disable", "ana"]) == 0
    assert not sign_in(_users(tmp_path), access, "ana", "nueva frase muy larga").ok
    assert cli(["users", "list"]) == 0
    assert "DESACTIVADA" in capsys.readouterr().out
    assert cli(["users", "enable", "ana"]) == 0
    assert cli(["users", "remove", "ana"]) == 0
    assert _users(tmp_path).get("ana") is None

    # every change is in the audit trail, under the operator's login, never typed text
    from geo.records.store import InspectionStore

    store = InspectionStore(tmp_path / "datos" / "inspecciones.sqlite", role="admin",
                            user="auditor")
    audit = store.audit()
    actions = audit["accion"].tolist()
    for action in ("usuario_creado", "contrasena_cambiada", "usuario_desactivado",
                   "usuario_activado", "usuario_borrado"):
        assert action in actions
    assert all("@" in u for u in audit[audit["accion"] == "usuario_creado"]["usuario"])


@pytest.mark.parametrize(("argv", "stdin", "needle"), [
    (["users", "add", "ana", "--role", "planificador", "--password-stdin"], "clave larga 12345\n",
     "necesita sus regiones"),
    (["users", "add", "ana", "--role", "jefe", "--region", "cusco", "--password-stdin"],
     "clave larga 12345\n", "Rol no válido: jefe"),
    (["users", "add", "ana", "--role", "planificador,investigador", "--region", "cusco",
      "--password-stdin"], "clave larga 12345\n", "un solo rol de datos"),
    (["users", "add", "ana", "--role", "investigador", "--password-stdin"], "corta\n",
     "demasiado corta"),
    (["users", "add", "Ana Q", "--role", "investigador", "--password-stdin"],
     "clave larga 12345\n", "Nombre de usuario no válido"),
    (["users", "add", "ana", "--role", "investigador", "--region", "marte",
      "--password-stdin"], "clave larga 12345\n", "Región no válida"),
    (["users", "passwd", "nadie", "--password-stdin"], "clave larga 12345\n", "No existe"),
    (["users", "add", "ana", "--role", "investigador"], "", "--password-stdin"),
])
def test_users_bad_input_is_a_message(cli, capsys, argv, stdin, needle):
    assert cli(argv, stdin) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_audit_verify_and_export(cli, tmp_path, capsys):
    assert cli(["users", "add", "root", "--role", "admin", "--password-stdin"],
               "otra frase bastante larga\n") == 0
    capsys.readouterr()
    assert cli(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "Auditoría íntegra" in out
    # a store without [audit] keeps its key in its seal: the command says so, and what to do
    assert "la clave de la auditoría está en el sello" in out and "move-key" in out
    out = tmp_path / "auditoria.csv"
    assert cli(["audit", "export", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    header = out.read_text().splitlines()[0]
    assert header == "id,fecha_hora,usuario,rol,accion,detalle,hash_anterior,hash"
    jsonl = tmp_path / "auditoria.jsonl"
    assert cli(["audit", "export", "--out", str(jsonl)]) == 0
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert rows[-1]["accion"] == "exportacion_auditoria"
    db = tmp_path / "datos" / "inspecciones.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER auditoria_sin_cambios")
        conn.execute("UPDATE auditoria SET detalle = '{}' WHERE id = 2")
    capsys.readouterr()
    assert cli(["audit", "verify"]) == 2
    out = capsys.readouterr().out
    assert "fila 2" in out and "editada" in out and "auditoria_sin_cambios" in out
    assert cli(["--lang", "en", "audit", "verify"]) == 2
    assert "row 2: its content does not match its hash (edited)" in capsys.readouterr().out


def test_store_backup_and_restore(cli, tmp_path, capsys):
    assert cli(["users", "add", "root", "--role", "admin", "--password-stdin"],
               "otra frase bastante larga\n") == 0
    backup = tmp_path / "copia.sqlite"
    capsys.readouterr()
    assert cli(["store", "backup", str(backup)]) == 0
    assert backup.stat().st_mode & 0o777 == 0o600
    assert "este respaldo lleva la clave de la auditoría" in capsys.readouterr().out
    assert cli(["store", "backup", str(backup)]) == 2  # never overwrites
    assert "ya existe" in capsys.readouterr().err
    assert cli(["store", "restore", str(backup)], "") == 2  # no terminal, no --yes
    assert "--yes" in capsys.readouterr().err
    assert cli(["store", "restore", str(backup), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Almacén restaurado" in out and "auditoría reemplazada" in out
    assert cli(["audit", "verify"]) == 0
    not_a_backup = tmp_path / "x.sqlite"
    not_a_backup.write_bytes(b"hola")
    assert cli(["store", "restore", str(not_a_backup), "--yes"]) == 2
    assert "no es un respaldo de riskmap" in capsys.readouterr().err


def _settings(tmp_path, text: str):
    path = tmp_path / "ajustes.toml"
    path.write_text("config_version = 1\n[data]\nworkdir = \".\"\n" + text, encoding="utf-8")
    return path


def test_serve_refuses_no_sign_in_with_real_data(cli, tmp_path, capsys, monkeypatch):
    import os
    import subprocess

    started = []
    monkeypatch.chdir(tmp_path)  # serve changes into the repository; put it back after
    monkeypatch.setattr(os, "execve", lambda *a: started.append(a))
    monkeypatch.setattr(subprocess, "call", lambda *a, **k: started.append(a) or 0)
    path = _settings(tmp_path, "simulated = false\n[auth]\nmode = \"none\"\n")
    assert cli(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "solo se permite con datos simulados" in err and "riskmap users add" in err
    assert not started, "the server must not start"
    # OIDC without its client secret in the environment: refused too
    monkeypatch.delenv("RISKMAP_OIDC_CLIENT_SECRET", raising=False)
    path = _settings(tmp_path, "[auth]\nmode = \"oidc\"\n[auth.oidc]\n"
                     "server_metadata_url = \"https://sso/.well-known/openid-configuration\"\n"
                     "client_id = \"riskmap\"\nredirect_uri = \"https://h/oauth2callback\"\n")
    assert cli(["serve", "--config", str(path)]) == 2
    assert "RISKMAP_OIDC_CLIENT_SECRET" in capsys.readouterr().err
    assert not started
    # simulated data: allowed, and said
    path = _settings(tmp_path, "simulated = true\n[auth]\nmode = \"none\"\n")
    assert cli(["serve", "--config", str(path)]) == 0
    assert "DATOS SIMULADOS" in capsys.readouterr().out and started
    assert "--server.maxUploadSize=50" in started[0][1]  # Streamlit's own limit matches


def test_real_data_without_auth_section_means_local_sign_in(tmp_path):
    from geo.config import load_settings

    assert load_settings(_settings(tmp_path, ""), check_files=False).auth.mode == "local"
    assert load_settings(_settings(tmp_path, "simulated = true\n"),
                         check_files=False).auth.mode == "none"


@pytest.mark.parametrize(("text", "needle"), [
    ("[auth]\nmode = \"abierto\"\n", "auth.mode = 'abierto' no existe"),
    ("[auth]\nmode = \"local\"\n[auth.suppression]\ninvestigador = 2\n", "5 o más"),
    ("[auth]\nmode = \"oidc\"\n", "necesita la tabla [auth.oidc]"),
    ("[auth]\nclave = 1\n", "clave desconocida auth.clave"),
    ("[auth]\nmode = \"oidc\"\n[auth.oidc]\nserver_metadata_url = \"u\"\nclient_id = \"c\"\n"
     "redirect_uri = \"r\"\n[[auth.oidc.rules]]\nroles = [\"planificador\"]\n",
     "necesita 'email' o 'group'"),
])
def test_auth_settings_errors_name_the_key(tmp_path, text, needle):
    from geo.config import load_settings
    from geo.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_settings(_settings(tmp_path, text), check_files=False)
    assert needle in info.value.es
