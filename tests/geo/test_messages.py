"""The message catalogue and the language of a request (issue 22: one way to speak)."""

from __future__ import annotations

import ast
import pickle
import re
import threading
from pathlib import Path

import pytest

from dashboard.i18n import get_lang
from dashboard.i18n import t as page_t
from geo.errors import DataError, RiskmapError, get_language, language, set_language
from geo.messages import CATALOGUE_DIR, CatalogueError, Message, catalogue, read_catalogue, t
from geo.paths import REPO_ROOT

ROOT = REPO_ROOT


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_catalogue_reads_and_every_entry_has_both_languages():
    entries = read_catalogue(CATALOGUE_DIR)
    assert len(entries) >= 80
    assert all(isinstance(es, str) and isinstance(en, str) for es, en in entries.values())
    assert entries["comun.pag_mapa"] == ("Mapa", "Map")


@pytest.mark.parametrize(("text", "complaint"), [
    ('["sala.a"]\nes = "hola"\n', "exactly the fields es and en"),
    ('["sala.a"]\nes = "{n} filas"\nen = "{m} rows"\n', "placeholders differ"),
    ('["sala.a"]\nes = "{} filas"\nen = "{} rows"\n', "positional"),
    ('["sala.a"]\nes = "{lang}"\nen = "{lang}"\n', "reserved"),
    ('["otra.a"]\nes = "a"\nen = "a"\n', "belongs in otra.toml"),
    ('["sala.A b"]\nes = "a"\nen = "a"\n', "lower-case words"),
    ('["sala.a"]\nes = "a"\nen = "a"\nnota = "x"\n', "exactly the fields es and en"),
    ('["sala.a"]\nes = "a {"\nen = "a"\n', "sala.a"),
    ('["sala.a"\nes = "a"\n', "not valid TOML"),
])
def test_a_broken_catalogue_is_refused(tmp_path, text, complaint):
    folder = _write(tmp_path / "cat", "sala.toml", text)
    with pytest.raises(CatalogueError, match=complaint):
        read_catalogue(folder)


def test_nested_tables_and_quoted_keys_read_alike(tmp_path):
    folder = _write(tmp_path / "cat", "sala.toml",
                    '["sala.a.b"]\nes = "x"\nen = "y"\n\n[sala.c]\nes = "{n:,}"\nen = "{n:,}"\n')
    assert read_catalogue(folder) == {"sala.a.b": ("x", "y"), "sala.c": ("{n:,}", "{n:,}")}


def test_t_writes_the_current_language_with_its_format_spec():
    assert t("comun.riesgo") == "Riesgo"
    with language("en"):
        assert t("comun.riesgo") == "Risk"
        assert t("comun.n_distritos", n=1874) == "1,874 districts"
        assert t("comun.riesgo", lang="es") == "Riesgo"
    assert t("comun.riesgo") == "Riesgo"


def test_format_specs_in_the_catalogue_are_kept(tmp_path, monkeypatch):
    folder = _write(tmp_path / "cat", "sala.toml",
                    '["sala.filas"]\nes = "{n:,} filas ({share:.1%})"\n'
                    'en = "{n:,} rows ({share:.1%})"\n')
    monkeypatch.setattr("geo.messages.lookup.catalogue", lambda: read_catalogue(folder))
    assert t("sala.filas", lang="en", n=12345, share=0.25) == "12,345 rows (25.0%)"


def test_numbers_in_messages_are_written_by_cldr_in_the_messages_language(tmp_path,
                                                                          monkeypatch):
    import numpy as np
    from babel.numbers import format_decimal

    folder = _write(tmp_path / "cat", "sala.toml",
                    '["sala.x"]\nes = "{n:,} filas, {p:.1%}, g = {g:.2f}, {d:g} días, {r}, '
                    'año {anio}, {big:.3g}"\n'
                    'en = "{n:,} rows, {p:.1%}, g = {g:.2f}, {d:g} days, {r}, '
                    'year {anio}, {big:.3g}"\n')
    monkeypatch.setattr("geo.messages.lookup.catalogue", lambda: read_catalogue(folder))
    params = dict(n=np.int64(2451), p=0.0343, g=0.3199, d=2.5, r=578.004, anio=2026,
                  big=5540.0)
    es = t("sala.x", lang="es", **params)
    # es_PE as CLDR writes it (today: point decimals, comma groups), whatever that is
    assert es.startswith(format_decimal(2451, "#,##0", locale="es_PE") + " filas")
    assert es == "2,451 filas, 3.4%, g = 0.32, 2.5 días, 578, año 2026, 5,540"
    assert t("sala.x", lang="en", **params) == ("2,451 rows, 3.4%, g = 0.32, 2.5 days, 578, "
                                               "year 2026, 5,540")
    # a value written already (a missing value's words) is shown as it is
    assert "sin dato filas" in t("sala.x", lang="es", **{**params, "n": "sin dato"})


def test_a_missing_parameter_names_the_key():
    with pytest.raises(CatalogueError, match="comun.n_distritos"):
        t("comun.n_distritos")


def test_an_unknown_key_shows_itself():
    assert t("sala.no_existe") == "sala.no_existe"


def test_two_threads_speak_their_own_language_at_once():
    # each Streamlit script run is its own thread: a language set in one must not be seen
    # by another, even while both are rendering
    both_set = threading.Barrier(2, timeout=10)
    said: dict[str, list[str]] = {}

    def session(lang: str) -> None:
        set_language(lang)
        both_set.wait()  # both languages are set before either renders
        said[lang] = [t("comun.riesgo") for _ in range(200)] + [get_language()]
        both_set.wait()

    threads = [threading.Thread(target=session, args=(lang,)) for lang in ("en", "es")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(said["en"]) == {"Risk", "en"}
    assert set(said["es"]) == {"Riesgo", "es"}
    assert get_language() == "es"  # and neither leaked into this thread


def test_language_block_restores_what_was_before():
    set_language("en")
    with language("es"):
        assert get_language() == "es"
        with language("en"):
            assert get_language() == "en"
        assert get_language() == "es"
    assert get_language() == "en"
    with pytest.raises(ValueError, match="lang must be one of"):
        set_language("fr")


def test_an_error_speaks_the_language_of_when_it_is_shown():
    with language("es"):
        err = DataError("comun.n_distritos", n=3)
    with language("en"):
        assert str(err) == "3 districts"
    assert err.message("es") == "3 distritos"
    assert (err.es, err.en) == ("3 distritos", "3 districts")
    assert err.key == "comun.n_distritos" and err.params == {"n": 3}


def test_an_error_inside_a_message_speaks_the_same_language():
    inner = DataError("comun.riesgo")
    outer = RiskmapError("comun.n_distritos", n=inner)
    assert outer.message("en") == "Risk districts"
    assert outer.message("es") == "Riesgo distritos"
    assert Message("comun.n_distritos", {"n": Message("comun.riesgo")}).message("en") == \
        "Risk districts"


def test_an_error_is_a_key_never_texts_written_inline():
    with pytest.raises(TypeError):
        DataError(es="hola", en="hello")
    with pytest.raises(TypeError):
        DataError("hola", "hello")
    with pytest.raises(TypeError):
        DataError("comun.riesgo", es="hola", en="hello")
    with pytest.raises(TypeError):
        DataError(es="hola")


def test_an_error_crosses_a_process_boundary():
    for err in (DataError("comun.n_distritos", n=2), DataError("comun.riesgo")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is DataError
        assert (back.es, back.en, back.key) == (err.es, err.en, err.key)


def test_the_dashboard_speaks_the_catalogue():
    assert page_t("comun.riesgo", lang="en") == "Risk"
    assert page_t("comun.falta_preparar", lang="es", what="x", path="y").startswith("Aún no")
    with language("en"):  # outside a script run the context's language is the session's
        assert get_lang() == "en"


def _literal_keys() -> list[tuple[str, int, str]]:
    """Every key written as a literal at a call of ``t`` or an error class, with its place."""
    found = []
    for package in ("geo", "models", "dashboard"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            speaks = any(isinstance(node, ast.ImportFrom)
                         and node.module in ("geo.messages", "dashboard.i18n")
                         and any(a.name == "t" and a.asname is None for a in node.names)
                         for node in ast.walk(tree))  # `t` is the catalogue's, not a local
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    continue
                error = name.endswith(("Error", "Denied")) and len(node.args) == 1
                keyish = re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", first.value)
                if keyish and ((name == "t" and speaks) or (error and "." in first.value)):
                    found.append((str(path.relative_to(ROOT)), node.lineno, first.value))
    return found


def test_every_key_the_code_names_is_in_the_catalogue():
    known = catalogue()
    missing = [f"{path}:{line}: {key}" for path, line, key in _literal_keys()
               if key not in known and f"comun.{key}" not in known]
    assert not missing, "keys missing from geo/messages/*.toml:\n" + "\n".join(missing)
