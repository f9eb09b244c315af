"""The printable plan: a cover, a page per office (map, legend, trips) and its field sheets.

The markup lives in template files next to this module (``templates/``: the page, its style
sheet, an office's page, the method and the pieces of the SVG map), filled with
:class:`string.Template`; this module computes what goes in them.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.formatting import format_date, format_month, format_number
from geo.messages import catalogue, get_language, t
from models.planning import markup
from models.planning.columns import (
    COSTO,
    DIAS,
    DISTRITOS,
    HALLAZGOS,
    HALLAZGOS_P05,
    HALLAZGOS_P95,
    OFICINA,
    ORDEN,
    TIPO,
    TIPO_EXPLORACION,
    TRAMOS,
    VIAJE,
)
from models.planning.fieldprint import sheet_html, style
from models.planning.fieldsheet import FieldSheet

__all__ = ["page_count", "plan_month", "render_html"]

_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#999999")  # Okabe-Ito (colour-blind safe), grey for black: black marks the office
_EXPLORE_COLOUR = "#7B3294"
#: The printed map's largest size in CSS pixels: the A4 page's width within its margins,
#: and the height that leaves an office's trips room on the same page.
MAP_WIDTH, MAP_HEIGHT = 680, 390


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
                month: str | None = None, sheets: Sequence[FieldSheet] | None = None) -> str:
    """Return the printable plan: a cover, a page per office followed by its field sheets.

    ``plan`` is a :class:`models.planning.plan.Plan` (not imported here: the plan imports
    this module to print itself); ``sheets`` its districts' field sheets
    (:func:`models.planning.fieldsheet.plan_field_sheets`), none when not given. Every page is
    one A4 sheet of fixed height, so the count the cover states is the printed count.
    """
    lang = lang or get_language()

    def h(key: str, **params: Any) -> str:
        return html.escape(t(key, lang=lang, **params))

    year, mon = plan_month(month)
    month_name = format_month(dt.date(year, mon, 1), lang)
    s = plan.summary.iloc[-1]
    title = title or t("plan.impreso.titulo", lang=lang, month=month_name)
    sim = markup.fill("simulated.html", text=h("plan.impreso.datos_simulados")) if simulated else ""
    totals = h("ficha.plan.totales", findings=_n(s[HALLAZGOS], lang, 1),
               p05=_n(s[HALLAZGOS_P05], lang, 1), p95=_n(s[HALLAZGOS_P95], lang, 1),
               days=_n(s["dias_plan"], lang), capacity=_n(s["capacidad_dias"], lang),
               simple=_n(s["hallazgos_ingenuo"], lang, 1))
    summary = _html_table(plan.summary, {
        OFICINA: h("plan.impreso.col_oficina"),
        "capacidad_dias": h("plan.impreso.col_dias_inspector"),
        "dias_exploracion": h("plan.impreso.col_exploracion"),
        "dias_plan": h("plan.impreso.col_dias_usados"),
        "distritos_plan": h("plan.impreso.col_distritos"),
        HALLAZGOS: h("plan.impreso.col_hallazgos"),
        HALLAZGOS_P05: "p05", HALLAZGOS_P95: "p95",
        "hallazgos_ingenuo": h("plan.impreso.col_plan_simple")}, lang)
    sheets = list(sheets or ())
    office_of = dict(zip(plan.trips[VIAJE], plan.trips[OFICINA], strict=False))
    pages = []
    for office in plan.spec.offices:
        pages.append(_office_page(plan, office.name, month_name, sim, lang))
        pages += [sheet_html(sheet, lang) for sheet in sheets
                  if office_of.get(sheet.trip) == office.name]
    n_pages = 1 + len(pages) + 1  # the cover, the offices and their sheets, the method
    return markup.fill(
        "plan.html", lang="en" if lang == "en" else "es", title=html.escape(title),
        style=style(), prepared=h("plan.impreso.preparado", made=format_date(dt.date.today(),
                                                                             lang)),
        pages_note=f"<p class='pages' data-paginas='{n_pages}'>"
                   + h("ficha.plan.paginas", n=n_pages, sheets=len(sheets)) + "</p>",
        simulated=sim, totals=totals,
        warnings="\n".join(markup.fill("warning.html", text=html.escape(msg))
                           for msg in plan.messages(lang)),
        summary=summary, offices="\n".join(pages),
        method_heading=h("plan.impreso.metodo_titulo"), method=_method_text(plan, h))


def page_count(html_text: str) -> int:
    """Return the A4 pages a printed plan states on its cover (``data-paginas``).

    >>> page_count("<p data-paginas='12'>")
    12
    """
    match = re.search(r"data-paginas='(\d+)'", html_text)
    if match is None:
        raise ValueError("no page count on this page: not a printed plan")
    return int(match.group(1))


def _n(value: Any, lang: str | None, digits: int | None = None) -> str:
    return format_number(value, lang, digits=digits)


def _office_page(plan: Any, name: str, month_name: str, sim: str, lang: str | None) -> str:
    """One office's page: its totals, then its map, legend and trips (legs one per line)."""
    def h(key: str, **params: Any) -> str:
        return html.escape(t(key, lang=lang, **params))

    trips = plan.trips[plan.trips[OFICINA] == name]
    row = plan.summary[plan.summary[OFICINA] == name]
    totals = ""
    if len(row):
        r = row.iloc[0]
        totals = markup.fill("paragraph.html", text=h(
            "ficha.plan.totales_oficina", trips=len(trips),
            districts=int(r["distritos_plan"]), days=_n(r["dias_plan"], lang),
            capacity=_n(r["capacidad_dias"], lang), exploration=_n(r["dias_exploracion"], lang),
            findings=_n(r[HALLAZGOS], lang, 1), p05=_n(r[HALLAZGOS_P05], lang, 1),
            p95=_n(r[HALLAZGOS_P95], lang, 1)))
    page = {"office": html.escape(name), "month": html.escape(month_name), "simulated": sim,
            "totals": totals, "no_trips": "", "map": "", "legend": "", "trips": ""}
    if trips.empty:
        page["no_trips"] = markup.fill("paragraph.html",
                                 text=h("plan.impreso.sin_viajes"))
        return markup.fill("office.html", **page)
    en = lang == "en"
    legs = TRAMOS + "_en" if en else TRAMOS
    shown = pd.DataFrame(trips).assign(**{
        TIPO: trips[TIPO].map(lambda k: t(f"ficha.plan.tipo.{k}", lang=lang)
                              if f"ficha.plan.tipo.{k}" in catalogue() else k)})
    page["map"] = _svg_map(plan, office=name, lang=lang)
    page["legend"] = _legend(trips, plan, lang)
    page["trips"] = _html_table(shown, {
        VIAJE: h("plan.impreso.col_viaje"), TIPO: h("plan.impreso.col_tipo"),
        DISTRITOS: h("plan.impreso.col_distritos_orden"),
        DIAS: h("plan.impreso.col_dias"), legs: h("plan.impreso.col_tramos"),
        COSTO: h("plan.impreso.col_costo"),
        HALLAZGOS: h("plan.impreso.col_hallazgos"),
        HALLAZGOS_P05: "p05", HALLAZGOS_P95: "p95"},
        lang, lines=(legs,))  # the motive of each district is on its field sheet
    return markup.fill("office.html", **page)


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
        items.append(markup.fill("legend_item.html", colour=fill,
                           text=f"{html.escape(row.viaje + kind)}: {html.escape(row.distritos)}"))
    office = t("plan.oficina", lang=lang)
    items.append(markup.fill("legend_item.html", colour="#000", text=html.escape(office)))
    return markup.fill("legend.html", items="".join(items))


def _trip_colours(plan: Any) -> dict[str, str]:
    trip_ids = list(dict.fromkeys(plan.visits[VIAJE]))
    return {tid: _PALETTE[i % len(_PALETTE)] for i, tid in enumerate(trip_ids)}


def _html_table(df: pd.DataFrame, columns: Mapping[str, str], lang: str | None = None,
                lines: tuple[str, ...] = ()) -> str:
    """Return an HTML table of ``columns``, its numbers through CLDR.

    A column of ``lines`` holds ``"; "``-joined parts (a trip's legs), written one a line.
    """
    cols = [c for c in columns if c in df]
    out = ["<table><thead><tr>", *(f"<th>{columns[c]}</th>" for c in cols), "</tr></thead><tbody>"]
    for row in df[cols].itertuples(index=False):
        out.append("<tr>")
        for c, v in zip(cols, row, strict=True):
            if c in lines:
                parts = [html.escape(p) for p in str(v if pd.notna(v) else "").split("; ")]
                out.append(f"<td class='legs'>{'<br>'.join(parts)}</td>")
            elif isinstance(v, float | np.floating):
                digits = 0 if c == COSTO else None  # as many as a reader needs
                out.append(f"<td class='n'>{format_number(v, lang, digits=digits)}</td>")
            elif isinstance(v, int | np.integer):
                out.append(f"<td class='n'>{format_number(v, lang, digits=0)}</td>")
            else:
                out.append(f"<td>{html.escape(str(v))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _svg_map(plan: Any, width: int = MAP_WIDTH, office: str | None = None,
             lang: str | None = None, max_height: int = MAP_HEIGHT) -> str:
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
    # drawn at the size it prints (a unit is a CSS pixel), so 11 is an 11-pixel label
    width = int(min(width, max_height * (maxx - minx) * kx / (maxy - miny)))
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
            out.append(markup.fill("map/outline.svg", d=d))
    for geom, trip, kind in zip(geoms, g[VIAJE], g[TIPO], strict=True):
        if geom is None or geom.is_empty:
            continue
        fill = _EXPLORE_COLOUR if kind == TIPO_EXPLORACION else colour[trip]
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            d = "M" + " L".join(xy(x, y) for x, y in poly.exterior.coords) + " Z"
            out.append(markup.fill("map/district.svg", d=d, fill=fill))
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
        out.append(markup.fill("map/route.svg", points=" ".join(xy(x, y) for x, y in stops),
                         colour=line))
    # the offices first: their marks and names are the boxes no district label may cover
    placed: list[tuple[float, float, float, float]] = []
    marks = []
    for o in offices:
        x, y = pt(o.lon, o.lat)
        w = _text_width(o.name, 12)
        # the name goes where it fits inside the map: right of the mark, else left, else
        # centred above it (kept inside the frame)
        if x + 8 + w <= width:
            tx, anchor, x0 = x + 8, "start", x + 8
        elif x - 8 - w >= 0:
            tx, anchor, x0 = x - 8, "end", x - 8 - w
        else:
            tx = min(max(x, w / 2 + 2), width - w / 2 - 2)
            anchor, x0 = "middle", tx - w / 2
        ty = y - 8 if y - 8 - 13 > 0 else y + 20
        placed.append((x - 6, y - 6, x + 6, y + 6))
        placed.append((x0, ty - 13, x0 + w, ty + 4))
        marks.append(markup.fill("map/office.svg", rect_x=f"{x - 5:.1f}", rect_y=f"{y - 5:.1f}",
                           x=f"{tx:.1f}", y=f"{ty:.1f}", anchor=anchor,
                           name=html.escape(o.name)))
    office_boxes = len(placed)
    for name, trip, p in zip(g.get(C.DISTRITO, g[C.UBIGEO]), g[VIAJE], reps, strict=True):
        x, y = pt(p.x, p.y)
        text = f"{name} ({trip})"
        lx, ly = _place_label(x, y, _text_width(text, 11), placed, office_boxes,
                              (width, height))
        out.append(markup.fill("map/label.svg", x=f"{lx:.1f}", y=f"{ly:.1f}",
                         text=html.escape(text)))
    out += marks
    note = t("plan.lineas_orden_paradas_tramos", lang=lang)
    return markup.fill("map/map.svg", width=width, height=height, shapes="".join(out),
                 note_y=height - 6, note=html.escape(note))


def _text_width(text: str, size: float) -> float:
    """Approximate width of a label in the map's units (a sans-serif glyph ~0.58 em)."""
    return 0.58 * size * len(text)


def _place_label(x: float, y: float, w: float, placed: list, keep_clear: int,
                 frame: tuple[float, float] = (math.inf, math.inf)) -> tuple[float, float]:
    """Where a district's label goes: on its point, else the nearest free spot around it.

    ``placed`` holds the boxes already drawn (the first ``keep_clear`` are the offices' marks
    and names: never covered), ``frame`` the map's width and height (a label stays inside);
    the chosen box is added. Returns the label's centre-baseline.
    """
    h = 13.0
    best, best_cost = None, math.inf
    for ring in range(4):
        step = ring * 14.0
        for dx, dy in ((0, 0), (0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1),
                       (-1, 1)) if ring else ((0, 0),):
            cx, cy = x + dx * (step + w / 2 * abs(dx)), y + dy * step
            cx = min(max(cx, w / 2 + 2), frame[0] - w / 2 - 2)  # inside the frame
            cy = min(max(cy, h), frame[1] - 14)  # above the note line
            box = (cx - w / 2, cy - h + 3, cx + w / 2, cy + 3)
            if any(_overlap(box, b) for b in placed[:keep_clear]):
                continue
            cost = sum(_overlap(box, b) for b in placed[keep_clear:]) + ring * 10.0
            if cost < best_cost:
                best, best_cost = (cx, cy, box), cost
        if best is not None and best_cost < (ring + 1) * 10.0:
            break
    if best is None:  # crowded beyond four rings: on the point, the office still drawn on top
        best = (x, y, (x - w / 2, y - h + 3, x + w / 2, y + 3))
    placed.append(best[2])
    return best[0], best[1]


def _overlap(a: tuple, b: tuple) -> float:
    """Area shared by two boxes ``(x0, y0, x1, y1)``."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) -
                                                            max(a[1], b[1]))
