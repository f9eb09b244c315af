"""The reconstruction attack on a non-planner export: it must do no better than guessing.

The attacker has what a researcher gets — an export of the demo world's scores with small
counts blanked — and what anyone has: riskmap's published code. For every blanked cell it
tries each value the suppression rule allows (1 to k-1 inspections; findings from 1 to
k-1 and at most the inspections), recomputes with the model's own code
(``models.risk.scorer._effect_quantile``) the history term and the risk that value would give,
and keeps the value closest to what was published. Against the old export (counts blanked,
everything else as the planner sees it) it recovers every cell. Against
:func:`models.risk.disclosure.protect_scores` it must recover no more cells than the best
constant guess would, nor than it can from the public features alone (in a world whose
features predict risk well, a riskier district's blanked count is more likely 2 than 1:
that is what the features say, not what the records are).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import special

from geo import columns as C
from models.risk.disclosure import protect_scores, suppress_small_counts
from models.risk.likelihood import effect_quantile as _effect_quantile

K = 5


@pytest.fixture(scope="module")
def published(demo_settings, districts_gpkg):
    """The scores and the model's published constants (intercept, district-effect sd).

    Scored with ``complaint_evidence = false``: the attacker's best case, where a district's
    history term depends on nothing but its hidden counts. (With complaints as evidence it
    also depends on the district's unpublished number of complaints, which only makes the
    attack harder: see the last test.)
    """
    import dataclasses

    from models.risk.score import score_districts

    settings = dataclasses.replace(demo_settings, model=dataclasses.replace(
        demo_settings.model, complaint_evidence=False))
    scored = score_districts(settings)
    meta = scored.attrs["metadatos"]
    scores = pd.DataFrame(scored.drop(columns="geometry"))
    return scores, float(meta["intercepto"]), float(meta["sd_efecto_distrital"])


def attack(export: pd.DataFrame, intercept: float, sd: float) -> pd.DataFrame:
    """Best (n, y) for each row with a blanked count, from the published values and code."""
    features = [c for c in export.columns
                if c.startswith(C.CONTRIB_PREFIX) and c != "contrib_historial"]
    eta = intercept + export[features].sum(axis=1).to_numpy(float)
    guesses = []
    for i, row in enumerate(export.itertuples(index=False)):
        n_pub, y_pub = getattr(row, C.N_INSPECCIONES), getattr(row, C.N_HALLAZGOS)
        if not (pd.isna(n_pub) or pd.isna(y_pub)):
            continue
        ns = range(1, K) if pd.isna(n_pub) else [int(n_pub)]
        candidates = [(n, y) for n, y in itertools.product(ns, range(0, K))
                      if y <= n and (pd.isna(y_pub) and 1 <= y < K or y == y_pub)]
        history = getattr(row, "contrib_historial", np.nan)
        logit = special.logit(np.clip(float(row.riesgo), 1e-9, 1 - 1e-9))
        best, score = None, np.inf
        for n, y in candidates:
            u = float(_effect_quantile(np.array([eta[i]]), np.array([float(n)]),
                                       np.array([float(y)]), sd, np.array([0.5]))[0])
            miss = abs(u - history) if not pd.isna(history) else abs(eta[i] + u - logit)
            if miss < score:
                best, score = (n, y), miss
        guesses.append({C.UBIGEO: row.ubigeo, "n": best[0], "y": best[1],
                        "n_oculto": pd.isna(n_pub), "y_oculto": pd.isna(y_pub)})
    return pd.DataFrame(guesses)


def hits(guesses: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Share of blanked cells recovered exactly, and of the best constant guess."""
    merged = guesses.merge(truth[[C.UBIGEO, C.N_INSPECCIONES, C.N_HALLAZGOS]], on=C.UBIGEO)
    out = {}
    for flag, guess, true in (("n_oculto", "n", C.N_INSPECCIONES),
                              ("y_oculto", "y", C.N_HALLAZGOS)):
        cells = merged[merged[flag]]
        out[guess] = float((cells[guess] == cells[true]).mean())
        # a guesser that knows the most common true value (more than a guesser knows)
        out[guess + "_constante"] = float(cells[true].value_counts(normalize=True).iloc[0])
        out[guess + "_celdas"] = len(cells)
    return out


def features_only(export: pd.DataFrame, intercept: float) -> pd.DataFrame:
    """The export as public features alone would make it: no history, the features' risk.

    What an attacker can guess from this is what the features say of a district's counts
    (a riskier district has more findings), not what its records are: the protected export
    must let the attack do no better than on this.
    """
    features = [c for c in export.columns
                if c.startswith(C.CONTRIB_PREFIX) and c != "contrib_historial"]
    out = export.copy()
    out[C.RIESGO] = special.expit(intercept + out[features].sum(axis=1).to_numpy(float))
    if "contrib_historial" in out.columns:
        out["contrib_historial"] = np.nan
    return out


def _no_better_than_the_features(protected, scores, intercept, sd) -> dict:
    result = hits(attack(protected, intercept, sd), scores)
    public = hits(attack(features_only(protected, intercept), intercept, sd), scores)
    assert result["n_celdas"] >= 20 and result["y_celdas"] >= 20, result
    # no better than the public features alone (nor than the best constant, beyond them)
    assert result["n"] <= max(public["n"], result["n_constante"]) + 0.02, (result, public)
    assert result["y"] <= max(public["y"], result["y_constante"]) + 0.02, (result, public)
    return result


def test_the_attack_recovers_every_cell_of_the_old_export(published):
    scores, intercept, sd = published
    old = suppress_small_counts(scores, K)  # counts blanked, nothing else: the old export
    result = hits(attack(old, intercept, sd), scores)
    assert result["n_celdas"] >= 20 and result["y_celdas"] >= 20, result
    assert result["n"] == 1.0 and result["y"] == 1.0, result
    # far better than the public features allow: the check below can fail
    with pytest.raises(AssertionError):
        _no_better_than_the_features(old, scores, intercept, sd)


def test_the_attack_does_no_better_than_guessing_on_the_protected_export(published):
    scores, intercept, sd = published
    protected = protect_scores(scores, K)
    _no_better_than_the_features(protected, scores, intercept, sd)


def test_protected_values_do_not_depend_on_the_hidden_counts(published):
    scores, _, _ = published
    protected = protect_scores(scores, K)
    hidden = protected["publicacion"] == "sin historial"
    assert hidden.sum() > 0
    # change every hidden count to another allowed value: what is published stays the same
    moved = scores.copy()
    small_n = (moved[C.N_INSPECCIONES] > 0) & (moved[C.N_INSPECCIONES] < K)
    moved.loc[small_n, C.N_INSPECCIONES] = K - moved.loc[small_n, C.N_INSPECCIONES]
    again = protect_scores(moved, K)
    cols = [C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10, C.EVIDENCIA,
            "contrib_historial", C.N_INSPECCIONES, C.N_HALLAZGOS]
    pd.testing.assert_frame_equal(protected.loc[hidden, cols], again.loc[hidden, cols])
    # and nothing of the district's own record is left in them
    assert protected.loc[hidden, ["contrib_historial", C.RIESGO_P05, C.PROB_TOP10]] \
        .isna().all().all()
    assert set(protected.loc[hidden, C.EVIDENCIA]) == {"no publicada"}
    # the others keep their values (rounded to 0.1 point) and the rank follows the risks
    kept = protected[~hidden]
    assert np.allclose(kept[C.RIESGO], scores.loc[~hidden, C.RIESGO], atol=5e-4)
    order = protected.sort_values(C.RIESGO, ascending=False)[C.RANGO].to_numpy()
    assert (np.diff(order) >= 0).all()


def test_a_stored_map_class_does_not_reach_a_protected_role():
    """`clase` of the stored scores comes from the raw risks: a protected table drops it."""
    from models.risk.disclosure import protect_scores

    table = pd.DataFrame({"ubigeo": ["1", "2"], "riesgo": [0.5, 0.2], "n_inspecciones": [2, 9],
                          "n_hallazgos": [1, 3], "evidencia": ["limitada", "suficiente"],
                          "rango": [1, 2], "contrib_historial": [0.4, 0.1], "clase": [5, 1]})
    assert "clase" not in protect_scores(table, 5).columns


def test_with_complaints_as_evidence_the_protected_export_still_gives_nothing(scores_gpkg):
    """The deployment's scores (complaints as evidence, the default): same attack."""
    import pyogrio

    scores = pyogrio.read_dataframe(scores_gpkg, layer="riesgo", read_geometry=False)
    table = pyogrio.read_dataframe(scores_gpkg, layer="metadatos", read_geometry=False)
    meta = dict(zip(table.iloc[:, 0].astype(str), table.iloc[:, 1], strict=True))
    protected = protect_scores(scores, K)
    _no_better_than_the_features(protected, scores, float(meta["intercepto"]),
                                 float(meta["sd_efecto_distrital"]))


def test_a_count_blanked_to_protect_another_takes_the_record_off_the_risk():
    """Issue 21: a count blanked by the linked tables (not small itself) is a blank too.

    Its risk must not carry the district's record, or the model's code would rebuild the
    count from it, and the small count it protects from the count.
    """
    from scipy import special as sp

    table = pd.DataFrame({
        "ubigeo": ["1", "2", "3"], "riesgo": [0.5, 0.2, 0.3], "n_inspecciones": [7, 9, 3],
        "n_hallazgos": [2, 0, 1], "n_efectivas": [7.0, 9.0, 3.0],
        "evidencia": ["suficiente"] * 3, "rango": [1, 3, 2],
        "contrib_historial": [0.4, 0.1, 0.2]})
    published = pd.DataFrame({
        "ubigeo": ["1", "2", "3"], "n_inspecciones": pd.array([pd.NA, 9, pd.NA], "Int64"),
        "n_hallazgos": pd.array([pd.NA, 0, pd.NA], "Int64"),
        "suprimido": ["n_inspecciones;n_hallazgos", "", "n_inspecciones;n_hallazgos"]})
    out = protect_scores(table, K, published=published)
    assert out["publicacion"].tolist() == ["sin historial", "completa", "sin historial"]
    assert out["n_inspecciones"].isna().tolist() == [True, False, True]
    assert out["n_inspecciones_suprimido"].tolist() == [True, False, True]
    assert out["n_efectivas"].isna().tolist() == [True, False, True]
    assert out["contrib_historial"].isna().tolist() == [True, False, True]
    # another record for district 1 (another history term, the same features): same row
    moved = table.copy()
    eta = float(sp.logit(0.5) - 0.4)
    moved.loc[0, ["riesgo", "contrib_historial"]] = [float(sp.expit(eta + 1.1)), 1.1]
    moved.loc[0, "n_inspecciones"] = 12
    again = protect_scores(moved, K, published=published)
    cols = ["riesgo", "n_inspecciones", "contrib_historial", "evidencia", "rango"]
    pd.testing.assert_frame_equal(out[cols], again[cols])


def test_the_exported_scores_follow_the_linked_blanks(demo_settings, districts_gpkg,
                                                      scores_gpkg, monkeypatch, tmp_path):
    """Every district with a blank model count in a protected export is 'sin historial'."""
    from dashboard import state

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    table = pd.DataFrame(state.export_table(("08", "16"), K, True,
                                            state.export_counts(False)))
    counts = [C.N_INSPECCIONES, C.N_HALLAZGOS, C.N_DENUNCIAS]
    blank = table[counts].isna().any(axis=1)
    assert (table.loc[blank, "publicacion"] == "sin historial").all()
    assert table.loc[blank, "contrib_historial"].isna().all()
    assert (table.loc[~blank, "publicacion"] == "completa").all()
    # the counts are the publication's, district by district (the card's and the map's)
    shown = state.protected_counts(K).set_index(C.UBIGEO).loc[table[C.UBIGEO], counts]
    pd.testing.assert_frame_equal(
        table.set_index(C.UBIGEO)[counts].astype("Float64"), shown.astype("Float64"),
        check_names=False)

