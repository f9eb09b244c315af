"""Passwords (NIST SP 800-63B): common and easily guessed ones are refused, good ones pass.

Through the command line as an operator types them (``riskmap users add|passwd
--password-stdin``), through the library, and through the administrator's Usuarios page.
"""

from __future__ import annotations

import pytest

from geo.trust.access import AccessError
from geo.trust.accounts import Users, validate_password

# the four a security review got accepted before (issue 21)
WEAK = ["aaaaaaaaaaaa", "123456789012", "passwordpassword", "Password1234"]
# what the tests, the screenshots and the README's examples use: still accepted
GOOD = ["montaña de cusco 2026", "gobierno regional cusco", "investigacion abierta 77",
        "administracion del tablero", "esta clave nunca se usa", "una clave bien larga",
        "otra clave bien larga", "una clave larga 123", "una frase larga de cusco",
        "otra frase bastante larga", "nueva frase muy larga", "capturas de pantalla",
        "mi propia cuenta valida", "tortuga lámpara río 2024"]


@pytest.mark.parametrize("password", WEAK)
def test_users_add_refuses_the_weak_passwords(cli, capsys, tmp_path, password):
    argv = ["users", "add", "ana", "--role", "investigador", "--password-stdin"]
    assert cli(argv, password + "\n") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "contraseña" in err and ("más usadas" in err or "fácil de adivinar" in err)
    assert "frase de tres o cuatro palabras" in err  # what to do instead
    assert password not in err  # a refused password is not echoed
    assert not (tmp_path / "datos" / "usuarios.toml").exists()  # nothing was written
    assert cli(["--lang", "en", *argv], password + "\n") == 2
    err = capsys.readouterr().err
    assert "most used" in err or "too easy to guess" in err


@pytest.mark.parametrize("password", WEAK)
def test_users_passwd_refuses_them_and_keeps_the_old_one(cli, capsys, tmp_path, password):
    assert cli(["users", "add", "ana", "--role", "investigador", "--password-stdin"],
               "una frase larga de cusco\n") == 0
    before = (tmp_path / "datos" / "usuarios.toml").read_text()
    assert cli(["users", "passwd", "ana", "--password-stdin"], password + "\n") == 2
    assert "Traceback" not in capsys.readouterr().err
    assert (tmp_path / "datos" / "usuarios.toml").read_text() == before


@pytest.mark.parametrize("password", GOOD)
def test_good_passwords_are_still_accepted(password):
    validate_password(password, "ana.quispe", context=("Ana Quispe",))


@pytest.mark.parametrize("password", [
    "contraseña12345", "Contrasena2024!", "SUNAFIL-2026!!", "  riskmap 2026  ", "qwertyuiop12",
    "Iloveyou1234", "machu picchu 2024", "TeQuiero123456"])
def test_common_words_with_digits_or_symbols_around_them_are_refused(password):
    with pytest.raises(AccessError) as info:
        validate_password(password, "ana")
    assert info.value.es and info.value.en


def test_the_name_and_display_name_count_as_easy_words():
    validate_password("quispehuaman", "rosa")  # words zxcvbn does not know: long enough
    with pytest.raises(AccessError, match="demasiado fácil"):  # the person's own names
        validate_password("quispehuaman", "ana.quispe", context=("Ana Quispe Huamán",))


def test_users_add_checks_in_the_library_too(tmp_path):
    users = Users(tmp_path / "usuarios.toml", fast_hash=True)
    for password in WEAK:
        with pytest.raises(AccessError):
            users.add("ana", "investigador", password=password)
    assert users.add("ana", "investigador", password=GOOD[0]).name == "ana"


def test_the_blocklist_file_says_its_source_and_loads():
    from geo.trust.accounts.passwords import BLOCKLIST_FILE, _blocklist_words

    head = BLOCKLIST_FILE.read_text(encoding="utf-8")[:3000]
    assert "NIST SP 800-63B" in head and "zxcvbn" in head and "Fuente / source" in head
    words = _blocklist_words()
    assert "sunafil" in words and "contraseña" in words and not any("#" in w for w in words)


# --- the Usuarios page ------------------------------------------------------------------
def _usuarios_page() -> None:
    """Run the Usuarios page as a signed-in administrator (set the way dashboard.auth does)."""
    import runpy
    from pathlib import Path

    from dashboard import auth
    from geo.trust.access import Principal

    auth._local.principal = Principal("root", admin=True, method="local")
    runpy.run_path(str(Path(auth.__file__).parent / "views" / "usuarios.py"))


@pytest.fixture
def admin_page(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    settings = tmp_path / "settings.toml"
    settings.write_text('config_version = 1\n[auth]\nmode = "local"\n', encoding="utf-8")
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    monkeypatch.setenv("RISKMAP_CONFIG", str(settings))
    users = Users(tmp_path / "datos" / "usuarios.toml", fast_hash=True)
    users.add("root", None, admin=True, password="administracion del tablero")
    at = AppTest.from_function(_usuarios_page, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, users


@pytest.mark.parametrize("password", WEAK)
def test_the_usuarios_page_refuses_a_typed_weak_password(admin_page, password):
    at, users = admin_page
    at.text_input(key="usuarios_nuevo_nombre").set_value("luis.mamani")
    at.text_input(key="usuarios_nueva_clave").set_value(password)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "más usadas" in errors or "fácil de adivinar" in errors, errors
    assert password not in errors
    assert [a for a in users.accounts()] == ["root"]  # nothing was created


def test_the_usuarios_page_refuses_a_weak_new_password_and_accepts_a_random_one(admin_page):
    at, users = admin_page
    before = users.get("root").hash
    at.text_input(key="usuarios_clave_escrita").set_value("Password1234")
    at.button(key="usuarios_clave").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("más usadas" in e.value for e in at.error)
    assert users.get("root").hash == before  # unchanged
    at.text_input(key="usuarios_clave_escrita").set_value("")
    at.button(key="usuarios_clave").click().run()
    assert not at.exception and not at.error
    assert users.get("root").hash != before
    assert any("entréguela en persona" in s.value for s in at.success)


def test_the_usuarios_page_creates_with_a_typed_good_password_and_never_shows_it(admin_page):
    at, users = admin_page
    at.text_input(key="usuarios_nuevo_nombre").set_value("luis.mamani")
    at.selectbox[0].set_value("investigador")  # every region: no region to choose
    at.text_input(key="usuarios_nueva_clave").set_value("tortuga lámpara río 2024")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert users.get("luis.mamani") is not None
    assert not any("tortuga" in s.value for s in at.success)  # typed: never shown back
