"""The printable plan: a cover page, then one page per office with its map, legend and trips.

The markup lives in template files next to this module (``templates/``: the page, its style
sheet, an office's page, the method and the pieces of the SVG map), filled with
:class:`string.Template`; this module computes what goes in them.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import string
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.messages import get_language, t
from models.planning.columns import (
    COSTO,
    DIAS,
    DIAS_IDA,
    DISTRITOS,
    HALLAZGOS,
    HALLAZGOS_P05,
    HALLAZGOS_P95,
    MOTIVO,
    OFICINA,
    ORDEN,
    TIPO,
    TIPO_EXPLORACION,
    TRAMOS,
    VIAJE,
)

__all__ = ["plan_month", "render_html"]

_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#999999")  # Okabe-Ito (colour-blind safe), grey for black: black marks the office
_EXPLORE_COLOUR = "#7B3294"


_MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
              "septiembre", "octubre", "noviembre", "diciembre")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def plan_month(month: str | None = None, today: Any = None) -> tuple[int, int]:
    """``(year, month)`` a plan is for: ``"YYYY-MM"``, or the month after ``today``.

    >>> plan_month("2027-02"), plan_month(today=__import__("datetime").date(2026, 12, 3))
    ((2027, 2), (2027, 1))
    """
    if month:
        try:
            year, mon = (int(x) for x in str(month).split("-"))
            dt.date(year, mon, 1)
        except (TypeError, ValueError) as err:
            raise DataError("plan.mes_use_formato_aaaa", month=month) \
                from err
        return year, mon
    today = today or dt.date.today()
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def render_html(plan: Any, lang: str | None, title: str | None, simulated: bool,
                month: str | None = None) -> str:
    """Return the printable plan: a cover page, then a page per office (map and trips).

    ``plan`` is a :class:`models.planning.plan.Plan` (not imported here: the plan imports
    this module to print itself).
    """
    es = (lang or get_language()) != "en"

    def h(key: str, **params: Any) -> str:
        return html.escape(t(key, lang=lang, **params))

    year, mon = plan_month(month)
    month_name = f"{_MONTHS_ES[mon - 1]} de {year}" if es else f"{_MONTHS_EN[mon - 1]} {year}"
    today = dt.date.today()
    made = today.strftime("%d/%m/%Y") if es else today.isoformat()
    s = plan.summary.iloc[-1]
    title = title or t("plan.impreso.titulo", lang=lang, month=month_name)
    sim = _fill("simulated.html", text=h("plan.impreso.datos_simulados")) if simulated else ""
    totals = h("plan.impreso.totales", findings=s[HALLAZGOS], p05=s[HALLAZGOS_P05],
               p95=s[HALLAZGOS_P95], days=s["dias_plan"], capacity=s["capacidad_dias"],
               simple=s["hallazgos_ingenuo"])
    summary = _html_table(plan.summary, {
        OFICINA: h("plan.impreso.col_oficina"),
        "capacidad_dias": h("plan.impreso.col_dias_inspector"),
        "dias_exploracion": h("plan.impreso.col_exploracion"),
        "dias_plan": h("plan.impreso.col_dias_usados"),
        "distritos_plan": h("plan.impreso.col_distritos"),
        HALLAZGOS: h("plan.impreso.col_hallazgos"),
        HALLAZGOS_P05: "p05", HALLAZGOS_P95: "p95",
        "hallazgos_ingenuo": h("plan.impreso.col_plan_simple")})
    offices = [_office_page(plan, office.name, month_name, sim, lang)
               for office in plan.spec.offices]
    return _fill(
        "plan.html", lang="es" if es else "en", title=html.escape(title), style=_style(),
        prepared=h("plan.impreso.preparado", made=made),
        simulated=sim, totals=totals,
        warnings="\n".join(_fill("warning.html", text=html.escape(msg))
                           for msg in plan.messages(lang)),
        summary=summary, offices="\n".join(offices), method_heading=h("plan.impreso.metodo_titulo"),
        method=_method_text(plan, h))


def _office_page(plan: Any, name: str, month_name: str, sim: str, lang: str | None) -> str:
    """One office's page: its totals, then its map, legend, trips and visits (or none)."""
    es = (lang or get_language()) != "en"

    def h(key: str, **params: Any) -> str:
        return html.escape(t(key, lang=lang, **params))

    trips = plan.trips[plan.trips[OFICINA] == name]
    visits = plan.visits[plan.visits[OFICINA] == name]
    row = plan.summary[plan.summary[OFICINA] == name]
    totals = ""
    if len(row):
        r = row.iloc[0]
        totals = _fill("paragraph.html", text=h(
            "plan.impreso.totales_oficina", trips=len(trips),
            districts=int(r["distritos_plan"]), days=r["dias_plan"],
            capacity=r["capacidad_dias"], exploration=r["dias_exploracion"],
            findings=r[HALLAZGOS], p05=r[HALLAZGOS_P05], p95=r[HALLAZGOS_P95]))
    page = {"office": html.escape(name), "month": html.escape(month_name), "simulated": sim,
            "totals": totals, "no_trips": "", "map": "", "legend": "", "trips": "", "visits": ""}
    if trips.empty:
        page["no_trips"] = _fill("paragraph.html",
                                 text=h("plan.impreso.sin_viajes"))
        return _fill("office.html", **page)
    motive = MOTIVO if es else MOTIVO + "_en"
    legs = TRAMOS if es else TRAMOS + "_en"
    page["map"] = _svg_map(plan, office=name, lang=lang)
    page["legend"] = _legend(trips, plan, lang)
    page["trips"] = _html_table(trips, {
        VIAJE: h("plan.impreso.col_viaje"), TIPO: h("plan.impreso.col_tipo"),
        DISTRITOS: h("plan.impreso.col_distritos_orden"),
        DIAS: h("plan.impreso.col_dias"), legs: h("plan.impreso.col_tramos"),
        COSTO: h("plan.impreso.col_costo"),
        HALLAZGOS: h("plan.impreso.col_hallazgos"),
        HALLAZGOS_P05: "p05", HALLAZGOS_P95: "p95", motive: h("plan.impreso.col_motivo")})
    cols = {VIAJE: h("plan.impreso.col_viaje"), ORDEN: h("plan.impreso.col_orden"),
            C.DISTRITO: h("plan.impreso.col_distrito"),
            C.PROVINCIA: h("plan.impreso.col_provincia"),
            C.UBIGEO: "UBIGEO", C.RIESGO: h("plan.impreso.col_riesgo"),
            C.EVIDENCIA: h("plan.impreso.col_evidencia"),
            DIAS_IDA: h("plan.impreso.col_dias_ida")}
    page["visits"] = _html_table(pd.DataFrame(visits.drop(columns="geometry", errors="ignore")),
                                 cols)
    return _fill("office.html", **page)


def _method_text(plan: Any, h: Callable[..., str]) -> str:
    """Return the method page's text: days, legs, costs, the choice and exploration."""
    return h("plan.impreso.metodo", inspection_days=plan.spec.days_per_inspection,
             max_days=plan.spec.max_trip_days, share=plan.spec.exploration_share,
             seed=plan.spec.seed)


def _legend(trips: pd.DataFrame, plan: Any, lang: str | None) -> str:
    colour = _trip_colours(plan)
    items = []
    for row in trips.itertuples(index=False):
        fill = _EXPLORE_COLOUR if row.tipo == TIPO_EXPLORACION else colour[row.viaje]
        kind = t("plan.exploracion", lang=lang) if row.tipo == TIPO_EXPLORACION \
            else ""
        items.append(_fill("legend_item.html", colour=fill,
                           text=f"{html.escape(row.viaje + kind)}: {html.escape(row.distritos)}"))
    office = t("plan.oficina", lang=lang)
    items.append(_fill("legend_item.html", colour="#000", text=html.escape(office)))
    return _fill("legend.html", items="".join(items))


def _trip_colours(plan: Any) -> dict[str, str]:
    trip_ids = list(dict.fromkeys(plan.visits[VIAJE]))
    return {tid: _PALETTE[i % len(_PALETTE)] for i, tid in enumerate(trip_ids)}


def _html_table(df: pd.DataFrame, columns: Mapping[str, str]) -> str:
    cols = [c for c in columns if c in df]
    out = ["<table><thead><tr>", *(f"<th>{columns[c]}</th>" for c in cols), "</tr></thead><tbody>"]
    for row in df[cols].itertuples(index=False):
        out.append("<tr>")
        for v in row:
            if isinstance(v, float | np.floating):
                out.append(f"<td class='n'>{v:,.2f}</td>")
            elif isinstance(v, int | np.integer):
                out.append(f"<td class='n'>{v}</td>")
            else:
                out.append(f"<td>{html.escape(str(v))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _svg_map(plan: Any, width: int = 900, office: str | None = None,
             lang: str | None = None) -> str:
    """Draw a static SVG map: no JavaScript, no tiles, prints and works offline.

    With ``office``, only its trips: each visited district in its trip's colour and named,
    a line through the stops in order from the office and back, the office marked.
    """
    g = plan.visits
    if office is not None:
        g = g[g[OFICINA] == office]
    if g.empty or getattr(g, "geometry", None) is None or g.geometry.isna().all():
        return ""
    offices = [o for o in plan.spec.offices if office is None or o.name == office]
    geoms = g.geometry.simplify(0.005)
    minx, miny, maxx, maxy = geoms.total_bounds
    background = [plan.outlines[o.department] for o in offices
                  if o.department in plan.outlines]
    for shape in background:  # the whole department, so the trips have their context
        bx0, by0, bx1, by1 = shape.bounds
        minx, miny, maxx, maxy = min(minx, bx0), min(miny, by0), max(maxx, bx1), max(maxy, by1)
    for o in offices:
        minx, maxx = min(minx, o.lon), max(maxx, o.lon)
        miny, maxy = min(miny, o.lat), max(maxy, o.lat)
    pad = 0.08 * max(maxx - minx, maxy - miny, 0.1)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    kx = math.cos(math.radians((miny + maxy) / 2))
    scale = width / ((maxx - minx) * kx)
    height = int((maxy - miny) * scale) + 1

    def pt(x: float, y: float) -> tuple[float, float]:
        return (x - minx) * kx * scale, (maxy - y) * scale

    def xy(x: float, y: float) -> str:
        a, b = pt(x, y)
        return f"{a:.1f},{b:.1f}"

    colour = _trip_colours(plan)
    out = []
    for shape in background:
        for poly in getattr(shape, "geoms", [shape]):
            if poly.geom_type != "Polygon":
                continue
            d = "M" + " L".join(xy(x, y) for x, y in poly.exterior.coords) + " Z"
            out.append(_fill("map/outline.svg", d=d))
    for geom, trip, kind in zip(geoms, g[VIAJE], g[TIPO], strict=True):
        if geom is None or geom.is_empty:
            continue
        fill = _EXPLORE_COLOUR if kind == TIPO_EXPLORACION else colour[trip]
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            d = "M" + " L".join(xy(x, y) for x, y in poly.exterior.coords) + " Z"
            out.append(_fill("map/district.svg", d=d, fill=fill))
    reps = g.geometry.representative_point()
    by_office = {o.name: o for o in plan.spec.offices}
    for trip, rows in g.assign(_p=reps).groupby(VIAJE, sort=False):
        rows = rows.sort_values(ORDEN)
        home = by_office.get(rows[OFICINA].iloc[0])
        stops = [(home.lon, home.lat)] if home else []
        stops += [(p.x, p.y) for p in rows["_p"]]
        stops += [(home.lon, home.lat)] if home else []
        kind = rows[TIPO].iloc[0]
        line = _EXPLORE_COLOUR if kind == TIPO_EXPLORACION else colour[trip]
        out.append(_fill("map/route.svg", points=" ".join(xy(x, y) for x, y in stops),
                         colour=line))
    for name, trip, p in zip(g.get(C.DISTRITO, g[C.UBIGEO]), g[VIAJE], reps, strict=True):
        x, y = pt(p.x, p.y)
        out.append(_fill("map/label.svg", x=f"{x:.1f}", y=f"{y:.1f}",
                         text=html.escape(f"{name} ({trip})")))
    for o in offices:
        x, y = pt(o.lon, o.lat)
        right = x > 0.6 * width  # the name goes where there is room for it
        out.append(_fill("map/office.svg", rect_x=f"{x - 5:.1f}", rect_y=f"{y - 5:.1f}",
                         x=f"{x - 8 if right else x + 8:.1f}", y=f"{y - 8:.1f}",
                         anchor="end" if right else "start", name=html.escape(o.name)))
    note = t("plan.lineas_orden_paradas_tramos", lang=lang)
    return _fill("map/map.svg", width=width, height=height, shapes="".join(out),
                 note_y=height - 6, note=html.escape(note))


# --- the template files ------------------------------------------------------------------
@functools.cache
def _template(name: str) -> string.Template:
    """Return the template file ``templates/<name>``, read from the package (installed or not)."""
    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    return string.Template(text.removesuffix("\n"))


def _fill(name: str, /, **values: object) -> str:
    """Fill the template ``name``; a line left empty (a part the plan lacks) is dropped."""
    filled = _template(name).substitute(values)
    return "\n".join(line for line in filled.split("\n") if line)


def _style() -> str:
    """Return ``plan.css`` on one line (one rule a line in the file, as the page had it)."""
    return "".join(line.strip() for line in _template("plan.css").template.splitlines())
