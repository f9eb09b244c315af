"""Field sheets and the inspection checklist as printable A4 pages (HTML).

The markup lives in template files (``templates/ficha.html``, ``lista.html``,
``dimension.html``, ``document.html`` and the style sheets); this module fills them with
:class:`models.planning.fieldsheet.FieldSheet` in the reader's language. Every page is one
A4 sheet of fixed height (``.page`` in ``plan.css``), so a document of *n* pages prints to
*n* pages.

Examples
--------
>>> from models.planning.fieldsheet import FieldSheet
>>> html = sheet_html(FieldSheet("080101", "Cusco", "Cusco", "Cusco", 0.2), "en")
>>> "Field sheet — Cusco" in html and "no data" in html
True
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Iterable
from typing import Any

from geo import columns as C
from geo.formatting import format_number, format_percent, format_quantity
from geo.messages import catalogue, get_language, t
from geo.records.classification import load_table
from geo.records.contract import ILO_INDICATORS
from models.planning import markup
from models.planning.fieldsheet import HISTORY, FieldSheet, Referral
from models.planning.network import MODE_WORDS
from models.risk.explain import record_words

__all__ = ["checklist_document", "checklist_html", "document", "factor_words", "sheet_html",
           "sheets_document", "style"]


def sheet_html(sheet: FieldSheet, lang: str | None = None) -> str:
    """Return one district's field sheet: a ``<section class='page ficha'>`` of one A4 page."""
    lang = lang or get_language()

    def h(key: str, **params: Any) -> str:
        return html.escape(t(key, lang=lang, **params))

    def pct(x: float) -> str:
        return format_percent(x, lang, missing=t("ficha.sin_dato", lang=lang))

    subtitle = h("ficha.ubicacion", provincia=sheet.provincia,
                 departamento=sheet.departamento, ubigeo=sheet.ubigeo, risk=pct(sheet.risk),
                 p05=pct(sheet.risk_p05), p95=pct(sheet.risk_p95))
    if sheet.trip:
        subtitle = h("ficha.viaje", trip=sheet.trip, stop=sheet.stop or "—") + " · " + subtitle
    reasons = "".join(
        "<li>" + h("ficha.razon", factor=factor_words(r.feature, sheet, lang, r.has_data),
                   points=format_number(r.points, lang, digits=1)) + "</li>"
        for r in sheet.reasons) or "<li>" + h("ficha.sin_razones") + "</li>"
    said = record_words(sheet.record, lang) if sheet.record else None
    motive = sheet.motive[1 if lang == "en" else 0]
    if motive:
        reasons = f"<li><b>{html.escape(motive)}</b></li>" + reasons
    simulated = (markup.fill("simulated.html", text=h("ficha.datos_simulados"))
                 if sheet.simulated else "")
    return markup.fill(
        "ficha.html", title=h("ficha.encabezado", distrito=sheet.distrito),
        simulated=simulated, subtitle=subtitle, why_heading=h("ficha.por_que"),
        reasons=reasons, record=f"<p class='small'>{html.escape(said)}</p>" if said else "",
        sectors_heading=h("ficha.sectores"), sectors=_sectors(sheet, lang),
        indicators_heading=h("ficha.indicadores", sectores=", ".join(
            sheet.indicator_sectors) or t("ficha.todos_sectores", lang=lang),
            departamento=sheet.departamento),
        indicators=_indicators(sheet, lang), indicator_sources=h("ficha.fuente_indicadores"),
        legal_heading=h("ficha.base_legal"), legal=h("ficha.base_legal_texto"),
        referral_heading=h("ficha.derivacion"),
        services_simulated=(markup.fill("simulated.html", text=h("ficha.servicios_simulados"))
                            if sheet.services_simulated else ""),
        referral=_referrals(sheet.referrals, lang), lines=_lines(sheet, lang))


def sheets_document(sheets: Iterable[FieldSheet], lang: str | None = None) -> str:
    """Return a printable page of field sheets (one A4 page each), e.g. for a download."""
    lang = lang or get_language()
    body = "\n".join(sheet_html(s, lang) for s in sheets)
    return document(t("ficha.titulo", lang=lang), body, lang)


def checklist_html(lang: str | None = None) -> str:
    """Return the inspection checklist: one A4 page to fill in on site.

    The 11 ILO indicators as boxes under the two ICLS dimensions (an indicator of both
    appears under each), the contract's fields, victims by sex and age, the district of
    recruitment and the finding.
    """
    lang = lang or get_language()
    en = lang == "en"

    def h(key: str, **params: Any) -> str:
        return html.escape(t(key, lang=lang, **params))

    table = load_table()
    fields = "".join(
        f"<tr><th>{html.escape(col)}</th><td class='blank'>{_choices(col)}</td></tr>"
        for col in ("id", "fecha", "ubigeo", "lat / lon", "sector", "origen",
                    "trabajadores"))
    dims = []
    for dim in table.names:
        items = []
        for code in table.codes:
            if dim not in table.dimensions[code]:
                continue
            both = (" <span class='small'>" + h("lista.ambas") + "</span>"
                    if len(table.dimensions[code]) > 1 else "")
            items.append(f"<p class='item'><span class='box'></span>"
                         f"OIT{table.numbers[code]:02d} "
                         f"{html.escape(ILO_INDICATORS[code][1 if en else 0])} "
                         f"<span class='code'>{code}</span>{both}</p>")
        name = table.names[dim][1 if en else 0]
        dims.append(markup.fill("dimension.html", name=html.escape(name), items="".join(items)))
    return markup.fill(
        "lista.html", title=h("lista.titulo"), fields=fields, tick=h("lista.marque"),
        dimensions="".join(dims), victims_heading=h("lista.victimas"),
        under=h("lista.menores"), over=h("lista.adultos"), total=h("lista.total"),
        women=h("lista.mujeres"), men=h("lista.hombres"), origin=h("lista.captacion"),
        finding=h("lista.hallazgo"), yes=h("lista.si_1"), no=h("lista.no_0"),
        signature=h("lista.firma"), transcribe=h("lista.transcribir"), sources=h("lista.fuente"))


def checklist_document(lang: str | None = None) -> str:
    """Return the checklist as a printable page (a download, or printed from the browser)."""
    lang = lang or get_language()
    return document(t("lista.titulo", lang=lang), checklist_html(lang), lang)


def document(title: str, body: str, lang: str | None = None) -> str:
    """Wrap pages in a self-contained HTML document with the printed plan's style."""
    lang = lang or get_language()
    return markup.fill("document.html", lang="en" if lang == "en" else "es",
                 title=html.escape(title), style=style(), body=body)


def factor_words(feature: str, sheet: FieldSheet | None = None,
                 lang: str | None = None, has_data: bool = False) -> str:
    """Return plain words for a model feature (``pobreza_monetaria``, a layer, ``falta_*``).

    ``has_data``: a missing-value term of a district that has the layer's public value.

    >>> factor_words("falta_mineria", lang="en")
    'No public data: Mining'
    >>> factor_words("falta_mineria", lang="en", has_data=True)
    'Has public data: Mining'
    """
    if feature == HISTORY:
        return t("distrito.propio_historial_vs_esperado", lang=lang)
    if feature.startswith("falta_"):
        head = "capas.con_dato_publico" if has_data else "capas.sin_dato_publico"
        return t(head, lang=lang) + factor_words(feature[6:], sheet, lang)
    if f"factor.{feature}" in catalogue():
        return t(f"factor.{feature}", lang=lang)
    for s in (sheet.sectors if sheet else ()):
        if s.layer == feature and s.description:
            return s.description.split(" (")[0].split(":")[0]
    return feature.replace("_", " ").capitalize()


@functools.cache
def style() -> str:
    """Return the style of every printed page (``plan.css`` then ``ficha.css``), one line."""
    return "".join(line.strip() for name in ("plan.css", "ficha.css")
                   for line in markup.template(name).template.splitlines())


# --- the parts ---------------------------------------------------------------------------
def _sectors(sheet: FieldSheet, lang: str) -> str:
    if not sheet.sectors:
        return f"<p class='small'>{html.escape(t('ficha.sin_sectores', lang=lang))}</p>"
    rows = []
    for s in sheet.sectors:
        origin = t("ficha.simulado", lang=lang) if s.simulated else t("ficha.real", lang=lang)
        name = factor_words(s.layer, sheet, lang)
        value = format_quantity(s.value, s.unit, lang)
        rows.append((name, value, s.source or t("ficha.sin_dato", lang=lang), origin))
    return _table((t("ficha.col_capa", lang=lang), t("ficha.col_valor", lang=lang),
                   t("ficha.col_fuente", lang=lang), t("ficha.col_origen", lang=lang)), rows)


def _indicators(sheet: FieldSheet, lang: str) -> str:
    if not sheet.records_seen:
        return f"<p class='small'>{html.escape(t('ficha.sin_registros', lang=lang))}</p>"
    if not sheet.indicators:
        return f"<p class='small'>{html.escape(t('ficha.sin_indicadores', lang=lang))}</p>"
    en = lang == "en"
    rows = [(ILO_INDICATORS[i.code][1 if en else 0],
             t("ficha.oculto", lang=lang) if i.hidden else format_number(i.count, lang),
             t(f"ficha.senal.{i.code}", lang=lang)) for i in sheet.indicators]
    out = _table((t("ficha.col_indicador", lang=lang), t("ficha.col_inspecciones", lang=lang),
                  t("ficha.col_en_el_lugar", lang=lang)), rows)
    if any(i.hidden for i in sheet.indicators):
        out += f"<p class='src'>{html.escape(t('ficha.nota_oculto', lang=lang))}</p>"
    return out


def _referrals(referrals: Iterable[Referral], lang: str) -> str:
    none = t("ficha.sin_dato", lang=lang)
    en = lang == "en"
    rows = []
    for r in referrals:
        role = (t(f"ficha.rol.{r.role}", lang=lang) if f"ficha.rol.{r.role}" in catalogue()
                else r.kind or r.role)
        if not r.known:
            rows.append((role, none, none, none, none))
            continue
        days = (t("ficha.dias", lang=lang, days=format_number(r.days, lang, digits=1))
                if not math.isnan(r.days) else t("ficha.sin_ruta", lang=lang))
        modes = (", ".join(MODE_WORDS[m][1 if en else 0] if m in MODE_WORDS else m
                           for m in r.modes) or t("ficha.estimacion", lang=lang))
        rows.append((role, r.name, days, modes, str(r.contact or "") or none))
    return _table((t("ficha.col_servicio", lang=lang), t("ficha.col_nombre", lang=lang),
                   t("ficha.col_dias", lang=lang), t("ficha.col_modos", lang=lang),
                   t("ficha.col_contacto", lang=lang)), rows)


def _lines(sheet: FieldSheet, lang: str) -> str:
    if not sheet.lines:
        return f"<p class='small'>{html.escape(t('ficha.sin_lineas', lang=lang))}</p>"
    items = "".join("<li>" + html.escape(t("ficha.linea", lang=lang, name=line.name,
                                              number=line.number, source=line.source))
                    + "</li>" for line in sheet.lines)
    return f"<p class='small'><b>{html.escape(t('ficha.lineas', lang=lang))}</b></p>" \
        f"<ul class='small'>{items}</ul>"


def _choices(column: str) -> str:
    """Return the allowed codes of a field as boxes (sector, origen); none for free text."""
    from_contract = {C.SECTOR: C.SECTORES_INSPECCION, C.ORIGEN: C.ORIGENES}.get(column)
    if not from_contract:
        return ""
    return " ".join(f"<span class='box'></span>{c}" for c in from_contract)


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
