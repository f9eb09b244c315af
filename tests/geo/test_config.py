from pathlib import Path

import pytest

from geo.config import load_settings, parse_region
from geo.errors import ConfigError, language
from geo.paths import REPO_ROOT

LAYER = """
[[layers]]
name = "minas"
sector = "mineria"
path = "minas.csv"
measure = "{measure}"
column = "x"
"""


def _write(tmp_path: Path, body: str, *, make_file: bool = True) -> Path:
    if make_file:
        (tmp_path / "minas.csv").write_text("ubigeo,x\n080101,1\n", encoding="utf-8")
    path = tmp_path / "settings.toml"
    path.write_text("config_version = 1\n" + body, encoding="utf-8")
    return path


def test_repository_template_loads_and_documents_both_offices():
    settings = load_settings(REPO_ROOT / "config" / "settings.toml")
    assert settings.region == ("08", "16")
    assert [o.department for o in settings.planning.offices] == ["08", "16"]
    assert settings.model.prior["pobreza_monetaria"] > 0
    assert settings.feature_names == ("pobreza_monetaria", "lejania_km")


def test_layer_paths_are_relative_to_the_settings_file(tmp_path):
    settings = load_settings(_write(tmp_path, LAYER.format(measure="value")))
    assert settings.layers[0].path == (tmp_path / "minas.csv").resolve()
    assert settings.workdir == tmp_path.resolve()
    assert settings.feature_names == ("minas",)
    assert len(settings.digest()) == 64


def test_unknown_measure_is_named_in_both_languages(tmp_path):
    path = _write(tmp_path, LAYER.format(measure="promedio"))
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "promedio" in err.value.message("es") and "area_share" in err.value.message("es")
    assert "does not exist" in err.value.message("en")


def test_missing_layer_file_names_the_file(tmp_path):
    path = _write(tmp_path, LAYER.format(measure="value"), make_file=False)
    with pytest.raises(ConfigError, match="minas.csv"):
        load_settings(path)
    # showing settings without the files is allowed
    assert load_settings(path, check_files=False).layers[0].name == "minas"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[data]\nregoin = ['08']\n", "data.regoin"),
        ("[model]\nprior = { minas = 'alto' }\n", "model.prior"),
        ("[planning]\nexploration_share = 1.5\n", "exploration_share"),
        ("[[planning.offices]]\nname = 'x'\n", "planning.offices[1]"),
        ("colour = 1\n", "colour"),
    ],
)
def test_bad_keys_and_values_are_rejected(tmp_path, body, needle):
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, body))
    assert needle in str(err.value)


def test_duplicate_layer_names_and_missing_column_are_rejected(tmp_path):
    twice = LAYER.format(measure="value") * 2
    with pytest.raises(ConfigError, match="minas"):
        load_settings(_write(tmp_path, twice))
    no_column = LAYER.format(measure="sum").replace('column = "x"\n', "")
    with pytest.raises(ConfigError, match="column"):
        load_settings(_write(tmp_path, no_column))


def test_wrong_version_and_broken_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("config_version = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="config_version"):
        load_settings(path)
    path.write_text("config_version = = 1\n", encoding="utf-8")
    with language("en"), pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)
    with pytest.raises(ConfigError, match="No existe"):
        load_settings(tmp_path / "nada.toml")


def test_parse_region():
    assert parse_region("loreto") == ("16",)
    assert parse_region(["8", "16"]) == ("08", "16")
    assert parse_region(["all"]) == ()
    with pytest.raises(ConfigError, match="Lima"):
        parse_region("Lima")


# --- table layers (docs/CAPAS_REALES.md §1) ----------------------------------------------
TABLE = """
[[layers]]
name = "perdida"
sector = "tala"
path = "minas.csv"
measure = "{measure}"
{keys}
"""


def _table(tmp_path: Path, keys: str, measure: str = "value") -> Path:
    return _write(tmp_path, TABLE.format(measure=measure, keys=keys))


def test_table_keys_are_read_into_the_layer(tmp_path, monkeypatch):
    spec = load_settings(_table(tmp_path, 'column = "{year}_ha"\nyears = [2020, 2024]\n'
                                'combine = "mean"\nunit = "ha"\nsource = "GeoBosques (MINAM)"\n'
                                'missing = "zero"\nmissing_reason = "sin bosque"\n')).layers[0]
    assert (spec.column, spec.years, spec.combine, spec.unit, spec.source) == (
        "{year}_ha", (2020, 2024), "mean", "ha", "GeoBosques (MINAM)")
    assert (spec.missing, spec.missing_reason, spec.origin) == ("zero", "sin bosque", "real")
    assert spec.dated and spec.years_label == "2020–2024"
    listed = load_settings(_table(tmp_path, 'column = ["2020_ha", "2021_ha"]\n')).layers[0]
    assert listed.column == ("2020_ha", "2021_ha") and not listed.dated
    assert listed.missing == "nan" and listed.years_label == ""
    panel = load_settings(_table(tmp_path, 'column = "x"\npanel_year = "YEAR"\nyear = 2020\n'
                                 )).layers[0]
    assert (panel.panel_year, panel.year, panel.years, panel.years_label) == (
        "YEAR", 2020, None, "2020")
    assert panel.dated and panel.table_years == (2020, 2020)
    plain = load_settings(_table(tmp_path, 'column = "x"\n')).layers[0]
    assert plain.missing == "nan" and not plain.dated
    counted = load_settings(_table(tmp_path, "", measure="count")).layers[0]
    assert counted.missing == "zero" and counted.unit == ""
    # {fuentes}/: the folder where `riskmap data fetch` puts the public files
    data = tmp_path / "datos"
    (data / "fuentes").mkdir(parents=True)
    (data / "fuentes" / "t.csv").write_text("ubigeo,x\n080101,1\n", encoding="utf-8")
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(data))
    path = _write(tmp_path, TABLE.format(measure="value", keys='column = "x"').replace(
        'path = "minas.csv"', 'path = "{fuentes}/t.csv"'))
    assert load_settings(path).layers[0].path == (data / "fuentes" / "t.csv").resolve()
    (data / "fuentes" / "t.csv").unlink()
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "riskmap data fetch" in err.value.es and "riskmap data fetch" in err.value.en


@pytest.mark.parametrize(
    ("keys", "measure", "key", "es", "en"),
    [
        ('column = "x"\nunit = 5\n', "value", "unit", "texto", "text"),
        ('column = "x"\nsource = ["a"]\n', "value", "source", "texto", "text"),
        ('column = []\n', "value", "column", "lista", "list"),
        ('column = ["a", "a"]\n', "value", "column", "distintas", "distinct"),
        ('column = ["{year}_ha"]\nyears = [2020, 2021]\n', "value", "column", "no ambos",
         "not both"),
        ('column = 3\n', "value", "column", "columna", "column"),
        ('column = "{year}_ha"\n', "value", "column", "years", "years"),
        ('column = "x"\npanel_year = "YEAR"\n', "value", "panel_year", "year = 2020",
         "year = 2020"),
        ('column = "x"\npanel_year = 2020\nyear = 2020\n', "value", "panel_year", "YEAR",
         "YEAR"),
        ('column = "{year}_ha"\nyear = "2020"\n', "value", "year", "entero", "integer"),
        ('column = "{year}_ha"\nyear = true\n', "value", "year", "entero", "integer"),
        ('column = "{year}_ha"\nyears = [2024, 2020]\n', "value", "years", "en orden",
         "in order"),
        ('column = "{year}_ha"\nyears = [2020]\n', "value", "years", "[desde, hasta]",
         "[from, to]"),
        ('column = "{year}_ha"\nyear = 2020\nyears = [2020, 2021]\n', "value", "year",
         "no ambos", "not both"),
        ('column = "x"\nyears = [2020, 2021]\n', "value", "years", "panel_year",
         "panel_year"),
        ('column = "x"\nyear = 2020\n', "value", "year", "{year}", "{year}"),
        ('column = ["a", "b"]\npanel_year = "YEAR"\nyear = 2020\n', "value", "column",
         "una sola columna", "single column"),
        ('column = "x"\ncombine = "max"\n', "value", "combine", "no existe",
         "does not exist"),
        ('column = "x"\nmissing = "cero"\n', "value", "missing", "no existe",
         "does not exist"),
        ('column = "x"\nmissing = "zero"\n', "value", "missing", "missing_reason",
         "missing_reason"),
        ('column = "x"\nmissing_reason = "porque sí"\n', "value", "missing_reason",
         "missing = \"zero\"", "missing = \"zero\""),
        ('missing = "nan"\n', "count", "missing", "toda la región", "whole region"),
        ('combine = "sum"\n', "count", "combine", "measure = 'value'", "measure = 'value'"),
        ('column = ["a", "b"]\n', "sum", "column", "measure = 'value'", "measure = 'value'"),
        ('column = "x"\npanel_year = "YEAR"\nyear = 2020\nyear_column = "A"\n', "value",
         "panel_year", "year_column", "year_column"),
    ],
)
def test_bad_table_keys_name_the_file_the_layer_and_the_key(tmp_path, keys, measure, key, es,
                                                           en):
    with pytest.raises(ConfigError) as err:
        load_settings(_table(tmp_path, keys, measure=measure))
    for text, word in ((err.value.es, es), (err.value.en, en)):
        assert "settings.toml" in text and "layers[1] ('perdida')" in text, text
        assert key in text and word in text, text


# --- [referral]: the national lines a field sheet prints ------------------------------------
def test_referral_lines_are_read_with_their_source(tmp_path):
    path = _write(tmp_path, """
[[referral.lines]]
name = "Línea 100 (MIMP)"
number = "100"
source = "MIMP, Línea 100"
""")
    lines = load_settings(path).referral.lines
    assert [(x.name, x.number, x.source) for x in lines] == [
        ("Línea 100 (MIMP)", "100", "MIMP, Línea 100")]


def test_no_referral_section_means_no_line_at_all(tmp_path):
    assert load_settings(_write(tmp_path, "")).referral.lines == ()


@pytest.mark.parametrize(("body", "words"), [
    ('[[referral.lines]]\nname = "Línea 100"\nnumber = "100"\n', "source"),
    ('[[referral.lines]]\nname = "Línea 100"\nnumber = ""\nsource = "MIMP"\n', "number"),
    ('[[referral.lines]]\nname = "x"\nnumber = "1"\nsource = "y"\nphone = "2"\n', "phone"),
    ('[referral]\nlines = "100"\n', "[[referral.lines]]"),
])
def test_a_line_without_its_source_or_number_is_refused(tmp_path, body, words):
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, body))
    assert words in str(err.value) and "settings.toml" in str(err.value)


def test_the_demo_template_declares_lines_with_sources():
    text = (REPO_ROOT / "geo" / "world" / "templates" / "settings.toml").read_text("utf-8")
    assert text.count("[[referral.lines]]") >= 1 and "source = " in text
