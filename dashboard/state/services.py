"""Services for victims near each district, days to reach them, and the gap on the risk map."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard.state.disclosure import scores, view
from dashboard.state.files import in_region, mtime, settings
from dashboard.state.loaders import district_table
from geo import columns as C
from geo.geography.services import read_stored
from geo.trust.access import Principal
from models.planning.services import gap
from models.planning.services import service_access as district_service_access
from models.planning.travel import read_travel_table


def service_points(region: tuple[str, ...] = ()) -> gpd.GeoDataFrame | None:
    """Return the services layer of the built district table (None when none is declared)."""
    path = settings().districts_gpkg
    if not path.is_file():
        return None
    return _service_points(str(path), mtime(path), tuple(region))


@st.cache_resource(show_spinner=False, max_entries=8)
def _service_points(path: str, stamp: float, region: tuple[str, ...]):
    gdf = read_stored(path)
    if gdf is None or not region:
        return gdf
    near = gdf[C.UBIGEO].astype(str).str[:2].isin(list(region)) | gdf[C.UBIGEO].eq("")
    return gdf[near].reset_index(drop=True)


def service_access(region: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """Days from each district of ``region`` to its nearest service.

    One row per district (:mod:`models.planning.services`).
    """
    path = settings().districts_gpkg
    if not path.is_file():
        return None
    table = settings().planning.travel_table
    return _service_access(str(path), mtime(path), str(table or ""),
                           mtime(table) if table else 0.0, tuple(region))


@st.cache_data(show_spinner=False, max_entries=8)
def _service_access(path: str, stamp: float, table: str, table_stamp: float,
                    region: tuple[str, ...]) -> pd.DataFrame | None:
    points = _service_points(path, stamp, ())  # help across a department line counts
    if points is None:
        return None
    districts = in_region(district_table(), region)
    travel = None
    if table:
        names = points["nombre"].astype(str).tolist() + [o.name for o in
                                                          settings().planning.offices]
        # the table covers the whole deployment: read against every district, then cut
        travel = read_travel_table(table, district_table()[C.UBIGEO].astype(str).tolist(),
                                   names)
        travel = in_region(travel, region)
    return district_service_access(districts, points, travel)


def service_gap(who: Principal, region: tuple[str, ...]) -> pd.DataFrame | None:
    """High-risk districts far from help (``models.planning.services.gap``) on ``who``'s view."""
    access = service_access(region)
    if access is None:
        return None
    layer = in_region(scores(view(who)), region)
    out = gap(layer, access)
    names = layer.set_index(C.UBIGEO)[[C.DISTRITO, C.PROVINCIA]]
    return out.join(names, on=C.UBIGEO)
