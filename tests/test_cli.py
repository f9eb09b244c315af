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

    monkeypatch.setattr(prepare, "_run", boom)
    assert main(["--lang", lang, "prepare"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_language_is_restored_after_a_command(monkeypatch):
    from dashboard.commands import prepare
    from geo.errors import get_language

    monkeypatch.setattr(prepare, "_run", lambda args: 0)
    assert main(["--lang", "en", "prepare"]) == 0
    assert get_language() == "es"
