import pytest

from dashboard.cli import build_parser, main


def test_every_subcommand_is_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "prepare" in sub.choices


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "riskmap" in capsys.readouterr().out


def test_usage_errors_speak_the_chosen_language(capsys):
    assert main(["buld"]) == 2
    err = capsys.readouterr().err
    assert "opción no válida" in err and "uso:" in err
    assert main(["--lang", "en", "buld"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "mostrar esta ayuda" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("lang", "needle"), [("es", "Región desconocida"), ("en", "Unknown region")]
)
def test_user_error_is_a_message_not_a_traceback(monkeypatch, capsys, lang, needle):
    from dashboard.commands import prepare

    def boom(args):
        from geo.config import parse_region

        parse_region("Lima")

    monkeypatch.setattr(prepare, "run", boom)
    assert main(["--lang", lang, "prepare"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_language_is_restored_after_a_command(monkeypatch):
    from dashboard.commands import prepare
    from geo.errors import get_language

    monkeypatch.setattr(prepare, "run", lambda args: 0)
    assert main(["--lang", "en", "prepare"]) == 0
    assert get_language() == "es"


def test_the_indicators_command_offers_every_grouping():
    from dashboard.arguments.indicators import BY_OPTIONS
    from geo.records.indicators import BY_OPTIONS as LIBRARY

    assert BY_OPTIONS == LIBRARY


def test_help_does_not_load_the_library():
    """``riskmap --help`` answers at once: no command module, no pandas or geopandas."""
    import subprocess
    import sys

    code = ("import sys; from dashboard.cli import main; main(['--help']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'geopandas', 'sklearn') or m.startswith('dashboard.commands')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_every_command_names_a_handler_that_exists():
    import argparse
    import importlib

    def parsers(parser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from parsers(sub)

    handlers = [run.__qualname__ for parser in parsers(build_parser())
                if (run := parser._defaults.get("func")) is not None
                and run.__qualname__.startswith("dashboard.commands.")]
    assert len(handlers) == 26  # every command and action of every group
    for qualname in handlers:
        module, name = qualname.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name))
