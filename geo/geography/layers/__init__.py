"""Sector layers -> one number per district.

A sector layer (mining concessions, logging camps, a table of coca hectares…) is declared
in the settings file as a :class:`geo.config.LayerSpec`; :func:`aggregate` turns it into one
float per district, indexed by ``ubigeo``, with the measure the spec names:

``area_share``
    share of the district's area covered by the layer's polygons. Overlapping polygons are
    dissolved first, so a hectare covered twice counts once. Areas are computed in an
    equal-area CRS (:data:`EQUAL_AREA_CRS`), never in degrees or UTM.
``count``
    number of features in the district; a polygon or a line is placed by its
    representative point (a point guaranteed to lie on it), so it is counted once.
``density``
    ``count`` per km² (``per = "km2"``) or per 1,000 inhabitants (``per = "poblacion"``).
``sum``, ``mean``
    of ``spec.column`` over the features in the district (placed as for ``count``).
``value``
    ``spec.column`` of a table keyed by ubigeo (CSV or any file GDAL reads), as downloaded;
    several columns (a list) or one per year (``"{year}_ha"`` with ``years``), or the rows
    of some years of a long district × year panel (``panel_year``), combined by
    ``spec.combine`` (``sum``, ``mean``, ``last``).

Districts where there is nothing to aggregate get 0 — a layer of features, a count, a
raster covers the whole region. A table is different: a district it does not list (or
leaves empty) has **no value**, NaN, unless the layer says ``missing = "zero"`` and why.
What a user should know but is not an error (features outside every district, codes of a
table that name no district, districts without a value) is returned as
:class:`geo.geography.io.Notice` objects in ``series.attrs["notices"]``.

Point-in-polygon rule (:func:`locate_points`, :func:`count_points`): a point belongs to a
district when it lies in its interior *or on its boundary*; a point on a boundary shared by
several districts (or in a sliver where two source polygons overlap) goes to the first of
them in the row order of ``districts``, so every point is counted at most once. Points
outside every district are not counted.

The work is done in the modules of this package, each with one job: :mod:`.reading` (a
layer's files), :mod:`.measures` (features and rows already read), :mod:`.tables` (tables
keyed by UBIGEO), :mod:`.aggregation` (:func:`aggregate`, from a spec to its measure) and
:mod:`.history` (dated layers year by year); the point-in-polygon rule lives in
:mod:`geo.geography.points`. Import from here.

(Example: :mod:`geo.geography.points`, whose ``count_points`` is re-exported here.)
"""

from __future__ import annotations

from geo.geography.layers.aggregation import aggregate
from geo.geography.layers.history import HISTORY_YEARS, layer_history
from geo.geography.layers.measures import (
    EQUAL_AREA_CRS,
    area_share,
    column_stat,
    count_features,
    density,
    district_area_km2,
)
from geo.geography.layers.reading import read_layer, read_table
from geo.geography.layers.tables import value_by_ubigeo
from geo.geography.points import count_points, locate_points

__all__ = [
    "EQUAL_AREA_CRS",
    "HISTORY_YEARS",
    "aggregate",
    "area_share",
    "column_stat",
    "count_features",
    "count_points",
    "density",
    "district_area_km2",
    "layer_history",
    "locate_points",
    "read_layer",
    "read_table",
    "value_by_ubigeo",
]
