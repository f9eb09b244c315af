"""What each sector layer is, said to people: origin, source, years, unit, licence, its values.

A layer says what it is wherever it is shown — the Mapa page's choices, the map's legend and
layer control, the district card, the Modelo page — from one place: :func:`layer_facts`
reads the settings (:class:`geo.config.LayerSpec`) and the ``fuentes`` table of the built
district table (:func:`geo.geography.build.read_fuentes`); what was built wins, the settings fill in
what an older table lacks. Values are written by :mod:`geo.formatting` (CLDR), and a
district a source is silent about reads "sin dato público" (never 0, never blank).

Examples
--------
>>> facts = LayerFacts("mineria", measure="value", source="MapBiomas Perú", years="2020",
...                    unit="ha")
>>> layer_choice(facts, "es")
'Minería — MapBiomas Perú · 2020 · ha · real'
>>> value_text(facts, 5539.86, "es"), value_text(facts, float("nan"), "en")
('5,540 ha', 'no public data')
>>> feature_words("falta_mineria", {"mineria": facts}, "es")
'Sin dato público: Minería (MapBiomas Perú)'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.i18n import feature_label, t
from geo.formatting import format_number, format_percent, format_quantity, no_public_data

__all__ = [
    "FALTA",
    "LayerFacts",
    "district_note",
    "feature_words",
    "layer_byline",
    "layer_choice",
    "layer_facts",
    "layer_name",
    "listed",
    "missing_here",
    "origin_word",
    "range_words",
    "unit_label",
    "value_text",
    "zero_note",
]

#: Prefix of a missing-value indicator feature (models.risk.score.fill_missing).
FALTA = "falta_"
REAL, SIMULADO = "real", "simulado"


@dataclass(frozen=True)
class LayerFacts:
    """One sector layer as people are told about it.

    ``origin`` is ``"real"`` or ``"simulado"``; ``years`` the years its value describes
    (``"2020–2024"``); ``no_data`` the districts of the built region the source gives no
    value; ``zero_reason`` why a district the source does not name holds 0 (``missing =
    "zero"``), or ``""``.
    """

    name: str
    description: str = ""
    measure: str = ""
    per: str | None = None
    origin: str = REAL
    source: str = ""
    years: str = ""
    unit: str = ""
    licence: str = ""
    citation: str = ""
    no_data: int = 0
    zero_reason: str = ""

    @property
    def simulated(self) -> bool:
        """Whether the layer is simulated."""
        return self.origin == SIMULADO

    @property
    def is_table(self) -> bool:
        """Whether the layer is one value per district from a table (``measure = "value"``)."""
        return self.measure == "value"


def layer_facts(layers: Iterable[Any], fuentes: pd.DataFrame | None = None
                ) -> dict[str, LayerFacts]:
    """Return the facts of each sector layer, by name (services layers left out).

    Parameters
    ----------
    layers : iterable of geo.config.LayerSpec
        ``settings.layers``. Fields an older ``LayerSpec`` lacks read as empty.
    fuentes : DataFrame, optional
        The ``fuentes`` table of the built district table (``capa, origen, fuente,
        unidad, anios, sin_dato, motivo_cero, licencia, cita…``): what was built.

    Returns
    -------
    dict of str to LayerFacts

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> spec = NS(name="coca", kind="sector", description="Coca", measure="value", per=None,
    ...           simulated=False, source="", unit="ha", years_label="2020", license="",
    ...           citation="")
    >>> built = pd.DataFrame({"capa": ["coca"], "fuente": ["DEVIDA"], "sin_dato": [94]})
    >>> f = layer_facts([spec], built)["coca"]
    >>> f.source, f.unit, f.years, f.no_data, f.origin
    ('DEVIDA', 'ha', '2020', 94, 'real')
    """
    rows = {}
    if fuentes is not None and len(fuentes) and "capa" in fuentes:
        rows = {str(r["capa"]): r for r in fuentes.to_dict("records")}
    out = {}
    for spec in layers:
        if getattr(spec, "kind", "sector") != "sector":
            continue
        built = rows.get(spec.name, {})
        simulated = bool(getattr(spec, "simulated", False))
        origin = _text(built.get("origen")) or getattr(
            spec, "origin", SIMULADO if simulated else REAL)
        out[spec.name] = LayerFacts(
            name=spec.name,
            description=_text(built.get("descripcion")) or getattr(spec, "description", ""),
            measure=_text(built.get("medida")) or getattr(spec, "measure", ""),
            per=_text(built.get("por")) or getattr(spec, "per", None),
            origin=SIMULADO if origin == SIMULADO else REAL,
            source=_text(built.get("fuente")) or getattr(spec, "source", ""),
            years=_text(built.get("anios")) or getattr(spec, "years_label", ""),
            unit=_text(built.get("unidad")) or getattr(spec, "unit", ""),
            licence=_text(built.get("licencia")) or getattr(spec, "license", ""),
            citation=_text(built.get("cita")) or getattr(spec, "citation", ""),
            no_data=_count(built.get("sin_dato")),
            zero_reason=_text(built.get("motivo_cero")) or (
                getattr(spec, "missing_reason", "")
                if getattr(spec, "missing", "") == "zero" else ""),
        )
    return out


def layer_name(facts: LayerFacts, lang: str | None = None) -> str:
    """Return the layer's short plain name (``"Minería"``), from the words or its description."""
    return feature_label(facts.name, {facts.name: facts.description}, lang)


def origin_word(facts: LayerFacts, lang: str | None = None) -> str:
    """``"real"`` or ``"simulada"`` (``"simulated"``).

    >>> origin_word(LayerFacts("x", origin="simulado"), "en")
    'simulated'
    """
    if facts.simulated:
        return t("capas.simulada", lang=lang)
    return t("capas.real", lang=lang)


def unit_label(facts: LayerFacts, lang: str | None = None) -> str:
    """Return the unit of the layer's district value, for a legend (``"ha"``, ``"%"``).

    >>> unit_label(LayerFacts("x", measure="area_share"), "es")
    '% del área'
    >>> unit_label(LayerFacts("x", measure="count"), "en")
    'count'
    """
    if facts.unit:
        return facts.unit if facts.unit != "número" else t("capas.numero", lang=lang)
    if facts.measure in ("area_share", "raster_share"):
        return t("capas.porcentaje_area", lang=lang)
    if facts.measure == "count":
        return t("capas.numero", lang=lang)
    if facts.measure == "density":
        return t("capas.por_mil_habitantes", lang=lang) if facts.per == "poblacion" \
            else t("capas.por_km2", lang=lang)
    return ""


def layer_byline(facts: LayerFacts, lang: str | None = None) -> str:
    """Source, years, unit and origin in one line: ``"GeoBosques (MINAM) · 2020–2024 · ha · real"``.

    >>> layer_byline(LayerFacts("x", measure="count", origin="simulado"), "es")
    'número · simulada'
    """
    parts = [facts.source, facts.years, unit_label(facts, lang), origin_word(facts, lang)]
    return " · ".join(p for p in parts if p)


def layer_choice(facts: LayerFacts, lang: str | None = None) -> str:
    """Return the layer's name and byline, as the Mapa page and the map's legend say it."""
    return f"{layer_name(facts, lang)} — {layer_byline(facts, lang)}"


def value_text(facts: LayerFacts, value: Any, lang: str | None = None,
               missing: bool = False) -> str:
    """Write a district's value of the layer in its unit, for people.

    ``missing`` (the district is listed in the scores' ``sin_dato``) or a missing value
    reads "sin dato público"; a share of area is a percentage; a count a whole number.

    >>> value_text(LayerFacts("x", measure="area_share"), 0.123, "es")
    '12.3%'
    >>> value_text(LayerFacts("x", measure="count"), 12.0, "en")
    '12'
    >>> value_text(LayerFacts("x", measure="value", unit="ha"), 3.0, "es", missing=True)
    'sin dato público'
    """
    word = no_public_data(lang)
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if missing or pd.isna(number):
        return word
    if facts.unit:
        return format_quantity(number, facts.unit, lang, missing=word)
    if facts.measure in ("area_share", "raster_share"):
        return format_percent(number, lang, missing=word)
    if facts.measure == "count":
        return format_number(number, lang, digits=0, missing=word)
    unit = unit_label(facts, lang)
    return format_quantity(number, unit, lang, missing=word) if unit else \
        format_number(number, lang, missing=word)


def zero_note(facts: LayerFacts, value: Any, lang: str | None = None) -> str:
    """Why a district the source does not name holds 0, when the layer says so; else ``""``.

    >>> f = LayerFacts("p", zero_reason="GeoBosques vigila el bosque amazónico")
    >>> zero_note(f, 0.0, "es")
    '0 donde la fuente no nombra el distrito: GeoBosques vigila el bosque amazónico'
    >>> zero_note(f, 3.0, "es")
    ''
    """
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if not facts.zero_reason or pd.isna(number) or number != 0:
        return ""
    return t("capas.cero_fuente_no_nombra_distrito", lang=lang) + facts.zero_reason


def listed(text: Any) -> list[str]:
    """Return the names of a ``;``-separated score column (``sin_dato``, ``fuera_rango``).

    >>> listed("mineria;coca"), listed(None), listed(float("nan"))
    (['mineria', 'coca'], [], [])
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    return [part for part in str(text).split(";") if part.strip()]


def missing_here(row: Mapping[str, Any], name: str) -> bool:
    """Whether a scores row lists ``name`` among its features without a public value."""
    return name in listed(row.get("sin_dato"))


def feature_words(name: str, facts: Mapping[str, LayerFacts], lang: str | None = None,
                  patterns: Mapping[str, Iterable[str]] | None = None,
                  has_data: bool = False, descriptions: Mapping[str, str] | None = None
                  ) -> str:
    """Plain name of a model feature, a missing-value indicator included.

    Parameters
    ----------
    name : str
        A feature (``pobreza_monetaria``, ``mineria``) or an indicator ``falta_<layer>``.
    facts : mapping
        :func:`layer_facts`.
    patterns : mapping, optional
        Each indicator's features (``{"falta_mineria": ("mineria", "coca")}``, the model's
        ``faltantes``); without it an indicator stands for its first feature.
    has_data : bool
        Words for a district that does have the public values (its bar on the card is what
        having them says, against the average district).
    descriptions : mapping, optional
        Plain names of other features (the model card's ``nombre``).

    Examples
    --------
    >>> f = {"mineria": LayerFacts("mineria", source="MapBiomas"),
    ...      "coca": LayerFacts("coca", source="DEVIDA")}
    >>> feature_words("falta_mineria", f, "en", {"falta_mineria": ("mineria", "coca")})
    'No public data: Mining (MapBiomas), Coca crops (DEVIDA)'
    >>> feature_words("falta_mineria", f, "es", has_data=True)
    'Con dato público: Minería (MapBiomas)'
    >>> feature_words("pobreza_monetaria", f, "en")
    'Monetary poverty (%)'
    """
    if name.startswith(FALTA) and len(name) > len(FALTA):
        members = list((patterns or {}).get(name) or (name[len(FALTA):],))
        said = ", ".join(_with_source(m, facts, lang, descriptions) for m in members)
        head = t("capas.con_dato_publico", lang=lang) if has_data else \
            t("capas.sin_dato_publico", lang=lang)
        return head + said
    if name in facts:
        return layer_name(facts[name], lang)
    return feature_label(name, dict(descriptions or {}), lang)


def range_words(text: Any, facts: Mapping[str, LayerFacts], lang: str | None = None,
                patterns: Mapping[str, Iterable[str]] | None = None) -> str:
    """Say the features of a ``fuera_rango`` value in words, with their sources.

    >>> f = {"perdida_bosque": LayerFacts("perdida_bosque", source="GeoBosques")}
    >>> range_words("perdida_bosque;lejania_km", f, "es")
    'Pérdida de bosque (GeoBosques), Lejanía de la capital departamental (km)'
    """
    return ", ".join(
        feature_words(n, facts, lang, patterns) if n.startswith(FALTA)
        else _with_source(n, facts, lang) for n in listed(text))


def district_note(sin_dato: Any, fuera_rango: Any, facts: Mapping[str, LayerFacts],
                  lang: str | None = None,
                  patterns: Mapping[str, Iterable[str]] | None = None) -> str:
    """Say what a district's data lacks and exceeds, for its tooltip; ``""`` when nothing.

    >>> f = {"mineria": LayerFacts("mineria", source="MapBiomas"),
    ...      "perdida_bosque": LayerFacts("perdida_bosque", source="GeoBosques")}
    >>> district_note("mineria", "perdida_bosque", f, "es").split(" · ")
    ... # doctest: +NORMALIZE_WHITESPACE
    ['sin dato público: Minería (MapBiomas)',
     'fuera del rango aprendido: Pérdida de bosque (GeoBosques)']
    >>> district_note("", None, f, "en")
    ''
    """
    parts = []
    if listed(sin_dato):
        parts.append(no_public_data(lang) + ": " + ", ".join(
            _with_source(n, facts, lang) for n in listed(sin_dato)))
    if listed(fuera_rango):
        parts.append(t("capas.fuera_rango_aprendido", lang=lang)
                     + range_words(fuera_rango, facts, lang, patterns))
    return " · ".join(parts)


def _with_source(name: str, facts: Mapping[str, LayerFacts], lang: str | None,
                 descriptions: Mapping[str, str] | None = None) -> str:
    if name not in facts:
        return feature_label(name, dict(descriptions or {}), lang)
    f = facts[name]
    return f"{layer_name(f, lang)} ({f.source})" if f.source else layer_name(f, lang)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _count(value: Any) -> int:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return 0 if pd.isna(number) else int(number)
