"""What the Datos page computes, outside the page: the upload's life (dashboard.uploads),
its sentences (dashboard.records_view) and the rescore (dashboard.state.rescoring)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from dashboard import records_view, uploads
from dashboard.state import rescoring
from geo.errors import DataError
from geo.trust.access import Principal

PLANNER = Principal("ana", "planificador", regions=("08",))
RESEARCHER = Principal("rosa", "investigador")


def test_shown_count_hides_small_counts_and_rounds_for_roles_without_records():
    assert records_view.shown_count(3, 5) == "menos de 5"
    assert records_view.shown_count(0, 5) == "0"
    assert records_view.shown_count(1193, 5, PLANNER) == "1,193"
    assert records_view.shown_count(1193, 5, RESEARCHER) == "unos 1,195"


def test_sources_text_names_the_file_and_the_store():
    text = records_view.sources_text(12, "inspecciones.csv", 3, 5)
    assert "`inspecciones.csv`, 12 registros" in text and "(menos de 5 registros" in text
    assert "ningún archivo histórico" in records_view.sources_text(0, "", 0)


def test_fitting_text_counts_only_the_planners_regions():
    records = pd.DataFrame({"ubigeo": ["080101", "080102", "160101"]})
    assert "con 2 inspecciones de sus regiones" in records_view.fitting_text(records, ("08",))
    assert "con 3 inspecciones…" in records_view.fitting_text(records, ())


def test_imported_text_says_what_an_import_did():
    result = SimpleNamespace(added=4, corrected=1, already_present=2, completed=0,
                             sha256="ab" * 32)
    text = records_view.imported_text(result)
    assert text.startswith("Importado: 4 registros nuevos; 1 corrigen")
    assert "ababababab" in text


def test_limits_of_an_upload_and_of_the_history_file():
    spec = SimpleNamespace(upload_mb=20.0, upload_rows=100_000, memory_mb=512, seconds=60)
    settings = SimpleNamespace(limits=spec)
    assert uploads._limits(settings) == (20.0, 100_000, 512, 60)
    assert uploads._limits(settings, history=True)[0] == float("inf")


def test_save_upload_keeps_bytes_privately_and_refuses_a_large_file(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads.paths, "uploads_dir", lambda: tmp_path / "subidas")
    upload = SimpleNamespace(name="../../mal nombre.CSV", size=10,
                             getvalue=lambda: b"id,fecha\n")
    path = uploads.save_upload(upload, max_mb=1)
    assert path.parent.parent == tmp_path / "subidas" and path.name == "mal_nombre.csv"
    assert path.read_bytes() == b"id,fecha\n" and path.stat().st_mode & 0o777 == 0o600
    uploads.discard(str(path.parent))
    assert not path.parent.exists()
    uploads.discard(str(tmp_path))  # never a folder outside the upload area
    assert tmp_path.exists()
    with pytest.raises(DataError, match="límite"):
        uploads.save_upload(SimpleNamespace(name="x.csv", size=3e6, getvalue=bytes), 1)


def test_words_keep_only_an_errors_message():
    said = uploads._words(DataError("registros.no_pudo_leer_archivo", name="x.csv",
                                    err=ValueError("roto")))
    assert said.params == {"name": "x.csv", "err": "roto"} and "x.csv" in said.es
    assert "KeyError" in uploads._words(KeyError("x")).es


def test_rescore_fits_on_every_record_as_the_system_and_reports_each_step(monkeypatch):
    calls, events = [], []
    s = SimpleNamespace(store_path="almacen.db", scores_gpkg="riesgo.gpkg",
                        workdir=__import__("pathlib").Path("/tmp/no_such_workdir"))
    records = pd.DataFrame({"ubigeo": ["080101", "160101"]})
    monkeypatch.setattr(rescoring, "settings", lambda: s)
    monkeypatch.setattr(rescoring, "store", lambda who: SimpleNamespace(
        record_event=lambda what, detail: events.append((who.user, what))))
    monkeypatch.setattr(rescoring, "InspectionStore",
                        lambda path, role, user: ("almacen", role, user))
    monkeypatch.setattr(rescoring, "load_records",
                        lambda settings, store, user: calls.append(("leer", store)) or records)
    monkeypatch.setattr(rescoring, "read_district_table", lambda settings: "distritos")
    monkeypatch.setattr(rescoring, "score_districts",
                        lambda settings, d, r: calls.append(("puntuar", len(r))) or "puntajes")
    monkeypatch.setattr(rescoring, "record_rescoring",
                        lambda settings, scores: calls.append(("cambios", scores)))
    monkeypatch.setattr(rescoring, "write_scores",
                        lambda scores, path, settings: calls.append(("escribir", path)))
    monkeypatch.setattr(rescoring, "evaluate", lambda settings, d, r: "ficha")
    monkeypatch.setattr(rescoring, "write_card",
                        lambda card, path: calls.append(("ficha", path.name)))
    steps = []
    rescoring.rescore(PLANNER, lambda share, step, detail: steps.append((share, step, detail)))
    assert [st for _, st, _ in steps] == ["leer", "ajustar", "guardar", "evaluar", "listo"]
    assert steps[1][2] is records  # every region's records, for the page to count its own
    assert calls[0] == ("leer", ("almacen", "sistema", "ana"))
    assert calls[1:] == [("puntuar", 2), ("cambios", "puntajes"), ("escribir", "riesgo.gpkg"),
                         ("ficha", "evaluacion.json")]
    assert events == [("ana", "recalculo")]
