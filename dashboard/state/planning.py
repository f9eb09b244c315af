"""The Planificación page's plan: computed once per input, and an uploaded travel table checked."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.state.disclosure import scores as scores_of
from dashboard.state.loaders import district_table
from dashboard.state.regions import ALL_REGIONS
from geo import columns as C
from geo.config import PlanningSpec
from geo.errors import RiskmapError
from models.planning import plan as P
from models.planning.travel import read_travel_table


@st.cache_data(show_spinner=False, max_entries=16)
def compute_plan(scores_path: str, stamp: float, spec_key: str, _spec: PlanningSpec,
                 capacities: tuple[tuple[str, float], ...], table_hash: str,
                 _table: pd.DataFrame | None) -> P.Plan:
    """Compute the plan once per distinct input (scores file, inputs, travel table)."""
    scores = scores_of()
    try:
        districts = district_table()[[C.UBIGEO, C.REGION_NATURAL]]
    except Exception:  # noqa: BLE001 - optional: refines the travel estimate only
        districts = None
    return P.plan_inspections(scores, _spec, capacities=dict(capacities), travel_table=_table,
                              districts=districts)


def offices_in(offices: tuple, region) -> tuple:
    """Return the offices that plan ``region`` (a :class:`dashboard.state.regions.Region`).

    An office plans the region of its ``department``; one without a department plans only
    the whole area (it is nobody's region in particular).

    >>> from geo.config.planning import Office
    >>> from dashboard.state.regions import Region
    >>> cus, lor = Office("Cusco", 0, 0, 1, "08"), Office("Loreto", 0, 0, 1, "16")
    >>> free = Office("Sede", 0, 0, 1)
    >>> [o.name for o in offices_in((cus, lor, free), Region("cusco", ("08",), "Cusco", 116))]
    ['Cusco']
    >>> [o.name for o in offices_in((cus, lor, free), Region("todo", ("08", "16"), "", 169))]
    ['Cusco', 'Loreto', 'Sede']
    """
    if region.key == ALL_REGIONS:
        return tuple(offices)
    return tuple(o for o in offices if o.department and o.department in region.codes)


def read_uploaded_table(upload, ubigeos, offices) -> tuple[pd.DataFrame | None, str]:
    """Validate an uploaded travel table; return it and a hash of its bytes."""
    if upload is None:
        return None, ""
    data = upload.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(upload.name).name or "viajes.csv")
        path.write_bytes(data)
        try:
            table = read_travel_table(path, ubigeos, offices)
        except RiskmapError as err:  # name the uploaded file, not the temp copy
            raise _renamed(err, str(path), upload.name) from None
    return table, hashlib.sha256(data).hexdigest()


class _Renamed:
    """A message written with one text replaced (the temp copy's path by the upload's name)."""

    def __init__(self, message: RiskmapError, old: str, new: str) -> None:
        self._inner, self._old, self._new = message, old, new

    def message(self, lang: str | None = None) -> str:
        return self._inner.message(lang).replace(self._old, self._new)


def _renamed(err: RiskmapError, old: str, new: str) -> RiskmapError:
    """``err`` naming ``new`` where it named ``old``, in the language current when shown."""
    return RiskmapError("planificacion.error_archivo_subido", error=_Renamed(err, old, new))
