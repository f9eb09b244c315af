"""Hot spots of risk: Getis-Ord Gi* on the district scores, with a false-discovery-rate cut.

A hot spot is a district that, together with its neighbours (Queen contiguity), has a risk
higher than chance would give; a cold spot, lower. With 169 tests at once, the p-values are
corrected by Benjamini–Hochberg so that at most ``alpha`` of the districts called hot or cold
are expected to be false alarms.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> cells = [box(i, j, i + 1, j + 1) for i in range(5) for j in range(5)]
>>> risk = [0.9 if (i < 2 and j < 2) else 0.1 for i in range(5) for j in range(5)]
>>> g = gpd.GeoDataFrame({"ubigeo": [f"{k:06d}" for k in range(25)], "riesgo": risk},
...                      geometry=cells, crs=3857)
>>> out = hotspot_layer(g, permutations=0)
>>> out.loc[0, "punto_caliente"]
'caliente'
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
from esda.getisord import G_Local
from libpysal.weights import Queen
from scipy import stats

from geo import columns as C
from geo.errors import DataError

__all__ = ["GI_Z", "GI_P", "GI_Q", "HOTSPOT", "benjamini_hochberg", "hotspot_layer"]

GI_Z = "gi_z"  # Gi* standardised statistic
GI_P = "gi_p"  # two-sided p-value
GI_Q = "gi_q"  # Benjamini–Hochberg adjusted p-value (q-value)
HOTSPOT = "punto_caliente"  # "caliente" | "frio" | "no significativo"


def hotspot_layer(
    scores: gpd.GeoDataFrame,
    column: str = C.RIESGO,
    *,
    alpha: float = 0.05,
    permutations: int = 0,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* of ``column`` over Queen neighbours, with Benjamini–Hochberg FDR.

    Parameters
    ----------
    scores : GeoDataFrame
        One polygon per district with ``ubigeo`` and ``column`` (e.g. from
        :func:`models.risk.score.score_districts`).
    column : str
        The value tested (default ``riesgo``).
    alpha : float
        False discovery rate.
    permutations : int
        0: analytical (normal) p-values; otherwise conditional-permutation p-values.
    seed : int
        Seed of the permutations.

    Returns
    -------
    GeoDataFrame
        ``ubigeo``, ``column``, ``gi_z``, ``gi_p``, ``gi_q``, ``punto_caliente`` and geometry.

    Raises
    ------
    DataError
        The column is missing or there are fewer than three districts.
    """
    if column not in scores.columns or C.UBIGEO not in scores.columns:
        raise DataError("riesgo.capa_riesgo_no_tiene", ubigeo=C.UBIGEO, column=column)
    if len(scores) < 3:
        raise DataError("riesgo.necesitan_menos_distritos_buscar")
    gdf = scores[[C.UBIGEO, column, scores.geometry.name]].reset_index(drop=True)
    with warnings.catch_warnings():
        # islands (no neighbour) are reported by libpysal; Gi* includes the district itself
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(gdf, use_index=False)
        w.transform = "B"
        y = gdf[column].to_numpy(dtype=float)
        g = G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed)
    z = np.asarray(g.Zs, dtype=float)
    if permutations:
        p = np.asarray(g.p_sim, dtype=float)  # esda folds the permutation test already
    else:
        p = 2.0 * stats.norm.sf(np.abs(z))
    q = benjamini_hochberg(p)
    label = np.where(q <= alpha, np.where(z > 0, "caliente", "frio"), "no significativo")
    out = gdf.copy()
    out[GI_Z] = z
    out[GI_P] = p
    out[GI_Q] = q
    out[HOTSPOT] = label
    return out


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values).

    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p, dtype=float)
    n = p.shape[0]
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(ranked, 1.0)
    return q
