"""Field sheets as a role may read them: the plan's districts, or one district's card.

:mod:`models.planning.fieldsheet` assembles a sheet; this module gives it what the role may
see: its view of the scores (:func:`dashboard.state.disclosure.view`), the indicator
profiles by sector suppressed at its floor and audited
(:func:`dashboard.state.disclosure.indicator_profiles`), the district table and the services
layer. Pages call these on a download's click, never on every rerun.
"""

from __future__ import annotations

import pandas as pd

from dashboard.state.disclosure import indicator_profiles, scores, view
from dashboard.state.files import in_region, settings
from dashboard.state.loaders import district_table
from dashboard.state.services import service_points
from geo import columns as C
from geo.trust.access import Principal
from models.planning.fieldsheet import (
    FieldSheet,
    field_sheet,
    plan_field_sheets,
    referral_routes,
)

__all__ = ["district_sheet", "plan_sheets"]


def plan_sheets(who: Principal, plan) -> list[FieldSheet]:
    """Return the field sheet of every district of ``plan``, as ``who`` may read it."""
    deps = sorted({str(u)[:2] for u in plan.visits[C.UBIGEO]})
    return plan_field_sheets(plan, settings(), districts=district_table(),
                             services=service_points(()), profiles=_profiles(who, deps),
                             scores=scores(view(who)))


def district_sheet(who: Principal, ubigeo: str) -> FieldSheet:
    """Return one district's field sheet (no trip), as ``who`` may read it."""
    dep = ubigeo[:2]
    layer = pd.DataFrame(scores(view(who))).drop(columns="geometry", errors="ignore")
    row = layer[layer[C.UBIGEO].astype(str) == ubigeo].iloc[0].to_dict()
    districts = in_region(district_table(), (dep,))
    mine = districts[districts[C.UBIGEO] == ubigeo]
    values = mine.iloc[0].to_dict() if len(mine) else {}
    routes = referral_routes(districts, service_points(()), [ubigeo], settings().planning)
    return field_sheet(row, settings(), values=values, profile=_profiles(who, [dep]).get(dep),
                       referrals=routes.get(ubigeo, ()))


def _profiles(who: Principal, deps: list[str]) -> dict[str, pd.DataFrame]:
    """Each department's indicator profile by sector, suppressed for ``who`` (audited)."""
    out = {}
    for dep in deps:
        if who.regions and dep not in who.regions:
            continue  # never a count of a department outside the role's regions
        table = indicator_profiles(who, C.SECTOR, (dep,))
        if len(table):
            out[dep] = table
    return out
