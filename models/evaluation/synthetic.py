"""A small synthetic world for tests and benchmarks: features -> true risk -> biased inspections.

Not the demo world (that is :mod:`geo.world.demo`, on real boundaries); this one needs no files, so
the estimator and the metrics can be tested on a world whose truth is known exactly.

Generating process
------------------
- features per district: ``mineria`` (area share, mostly zero, skewed), ``pobreza`` (%),
  ``lejania`` (km);
- true risk: ``logit(r) = intercept + w . z + noise`` with ``z`` the standardised features and
  ``noise ~ N(0, noise_sd)`` (what no feature explains);
- inspections per year: Poisson, more near the office (low ``lejania``) and more where the risk
  is high (complaints) — the selection bias;
- findings: Bernoulli(true risk) per inspection.

Examples
--------
>>> w = make_world(n_districts=20, n_years=3, seed=1)
>>> sorted(w.features.columns)
['lejania', 'mineria', 'pobreza']
>>> set(w.records["hallazgo_tf"].unique()) <= {0, 1}
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from geo import columns as C

__all__ = ["SyntheticWorld", "TRUE_WEIGHTS", "make_world"]

#: True weights (log-odds per standard deviation) of the synthetic world.
TRUE_WEIGHTS = {"mineria": 0.9, "pobreza": 0.5, "lejania": 0.3}


@dataclass(frozen=True)
class SyntheticWorld:
    """Features (index = ubigeo), inspection records, true risk and provinces."""

    features: pd.DataFrame
    records: pd.DataFrame
    truth: pd.Series
    provinces: pd.Series


def make_world(
    n_districts: int = 169,
    n_years: int = 10,
    seed: int = 0,
    *,
    inspections_per_year: float = 60.0,
    intercept: float = -2.8,
    noise_sd: float = 0.4,
    first_year: int = 2016,
    n_provinces: int = 12,
) -> SyntheticWorld:
    """Draw a synthetic world.

    Parameters
    ----------
    n_districts, n_years, seed
        Size and seed.
    inspections_per_year : float
        Expected inspections per year in the whole region.
    intercept : float
        Logit of the true risk of the average district.
    noise_sd : float
        Spread of the unexplained part of the true logit.
    first_year : int
        Year of the first records.
    n_provinces : int
        Provinces (blocks for spatial cross-validation), assigned in contiguous runs.

    Returns
    -------
    SyntheticWorld
    """
    rng = np.random.default_rng(seed)
    keys = [f"{i:06d}" for i in range(1, n_districts + 1)]
    mineria = np.where(rng.random(n_districts) < 0.3, rng.beta(1.0, 6.0, n_districts), 0.0)
    pobreza = np.clip(rng.normal(35.0, 12.0, n_districts), 1.0, 75.0)
    lejania = rng.gamma(2.0, 60.0, n_districts)
    feats = pd.DataFrame(
        {"mineria": mineria, "pobreza": pobreza, "lejania": lejania},
        index=pd.Index(keys, name=C.UBIGEO),
    )
    z = (feats - feats.mean()) / feats.std(ddof=0)
    eta = intercept + sum(TRUE_WEIGHTS[c] * z[c] for c in TRUE_WEIGHTS)
    eta = eta + rng.normal(0.0, noise_sd, n_districts)
    truth = pd.Series(special.expit(eta.to_numpy()), index=feats.index, name=C.RIESGO_VERDADERO)
    # selection bias: offices sit at low lejania; complaints follow the true risk
    pull = np.exp(-0.8 * z["lejania"].to_numpy() + 1.2 * (eta.to_numpy() - intercept) / 2.0)
    rate = inspections_per_year * pull / pull.sum()
    rows = []
    rid = 0
    for year in range(first_year, first_year + n_years):
        counts = rng.poisson(rate)
        for d in np.flatnonzero(counts):
            for _ in range(counts[d]):
                rid += 1
                day = pd.Timestamp(year=year, month=1, day=1) + pd.Timedelta(
                    days=int(rng.integers(0, 365))
                )
                rows.append((f"S{rid:06d}", day, keys[d], int(rng.random() < truth.iloc[d])))
    records = pd.DataFrame(rows, columns=[C.ID, C.FECHA, C.UBIGEO, C.HALLAZGO])
    records[C.FECHA] = pd.to_datetime(records[C.FECHA])
    records[C.SECTOR] = "mineria"
    records[C.ORIGEN] = "planificada"
    provinces = pd.Series(
        [f"P{(i * n_provinces) // n_districts:02d}" for i in range(n_districts)],
        index=feats.index, name=C.PROVINCIA,
    )
    return SyntheticWorld(feats, records, truth, provinces)
