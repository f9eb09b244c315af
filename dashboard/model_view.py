"""The model card turned into what the Modelo page shows: names, formatted tables, words.

The card (``evaluacion.json``, :func:`dashboard.state.evaluation_for`) keeps Spanish keys
and raw numbers; these functions give a page its method and metric names, its tables and
its sentences, in the session's language (or ``lang``). They compute; the page lays out.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.i18n import feature_label, t
from dashboard.layer_words import feature_words, layer_name, origin_word, unit_label
from geo.formatting import format_field, format_number, format_percent, printf_pattern
from models.evaluation.backtest import card_to_markdown
from models.risk.recency import MOTIVO_CAPAS

METHODS = {
    "modelo": "modelo.methods.modelo",
    "aleatorio": "modelo.methods.aleatorio",
    "tasa_pasada": "modelo.methods.tasa_pasada",
    "pobreza": "modelo.methods.pobreza",
    "indice_experto": "modelo.methods.indice_experto",
    "oraculo": "modelo.methods.oraculo",
}
# metric (k replaced) -> format (pct | times | num2 | num4); its label and help are the
# catalogue keys modelo.metrics.<metric, {k} as k> and …_ayuda (placeholder {k})
METRICS = {
    "acierto_{k}": "pct", "lift_{k}": "times", "pai_{k}": "num2", "brier": "num4",
    "observado_sobre_esperado": "num2", "captura_top10": "pct", "spearman": "num2",
    "cobertura_90": "pct",
}
# the coefficients table's columns; label and help: catalogue keys modelo.coef.<col>, …_ayuda
COEF_COLUMNS = ("factor", "peso", "peso_experto", "razon_de_odds", "desviacion_estandar")
MISSING = "—"
# English for the caveats models.evaluation.backtest writes (in Spanish) into the model card, by
# their opening words; a caveat not listed here is shown as written, and said so.
CAVEATS_EN = {
    "DATOS SIMULADOS": "SIMULATED DATA: the layers, the inspections and the true risk are "
                       "simulated; the figures do not describe reality.",
    "Sesgo de selección": "Selection bias: inspections are not random (they cluster near the "
                          "offices and follow complaints); the hit rate measures where findings "
                          "were made, not where forced labour exists.",
    "Etiquetas escasas": "Scarce labels: forced-labour findings are few per year; the metrics' "
                         "intervals are wide and small differences are not conclusive.",
    "Los distritos con pocas inspecciones": "Districts with few inspections are marked "
                         "'insufficient evidence': their risk comes from their characteristics "
                         "and expert judgement, not from their record; it does not mean low "
                         "risk.",
    "No hay años suficientes": "There are not enough years with inspections for a temporal "
                               "backtest.",
    "Potencia limitada": "Limited power: with {n} test findings, not even the true risk beats "
                         "{who} on hit rate in the top 10 by a margin the bootstrap supports; "
                         "against those baselines a non-significant difference of the model is "
                         "not conclusive.",
}


def caveat_en(text: str) -> str | None:
    """English for a caveat of the model card, or None when it is not a known one.

    >>> caveat_en("Etiquetas escasas: lo que sea")[:14]
    'Scarce labels:'
    >>> caveat_en("Algo nuevo") is None
    True
    """
    for opening, english in CAVEATS_EN.items():
        if text.startswith(opening):
            if "{n}" not in english:
                return english
            found = re.search(r"con (\d+) hallazgos de prueba, ni el riesgo verdadero supera a "
                              r"(.+?) en acierto", text)
            if not found:
                return None
            who = ", ".join(method_label(w.strip()) for w in found.group(2).split(","))
            return english.format(n=found.group(1), who=who)
    return None


def method_label(name: str) -> str:
    """Plain name of a method of the model card (the name itself if unknown)."""
    return t(f"modelo.methods.{name}") if name in METHODS else name


def metric_spec(name: str) -> tuple[str, str, str] | None:
    """Return (label, help, format) of a metric key such as ``acierto_10``; None if unknown.

    >>> metric_spec("lift_20")[2]
    'times'
    >>> metric_spec("nueva_metrica") is None
    True
    """
    key, k = name, ""
    head, _, tail = name.rpartition("_")
    if tail.isdigit() and f"{head}_{{k}}" in METRICS:
        key, k = f"{head}_{{k}}", tail
    if key not in METRICS:
        return None
    slug = key.replace("_{k}", "_k")
    return (t(f"modelo.metrics.{slug}", k=k), t(f"modelo.metrics.{slug}_ayuda", k=k),
            METRICS[key])


def format_value(value, fmt: str, signed: bool = False) -> str:
    """Format a metric value for a table; ``—`` for a missing one.

    >>> format_value(0.357, "pct"), format_value(None, "pct"), format_value(6.03, "times")
    ('35.7%', '—', '6.0×')
    >>> format_value(0.05, "pct", signed=True)
    '+5.0 pp'
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING
    if v != v:  # NaN
        return MISSING
    sign = "+" if signed else ""
    if fmt == "pct":  # a signed share is a difference of percentages: points
        return format_field(100 * v, "+.1f") + " pp" if signed else format_percent(v)
    if fmt == "times":
        return format_field(v, sign + ".1f") + "×"
    return format_field(v, f"{sign}.{4 if fmt == 'num4' else 2}f")


def metric_frame(metricas: dict) -> pd.DataFrame:
    """Long table ``metodo, metrica, valor, p025, p975`` of a card's metrics block."""
    rows = []
    for method, values in metricas.items():
        for metric, summary in values.items():
            ci = summary.get("ic95") or [None, None]
            rows.append({"metodo": method_label(method), "metrica": metric,
                         "valor": summary.get("valor"), "p025": ci[0], "p975": ci[1]})
    return pd.DataFrame(rows)


def metrics_table(metricas: dict) -> tuple[pd.DataFrame, dict]:
    """Wide table for display: one row per method, plain column names, formatted values."""
    methods = [m for m in METHODS if m in metricas] + [m for m in metricas if m not in METHODS]
    names = list(dict.fromkeys(n for m in methods for n in metricas[m]))
    known = [n for n in names if metric_spec(n)]
    order = sorted(known, key=lambda n: (list(METRICS).index(
        n if n in METRICS else n.rpartition("_")[0] + "_{k}"), n))
    method_col = t("modelo.metodo")
    rows, config = [], {method_col: st.column_config.TextColumn(method_col, pinned=True)}
    for m in methods:
        row = {method_col: method_label(m)}
        for n in order:
            label, _, fmt = metric_spec(n)
            row[label] = format_value((metricas[m].get(n) or {}).get("valor"), fmt)
        rows.append(row)
    for n in order:
        label, help_, _ = metric_spec(n)
        config[label] = st.column_config.TextColumn(label, help=help_)
    return pd.DataFrame(rows), config


def per_year_frame(block: dict) -> pd.DataFrame | None:
    """Hit rate by test year and method, if the card has a per-fold table; else None.

    Accepts ``{"por_pliegue"|"por_anio": {method: {year: {metric: value|{"valor"}}}}}`` or
    a list of records with a year (``pliegue``/``anio``), ``metodo`` and ``acierto_10``.
    """
    raw = next((block.get(k) for k in ("por_anio", "por_pliegue", "pliegues_metricas")
                if block.get(k)), None)
    rows = []
    if isinstance(raw, dict):
        for method, years in raw.items():
            if not isinstance(years, dict):
                continue
            for year, metrics in years.items():
                value = metrics.get("acierto_10") if isinstance(metrics, dict) else None
                if isinstance(value, dict):
                    value = value.get("valor")
                rows.append({"metodo": method, "anio": year, "valor": value})
    elif isinstance(raw, list):
        for rec in raw:
            if isinstance(rec, dict) and "metodo" in rec:
                value = rec.get("acierto_10")
                if isinstance(value, dict):
                    value = value.get("valor")
                rows.append({"metodo": rec["metodo"],
                             "anio": rec.get("anio", rec.get("pliegue")), "valor": value})
    frame = pd.DataFrame(rows, columns=["metodo", "anio", "valor"])
    frame["valor"] = pd.to_numeric(frame["valor"], errors="coerce")
    frame = frame.dropna()
    if frame.empty or frame["anio"].nunique() < 2:
        return None
    frame["metodo"] = frame["metodo"].map(method_label)
    frame["anio"] = frame["anio"].astype(str)
    return frame


def layers_frame(facts: dict, lang: str) -> pd.DataFrame:
    """One row per sector layer of the model: origin, source, years, unit, licence, gaps."""
    rows = list(facts.values())
    return pd.DataFrame({
        t("comun.layer_source_columns.capa", lang=lang): [layer_name(f, lang) for f in rows],
        t("comun.record.origen", lang=lang): [origin_word(f, lang) for f in rows],
        t("comun.layer_source_columns.fuente", lang=lang): [f.source or "—" for f in rows],
        t("comun.layer_source_columns.anios", lang=lang): [f.years or "—" for f in rows],
        t("comun.layer_source_columns.unidad",
          lang=lang): [unit_label(f, lang) or "—" for f in rows],
        t("comun.layer_source_columns.sin_dato", lang=lang):
            [f.no_data for f in rows],
        t("comun.layer_source_columns.licencia", lang=lang): [f.licence or "—" for f in rows],
    })


# --- the page's pieces, from the card --------------------------------------------------------
def card_byline(card: dict) -> str:
    """Return the card's version, date and the start of its settings' hash, joined by dots.

    >>> card_byline({"version_modelo": "riskmap-1.0", "hash_configuracion": "0123456789abcdef"})
    'riskmap-1.0 · configuración 0123456789ab'
    """
    return " · ".join(str(x) for x in (
        card.get("version_modelo"), card.get("generado"),
        t("modelo.configuracion") + str(card.get("hash_configuracion", ""))[:12],
    ) if x)


def period_text(datos: dict) -> str:
    """Return the years the card's records cover: ``"2016–2024"``.

    >>> period_text({"anios": [2019, 2016, 2024]}), period_text({"desde": "2016-01-08",
    ...                                                          "hasta": "2024-12-30"})
    ('2016–2024', '2016–2024')
    """
    years = datos.get("anios") or []
    return f"{min(years)}–{max(years)}" if years else \
        f"{str(datos.get('desde', ''))[:4]}–{str(datos.get('hasta', ''))[:4]}"


def evaluated_on_other_records(datos: dict, scored: Any) -> bool:
    """Whether the risk layer was computed on another number of inspections than the card.

    >>> evaluated_on_other_records({"inspecciones": 1193}, 1200)
    True
    >>> evaluated_on_other_records({"inspecciones": 1193}, 1193)
    False
    >>> evaluated_on_other_records({}, 1200)  # a role that does not see the count
    False
    """
    return "inspecciones" in datos and scored is not None and scored != datos["inspecciones"]


def top_ks(frame: pd.DataFrame) -> list[int]:
    """Return the k of the card's ``acierto_<k>`` metrics, sorted (``metric_frame``'s rows).

    >>> top_ks(pd.DataFrame({"metrica": ["acierto_20", "brier", "acierto_10", "lift_10"]}))
    [10, 20]
    """
    return sorted({int(m.split("_")[1]) for m in frame["metrica"]
                   if m.startswith("acierto_") and m.split("_")[1].isdigit()})


def differences_table(diffs: dict) -> pd.DataFrame:
    """Model minus each baseline: hit rates and Brier, each with its 95 % interval.

    >>> diffs = {"aleatorio": {"acierto_10": {"valor": 0.2, "ic95": [0.1, 0.3]},
    ...                        "lift_10": {"valor": 2.0}}}
    >>> differences_table(diffs).iloc[0].tolist()
    ['Al azar', '+20.0 pp (+10.0 pp a +30.0 pp)']
    """
    against = t("modelo.frente")
    rows = []
    for method, values in diffs.items():
        row = {against: method_label(method)}
        for name, summary in values.items():
            spec = metric_spec(name)
            if spec is None or not name.startswith(("acierto", "brier")):
                continue
            label, _, fmt = spec
            ci = summary.get("ic95") or [None, None]
            value = format_value(summary.get("valor"), fmt, signed=True)
            if ci[0] is not None and value != MISSING:
                value += (f" ({format_value(ci[0], fmt, True)} "
                          f"{t('modelo.texto')} {format_value(ci[1], fmt, True)})")
            row[label] = value
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_frame(ev: dict) -> pd.DataFrame | None:
    """Return the evaluation's calibration points (predicted risk, observed rate), or None.

    >>> calibration_frame({"calibracion": [{"riesgo_medio": 0.1, "tasa_observada": 0.12}]})
       riesgo_medio  tasa_observada
    0           0.1            0.12
    >>> calibration_frame({}) is None
    True
    """
    cal = pd.DataFrame(ev.get("calibracion") or [])
    return cal if {"riesgo_medio", "tasa_observada"} <= set(cal.columns) else None


def coefficient_table(coefs: pd.DataFrame, facts: dict, patterns: dict, lang: str
                      ) -> tuple[pd.DataFrame, dict]:
    """Return the card's coefficients for display, with plain names, and column settings.

    A missing-value indicator reads in words ("Sin dato público: Minería (MapBiomas…)");
    the number columns are narrow (in half the page the last one was cut off).
    """
    descriptions = dict(zip(coefs["factor"], coefs.get("nombre", coefs["factor"]), strict=True))
    shown = pd.DataFrame({"factor": [
        feature_words(f, facts, lang, patterns, descriptions=descriptions)
        if f.startswith("falta_") or f in facts else feature_label(f, descriptions)
        for f in coefs["factor"]]})
    for col in ("peso", "peso_experto", "razon_de_odds", "desviacion_estandar"):
        if col in coefs:
            shown[col] = pd.to_numeric(coefs[col], errors="coerce")
    if "desviacion_estandar" in shown:  # raw units, from 0.001 to thousands: 3 significant
        shown["desviacion_estandar"] = [format_field(v, ".3g", lang)
                                        for v in shown["desviacion_estandar"]]
    names = {c: t(f"modelo.coef.{c}") for c in shown.columns}
    fmt = {"peso": printf_pattern(2, lang, signed=True),
           "peso_experto": printf_pattern(2, lang, signed=True),
           "razon_de_odds": printf_pattern(2, lang)}
    config = {names[c]: (st.column_config.NumberColumn(
        names[c], help=t(f"modelo.coef.{c}_ayuda"), format=fmt[c], width="small")
        if c in fmt else st.column_config.TextColumn(
            names[c], help=t(f"modelo.coef.{c}_ayuda"), width="medium"))
        for c in shown.columns}
    return shown.rename(columns=names), config


def half_life_text(half: float | None) -> str:
    """Return the record's half-life in words.

    >>> half_life_text(None), half_life_text(2.5)
    ('sin descuento', '2.5 años')
    """
    return t("modelo.sin_descuento") if half is None else \
        t("modelo.anos", half=half)


def alert_count(drift: dict) -> int:
    """How many change alerts: the list's length, or the count a role is told instead.

    >>> alert_count({"alertas": [{}, {}]}), alert_count({"n_alertas": 3}), alert_count({})
    (2, 3, 0)
    """
    alerts = drift.get("alertas")
    return len(alerts) if alerts is not None else drift.get("n_alertas", 0)


#: How the selection correction was made, in words (the card's ``seleccion.metodo``).
SELECTION_METHODS = {
    "joint": "modelo.selection_methods.joint",
    "design": "modelo.selection_methods.design",
    "cluster": "modelo.selection_methods.cluster",
    "none": "modelo.selection_methods.none",
}


def selection_key(selection: dict) -> str:
    """Return the catalogue key of the selection correction's method (default: design).

    >>> selection_key({}), selection_key({"metodo": "otra"})
    ('modelo.selection_methods.joint', 'modelo.selection_methods.design')
    """
    method = selection.get("metodo", "joint")
    return f"modelo.selection_methods.{method if method in SELECTION_METHODS else 'design'}"


def dated_layer_names(drift: dict, descriptions: dict, lang: str) -> list[str]:
    """Plain names (lower case) of the model's dated layers (``deriva.capas_con_fecha``)."""
    return [feature_label(n, descriptions, lang).lower()
            for n in drift.get("capas_con_fecha") or []]


def alerts_table(alerts: list[dict], lang: str) -> pd.DataFrame:
    """Return the change alerts for a planner: direction, reason, probability, odds in words.

    >>> table = alerts_table([{"ubigeo": "080108", "distrito": "Wanchaq", "alerta": "al alza",
    ...                        "motivo": "capas", "p": None, "cambio_capas": 0.7}], "es")
    >>> table.iloc[0].tolist()
    ['080108', 'Wanchaq', 'al alza', 'capas', '—', '×2.0']
    """
    table = pd.DataFrame(alerts)
    table["alerta"] = table["alerta"].map(
        lambda v: t("modelo.alza", lang=lang) if v == "al alza"
        else t("modelo.baja", lang=lang))
    if "p" in table:  # a layer alert has no tail probability: a dash, not "None"
        table["p"] = [format_percent(v, lang, digits=2)
                      if isinstance(v, (int, float)) and v == v else "—"
                      for v in table["p"]]
    if "cambio_capas" in table:  # a planner reads "odds x2", not a logit
        table["cambio_capas"] = [
            "×" + format_number(math.exp(v), lang, digits=1)
            if isinstance(v, (int, float)) and v == v and v != 0 else "—"
            for v in table["cambio_capas"]]
    if "motivo" in table:
        table["motivo"] = table["motivo"].map(
            lambda v: t("comun.capas", lang=lang) if v == MOTIVO_CAPAS else
            t("modelo.hallazgos", lang=lang))
    return table.rename(columns={
        "ubigeo": "UBIGEO", "distrito": t("comun.distrito", lang=lang),
        "alerta": t("modelo.alerta", lang=lang), "motivo": t("modelo.motivo", lang=lang),
        "p": t("modelo.probabilidad_hallazgos_asi_segun", lang=lang),
        "cambio_capas": t("modelo.capas_multiplican_odds", lang=lang)})


def caveats_for(card: dict, lang: str) -> tuple[list[str], bool]:
    """Return the card's caveats in ``lang``, and whether some stay untranslated (Spanish).

    >>> shown, untranslated = caveats_for({"advertencias": ["Etiquetas escasas: pocas",
    ...                                                     "Algo nuevo"]}, "en")
    >>> [c[:14] for c in shown], untranslated
    (['Scarce labels:', 'Algo nuevo'], True)
    """
    caveats = card.get("advertencias") or []
    caveats_en = card.get("advertencias_en") or []
    if lang != "en" or not caveats:
        return list(caveats), False
    if caveats_en:
        return list(caveats_en), False
    english = [caveat_en(c) for c in caveats]
    return ([e or c for e, c in zip(english, caveats, strict=True)],
            any(e is None for e in english))


def card_json(card: dict) -> bytes:
    """Return the card as the JSON file a visitor downloads (UTF-8, indented).

    >>> card_json({"n": 1, "nombre": "Cañete"}).decode("utf-8").split()
    ['{', '"n":', '1,', '"nombre":', '"Cañete"', '}']
    """
    return json.dumps(card, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def card_markdown(card: dict) -> str | None:
    """Return the card as Markdown (:func:`~models.evaluation.backtest.card_to_markdown`).

    None when it cannot be written: the JSON download is enough then.
    """
    try:
        return card_to_markdown(card)
    except Exception:  # noqa: BLE001 - the JSON download is enough if this fails
        return None
