from pathlib import Path

import pytest

from geo.config import load_settings, parse_region
from geo.errors import ConfigError, language

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
    settings = load_settings(Path(__file__).parent.parent / "config" / "settings.toml")
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
