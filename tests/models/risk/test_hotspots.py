"""Hot spots: Gi* on a small grid with a planted cluster, Benjamini–Hochberg by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geo.errors import DataError
from models.risk.hotspots import GI_Q, HOTSPOT, benjamini_hochberg, hotspot_layer


def _grid(hot):
    cells, risk, keys = [], [], []
    for i in range(6):
        for j in range(6):
            cells.append(box(i, j, i + 1, j + 1))
            risk.append(0.8 if (i, j) in hot else 0.1 + 0.01 * ((i * 7 + j * 3) % 5))
            keys.append(f"{i:03d}{j:03d}")
    return gpd.GeoDataFrame({"ubigeo": keys, "riesgo": risk}, geometry=cells, crs=32718)


def test_planted_cluster_is_hot_and_the_rest_is_not():
    hot = {(0, 0), (0, 1), (1, 0), (1, 1)}
    out = hotspot_layer(_grid(hot))
    labels = dict(zip(out["ubigeo"], out[HOTSPOT], strict=True))
    assert labels["000000"] == "caliente"
    assert labels["001001"] == "caliente"
    assert labels["005005"] != "caliente"
    assert (out[HOTSPOT] == "caliente").sum() <= 9  # the cluster and its rim, not the map


def test_spatially_random_map_has_no_hot_spot():
    g = _grid(set())
    g["riesgo"] = np.random.default_rng(0).normal(0.2, 0.02, len(g))
    out = hotspot_layer(g)
    assert (out[HOTSPOT] == "no significativo").all()


def test_permutation_p_values_agree_on_the_cluster():
    out = hotspot_layer(_grid({(2, 2), (2, 3), (3, 2), (3, 3)}), permutations=999, seed=1)
    assert out.loc[out["ubigeo"] == "002002", HOTSPOT].item() == "caliente"
    assert (out[GI_Q] >= 0).all()


def test_benjamini_hochberg_by_hand():
    # p sorted: 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533, 0.20 -> monotone from the top
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.20])


def test_missing_column_is_a_clear_error():
    with pytest.raises(DataError, match="riesgo"):
        hotspot_layer(_grid(set()).drop(columns="riesgo"))


# --- the Mapa page draws these hot spots, not a second computation --------------------------
def _raw_p_hot(gdf):
    """The page's former rule (Gi*, 999 permutations, raw p < 0.05): only to show it differs."""
    from esda.getisord import G_Local
    from libpysal.weights import Queen

    gdf = gdf.reset_index(drop=True)
    w = Queen.from_dataframe(gdf, use_index=False)
    g = G_Local(gdf["riesgo"].to_numpy(float), w, star=True, permutations=999, seed=0)
    return set(gdf.loc[(g.Zs > 0) & (g.p_sim < 0.05), "ubigeo"])


@pytest.mark.parametrize("codes", [("08",), ("16",)])
def test_mapa_hot_spots_are_the_models(codes, demo_settings, scores_gpkg, monkeypatch):
    import streamlit as st

    from dashboard import mapview, state

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    st.cache_data.clear()
    st.cache_resource.clear()
    region = state.in_region(state.scores(0), codes)
    model = hotspot_layer(region)
    expected = set(model.loc[model[HOTSPOT] == "caliente", "ubigeo"])
    assert expected, "the demo has hot spots in each pilot region"
    assert expected != _raw_p_hot(region), "a raw p < 0.05 would draw other districts"

    drawn = {}
    real = mapview.risk_map

    def spy(*args, **kwargs):
        drawn["hot"] = set(kwargs["hotspots"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mapview, "risk_map", spy)
    state.map_payload(codes, "quantiles", "es", show_hot=True)
    assert drawn["hot"] == expected  # what the map outlines
    assert set(state.hotspots(codes)["ubigeo"]) == expected  # what the page counts
    st.cache_data.clear()
    st.cache_resource.clear()
