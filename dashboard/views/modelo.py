"""Modelo: the honest backtest against the baselines, calibration, coefficients, model card."""

from __future__ import annotations

import json
import math

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import feature_label, get_lang, tr
from dashboard.layer_words import feature_words, layer_name, origin_word, unit_label
from geo.errors import number
from models.risk.recency import MOTIVO_CAPAS

METHODS = {
    "modelo": ("Modelo de riesgo", "Risk model"),
    "aleatorio": ("Al azar", "Random"),
    "tasa_pasada": ("Hallazgos pasados", "Past findings"),
    "pobreza": ("Pobreza", "Poverty"),
    "indice_experto": ("Índice experto", "Expert index"),
    "oraculo": ("Oráculo (riesgo verdadero)", "Oracle (true risk)"),
}
# metric (k replaced) -> (es, en, help es, help en, format: pct | times | num2 | num4)
METRICS = {
    "acierto_{k}": (
        "Acierto, {k} primeros", "Hit rate, top {k}",
        "Parte de los hallazgos del periodo de prueba que ocurrieron en los {k} distritos que "
        "el método pone primero. Más es mejor.",
        "Share of the test period's findings that happened in the {k} districts the method "
        "ranks first. Higher is better.", "pct"),
    "lift_{k}": (
        "Veces sobre el azar, {k} primeros", "Lift over random, top {k}",
        "El acierto dividido por lo que daría elegir {k} distritos al azar: 1 = igual que el "
        "azar.", "The hit rate divided by what picking {k} districts at random gives: 1 = no "
        "better than chance.", "times"),
    "pai_{k}": (
        "Índice de precisión predictiva (PAI), {k} primeros",
        "Predictive accuracy index (PAI), top {k}",
        "Índice de precisión predictiva: parte de los hallazgos dividida por la parte del "
        "territorio que ocupan esos {k} distritos. Más alto = más hallazgos en menos área.",
        "Predictive accuracy index: share of the findings divided by the share of the land "
        "those {k} districts cover. Higher = more findings in less area.", "num2"),
    "brier": (
        "Error de Brier", "Brier score",
        "Error cuadrático medio del riesgo predicho para cada inspección. Menor es mejor.",
        "Mean squared error of the risk predicted for each inspection. Lower is better.", "num4"),
    "observado_sobre_esperado": (
        "Observados / esperados", "Observed / expected",
        "Hallazgos observados divididos por los que el método predijo: 1 = bien calibrado; "
        "más de 1 = subestima el riesgo.",
        "Findings observed divided by those the method predicted: 1 = well calibrated; above "
        "1 = it underestimates the risk.", "num2"),
    "captura_top10": (
        "Captura del 10 % de mayor riesgo verdadero", "Capture of the true top 10 %",
        "Solo con datos simulados (se conoce el riesgo verdadero): riesgo verdadero de los 10 "
        "distritos que el método pone primero, como parte del de los 10 de mayor riesgo "
        "verdadero.", "Simulated data only (the true risk is known): true risk of the 10 "
        "districts the method ranks first, as a share of that of the 10 truly riskiest.", "pct"),
    "spearman": (
        "Orden frente al riesgo verdadero (Spearman)", "Order against the true risk (Spearman)",
        "Solo con datos simulados: correlación de rangos entre el orden del método y el del "
        "riesgo verdadero; 1 = mismo orden, 0 = sin relación.",
        "Simulated data only: rank correlation between the method's order and the true risk's; "
        "1 = same order, 0 = unrelated.", "num2"),
    "cobertura_90": (
        "Cobertura del intervalo 90 %", "90 % interval coverage",
        "Solo con datos simulados: parte de los distritos cuyo riesgo verdadero cae dentro del "
        "intervalo 90 % del modelo; lo ideal es cerca de 90 %.",
        "Simulated data only: share of districts whose true risk falls inside the model's "
        "90 % interval; ideally close to 90 %.", "pct"),
}
COEF_WORDS = {
    "factor": ("Factor", "Factor", "Lo que el modelo mira en cada distrito.",
               "What the model looks at in each district."),
    "peso": ("Peso", "Weight", "Cuánto sube (positivo) o baja (negativo) el riesgo, en escala "
             "logit, una desviación estándar más del factor.",
             "How much one standard deviation more of the factor raises (positive) or lowers "
             "(negative) the risk, on the logit scale."),
    "peso_experto": ("Peso experto", "Expert weight",
                     "El peso del que parte el modelo (criterio experto).",
                     "The weight the model starts from (expert judgement)."),
    "razon_de_odds": ("Razón de odds", "Odds ratio",
                      "Cuántas veces cambian las odds de hallazgo con una desviación estándar "
                      "más del factor (1 = sin efecto).",
                      "How many times the odds of a finding change with one standard deviation "
                      "more of the factor (1 = no effect)."),
    "desviacion_estandar": ("Desviación estándar", "Standard deviation",
                            "Una desviación estándar del factor, en sus propias unidades.",
                            "One standard deviation of the factor, in its own units."),
}
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
    import re

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
    return tr(*METHODS[name]) if name in METHODS else name


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
    es, en, help_es, help_en, fmt = METRICS[key]
    return tr(es, en).format(k=k), tr(help_es, help_en).format(k=k), fmt


def format_value(value, fmt: str, signed: bool = False) -> str:
    """Format a metric value for a table; ``—`` for a missing one.

    >>> format_value(0.357, "pct"), format_value(None, "pct"), format_value(6.03, "times")
    ('35.7 %', '—', '6.0×')
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
    if fmt == "pct":
        return f"{100 * v:{sign}.1f} pp" if signed else f"{100 * v:.1f} %"
    if fmt == "times":
        return f"{v:{sign}.1f}×"
    return f"{v:{sign}.{4 if fmt == 'num4' else 2}f}"


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
    method_col = tr("Método", "Method")
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
        tr("Capa", "Layer", lang): [layer_name(f, lang) for f in rows],
        tr("Origen", "Origin", lang): [origin_word(f, lang) for f in rows],
        tr("Fuente", "Source", lang): [f.source or "—" for f in rows],
        tr("Años", "Years", lang): [f.years or "—" for f in rows],
        tr("Unidad", "Unit", lang): [unit_label(f, lang) or "—" for f in rows],
        tr("Distritos sin dato público", "Districts without public data", lang):
            [f.no_data for f in rows],
        tr("Licencia", "Licence", lang): [f.licence or "—" for f in rows],
    })


def model_layers() -> None:
    """The model's sector layers, each saying what it is, and what a missing value does."""
    lang = get_lang()
    facts = state.layer_facts()
    if not facts:
        return
    st.markdown("### " + tr("Capas del modelo", "The model's layers"))
    st.dataframe(layers_frame(facts, lang), hide_index=True, width="stretch",
                 key="modelo_capas")
    patterns = state.missing_patterns()
    said = [feature_words(name, facts, lang, patterns) for name in patterns]
    st.caption(tr(
        "Real: de una fuente pública; simulada: generada por riskmap. Donde una fuente no "
        "cubre un distrito, su valor queda vacío (no 0): el modelo deja fuera ese término y "
        "aprende de los registros cuánto pesa no tener el dato, con un indicador propio"
        + (": " + "; ".join(said) + "." if said else "."),
        "Real: from a public source; simulated: generated by riskmap. Where a source does "
        "not cover a district its value stays empty (not 0): the model leaves that term out "
        "and learns from the records how much not having the value weighs, with an "
        "indicator of its own" + (": " + "; ".join(said) + "." if said else ".")))


ui.page_header(
    tr("Cómo se comporta el modelo", "How the model performs"),
    tr("Evaluación honesta: se entrena con los años pasados y se puntúa el año siguiente (y, "
       "aparte, se retienen provincias enteras), comparado con reglas simples.",
       "Honest evaluation: trained on past years and scored on the next year (and, "
       "separately, whole provinces held out), compared with simple rules."),
)

with ui.guard():
    who = ui.principal()
    card = state.evaluation_for(who)
    st.caption(" · ".join(str(x) for x in (
        card.get("version_modelo"), card.get("generado"),
        tr("configuración ", "config ") + str(card.get("hash_configuracion", ""))[:12],
    ) if x))
    datos = card.get("datos") or {}
    if datos:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(tr("Distritos", "Districts"), datos.get("distritos", "—"))
        c2.metric(tr("Inspecciones", "Inspections"), datos.get("inspecciones", "—"))
        c3.metric(tr("Hallazgos", "Findings"), datos.get("hallazgos", "—"))
        years = datos.get("anios") or []
        c4.metric(tr("Periodo", "Period"), f"{min(years)}–{max(years)}" if years else
                  f"{str(datos.get('desde', ''))[:4]}–{str(datos.get('hasta', ''))[:4]}")
        scored = state.metadata_values().get("n_inspecciones")
        if "inspecciones" in datos and scored is not None and scored != datos["inspecciones"]:
            st.warning(tr(
                f"La capa de riesgo se calculó con {scored} inspecciones y esta evaluación con "
                f"{datos['inspecciones']}: vuelva a evaluar (`riskmap evaluate`, o recalcule en "
                "la página Datos).",
                f"The risk layer was computed on {scored} inspections and this evaluation on "
                f"{datos['inspecciones']}: evaluate again (`riskmap evaluate`, or rescore on "
                "the Datos page)."))
    from dashboard.changes import show_changes

    show_changes(state.settings().workdir, who, get_lang())

    evaluations = card.get("evaluacion") or {}
    kinds = [k for k in ("temporal", "espacial") if evaluations.get(k, {}).get("metricas")]
    if not kinds:
        st.info(tr("La ficha no trae métricas de evaluación.",
                   "The model card carries no evaluation metrics."))
    else:
        lang = get_lang()  # bound now: format functions may be called outside the run
        kind = st.radio(
            tr("Evaluación", "Evaluation"), kinds, key="modelo_evaluacion", horizontal=True,
            format_func=lambda k: {
                "temporal": tr("En el tiempo (años siguientes)", "Over time (following years)",
                               lang=lang),
                "espacial": tr("En el espacio (provincias retenidas)",
                               "Over space (held-out provinces)", lang=lang)}[k],
        )
        ev = evaluations[kind]
        folds = ev.get("pliegues") or []
        if folds:
            st.caption(tr(f"Periodos evaluados: {', '.join(map(str, folds))} · "
                          f"{ev.get('inspecciones_prueba', '?')} inspecciones de prueba, "
                          f"{ev.get('hallazgos_prueba', '?')} hallazgos.",
                          f"Periods scored: {', '.join(map(str, folds))} · "
                          f"{ev.get('inspecciones_prueba', '?')} test inspections, "
                          f"{ev.get('hallazgos_prueba', '?')} findings."))
        frame = metric_frame(ev["metricas"])
        ks = sorted({int(m.split("_")[1]) for m in frame["metrica"]
                     if m.startswith("acierto_") and m.split("_")[1].isdigit()})
        st.markdown("### " + tr("Tasa de acierto en los k distritos de mayor riesgo",
                                "Hit rate in the top-k districts"))
        if ks:
            k = st.radio("k", ks, key="modelo_k", horizontal=True) if len(ks) > 1 else ks[0]
            hit = frame[frame["metrica"] == f"acierto_{k}"]
            hit_title = tr("Acierto", "Hit rate")
            base = alt.Chart(hit).encode(
                y=alt.Y("metodo:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            )
            chart = base.mark_bar(color="#7570b3").encode(
                x=alt.X("valor:Q", title=tr("Parte de los hallazgos en los {k} distritos que el "
                                            "método pone primero",
                                            "Share of the findings in the {k} districts the "
                                            "method ranks first").format(k=k),
                        axis=alt.Axis(format="%", tickCount=8)),
                tooltip=[alt.Tooltip("metodo:N", title=tr("Método", "Method")),
                         alt.Tooltip("valor:Q", format=".1%", title=hit_title),
                         alt.Tooltip("p025:Q", format=".1%", title=tr("IC 95 %, desde",
                                                                      "95 % CI, from")),
                         alt.Tooltip("p975:Q", format=".1%", title=tr("IC 95 %, hasta",
                                                                      "95 % CI, to"))],
            ) + base.mark_rule(color="#222").encode(x="p025:Q", x2="p975:Q")
            st.altair_chart(chart.properties(height=220), width="stretch")
            st.caption(tr("Barras: parte de los hallazgos del periodo de prueba que ocurrieron "
                          "en los k distritos que cada método pone primero; líneas: intervalo "
                          "bootstrap del 95 %.",
                          "Bars: share of the test period's findings that happened in the k "
                          "districts each method ranks first; lines: 95 % bootstrap interval."))
        yearly = per_year_frame(ev)
        if yearly is not None:
            st.markdown("#### " + tr("Acierto (10 primeros) por año", "Hit rate (top 10) by year"))
            st.altair_chart(
                alt.Chart(yearly).mark_line(point=True).encode(
                    x=alt.X("anio:O", title=tr("Año de prueba", "Test year")),
                    y=alt.Y("valor:Q", title=tr("Acierto", "Hit rate"), axis=alt.Axis(format="%")),
                    color=alt.Color("metodo:N", title=tr("Método", "Method"),
                                    legend=alt.Legend(orient="bottom")),
                    tooltip=[alt.Tooltip("anio:O", title=tr("Año", "Year")),
                             alt.Tooltip("metodo:N", title=tr("Método", "Method")),
                             alt.Tooltip("valor:Q", format=".1%", title=tr("Acierto",
                                                                           "Hit rate"))],
                ).properties(height=260),
                width="stretch",
            )
        st.markdown("#### " + tr("Todas las métricas", "All metrics"))
        table, config = metrics_table(ev["metricas"])
        st.dataframe(table, hide_index=True, width="stretch", column_config=config,
                     key="modelo_metricas")
        st.caption(tr("Pase el cursor sobre el nombre de una columna para ver qué mide. "
                      "«—»: la métrica no se aplica a ese método.",
                      "Hover over a column name to see what it measures. '—': the metric "
                      "does not apply to that method."))
        diffs = ev.get("diferencias") or {}
        if diffs:
            st.markdown("#### " + tr("Modelo menos cada referencia", "Model minus each baseline"))
            against = tr("Frente a", "Against")
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
                                  f"{tr('a', 'to')} {format_value(ci[1], fmt, True)})")
                    row[label] = value
                rows.append(row)
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                         placeholder=MISSING)
            st.caption(tr("Diferencia (intervalo del 95 %). Positivo: el modelo acierta más "
                          "(en Brier, negativo es mejor); pp = puntos porcentuales. Un "
                          "intervalo que cruza 0 no muestra diferencia clara.",
                          "Difference (95 % interval). Positive: the model hits more (for "
                          "Brier, negative is better); pp = percentage points. An interval "
                          "crossing 0 shows no clear difference."))

        # the chart and the coefficient table side by side cut the table's last columns off
        c1, c2 = st.columns([2, 3])
        with c1:
            st.markdown("### " + tr("Calibración", "Calibration"))
            cal = pd.DataFrame(ev.get("calibracion") or [])
            if {"riesgo_medio", "tasa_observada"} <= set(cal.columns):
                top = float(max(cal["riesgo_medio"].max(), cal["tasa_observada"].max()))
                diag = pd.DataFrame({"x": [0, top], "y": [0, top]})
                predicted, observed = tr("Riesgo predicho", "Predicted risk"), tr(
                    "Tasa observada", "Observed rate")
                tips = [alt.Tooltip("riesgo_medio:Q", format=".1%", title=predicted),
                        alt.Tooltip("tasa_observada:Q", format=".1%", title=observed)]
                if "inspecciones" in cal:
                    tips.append(alt.Tooltip("inspecciones:Q", title=tr("Inspecciones",
                                                                       "Inspections")))
                if "hallazgos" in cal:
                    tips.append(alt.Tooltip("hallazgos:Q", title=tr("Hallazgos", "Findings")))
                st.altair_chart(
                    alt.Chart(diag).mark_line(strokeDash=[4, 4], color="#888").encode(
                        x="x:Q", y="y:Q")
                    + alt.Chart(cal).mark_line(point=True, color="#d95f02").encode(
                        x=alt.X("riesgo_medio:Q", title=predicted, axis=alt.Axis(format="%")),
                        y=alt.Y("tasa_observada:Q", title=observed, axis=alt.Axis(format="%")),
                        tooltip=tips),
                    width="stretch",
                )
                st.caption(tr("Cada punto agrupa inspecciones con riesgo predicho parecido. "
                              "Sobre la diagonal, lo predicho coincide con lo observado.",
                              "Each point groups inspections with similar predicted risk. On "
                              "the diagonal, predicted matches observed."))
            else:
                st.info(tr("Sin datos de calibración.", "No calibration data."))

    with (c2 if kinds else st.container()):
        st.markdown("### " + tr("Coeficientes", "Coefficients"))
        coefs = pd.DataFrame((card.get("modelo") or {}).get("coeficientes") or [])
        if len(coefs) and "factor" in coefs:
            descriptions = dict(zip(coefs["factor"], coefs.get("nombre", coefs["factor"]),
                                    strict=True))
            facts, patterns = state.layer_facts(), state.missing_patterns()
            # a missing-value indicator in words: "Sin dato público: Minería (MapBiomas…)"
            shown = pd.DataFrame({"factor": [
                feature_words(f, facts, get_lang(), patterns, descriptions=descriptions)
                if f.startswith("falta_") or f in facts else feature_label(f, descriptions)
                for f in coefs["factor"]]})
            for col in ("peso", "peso_experto", "razon_de_odds", "desviacion_estandar"):
                if col in coefs:
                    shown[col] = pd.to_numeric(coefs[col], errors="coerce")
            names = {c: tr(*COEF_WORDS[c][:2]) for c in shown.columns}
            fmt = {"peso": "%+.2f", "peso_experto": "%+.2f", "razon_de_odds": "%.2f",
                   "desviacion_estandar": "%.3g"}
            # narrow number columns: in half the page the last one was cut off
            config = {names[c]: (st.column_config.NumberColumn(
                names[c], help=tr(*COEF_WORDS[c][2:]), format=fmt[c], width="small")
                if c in fmt else st.column_config.TextColumn(
                    names[c], help=tr(*COEF_WORDS[c][2:]), width="medium"))
                for c in shown.columns}
            st.dataframe(shown.rename(columns=names), hide_index=True, width="stretch",
                         column_config=config, key="modelo_coeficientes")
            st.caption(tr("Peso en la escala estandarizada (positivo sube el riesgo) frente al "
                          "peso experto del que parte.",
                          "Weight on the standardised scale (positive raises the risk) against "
                          "the expert weight it starts from."))
        else:
            st.info(tr("Sin tabla de coeficientes.", "No coefficient table."))

    model_layers()

    model = card.get("modelo") or {}
    drift, selection = model.get("deriva") or {}, model.get("seleccion") or {}
    if drift or selection:
        st.markdown("### " + tr("Cuando el riesgo se mueve", "When risk moves"))
        d1, d2, d3 = st.columns(3)
        half = drift.get("vida_media_anios")
        d1.metric(tr("Vida media del historial", "Half-life of the record"),
                  tr("sin descuento", "no discount") if half is None else
                  tr(f"{half:g} años", f"{half:g} years"),
                  help=tr("Cada inspección pesa 0,5^(edad/vida media); la eligen los "
                          "registros: si sus 3 últimos años se predicen mejor descontando lo "
                          "antiguo, el riesgo se está moviendo.",
                          "Each inspection weighs 0.5^(age/half-life); the records choose it: "
                          "if their last 3 years are better predicted discounting the old, "
                          "risk is moving."))
        alerts = drift.get("alertas")
        n_alerts = len(alerts) if alerts is not None else drift.get("n_alertas", 0)
        d2.metric(tr("Alertas de cambio", "Change alerts"), n_alerts)
        if selection.get("spearman_con_sin") is not None:
            shared = selection.get("top10_compartidos", 0)
            d3.metric(tr("Ranking con y sin corrección de selección",
                         "Ranking with and without the selection correction"),
                      f"ρ = {selection['spearman_con_sin']:.3f}",
                      help=tr(f"Correlación de Spearman entre los dos rankings; {shared} de "
                              "los 10 primeros distritos son los mismos con y sin corrección.",
                              f"Spearman correlation of the two rankings; {shared} of the top "
                              "10 districts are the same with and without the correction."))
        method = {"joint": ("pesos y efecto propio ajustados juntos",
                            "weights and district effects fitted together"),
                  "design": ("efecto de diseño", "design effect"),
                  "cluster": ("cada distrito una vez", "each district once"),
                  "none": ("ninguna", "none")}.get(selection.get("metodo", "joint"),
                                                   ("efecto de diseño", "design effect"))
        st.caption(tr(
            "La vida media dice cuánto pesan las inspecciones antiguas en toda la región; las "
            "alertas miran distrito por distrito: puede no haber descuento y aun así alertas. "
            "Las inspecciones siguen a las denuncias, y las denuncias al riesgo: contar cada "
            "inspección por separado daría más peso a los distritos más denunciados. La "
            f"corrección ({method[0]}) deja el exceso de un distrito muy denunciado en su propio "
            "efecto, sin subir el riesgo de los demás; ρ dice cuánto cambia el ranking.",
            "The half-life says how much old inspections weigh across the region; alerts look "
            "district by district: there can be no discount and still alerts. Inspections "
            "follow complaints, and complaints follow risk: counting every inspection on its "
            "own would weigh the most denounced districts more. The correction "
            f"({method[1]}) keeps a much-denounced district's excess in its own effect, "
            "without raising everyone else's risk; ρ says how much the ranking changes."))
        strength = selection.get("denuncias_como_evidencia")
        spread = selection.get("dispersion_denuncias")
        if strength is not None:
            of_es = f" de una dispersión total de {number(spread, 2, 'es')}" if spread else ""
            of_en = f" of a total spread of {spread:.2f}" if spread else ""
            st.caption(tr(
                "Denuncias como evidencia: un distrito con más inspecciones por denuncia de "
                "las que esperan su población y sus características tiene probablemente un "
                f"efecto propio más alto. Fuerza estimada g = {number(strength, 2, 'es')}{of_es} "
                "(desviación del logaritmo de la tasa de denuncias que va con el efecto "
                "propio; el resto se aparta por otras razones; 0 = el número de denuncias no "
                "informa y no cambia nada).",
                "Complaints as evidence: a district with more complaint-driven inspections "
                "than its population and characteristics predict probably has a higher own "
                f"effect. Estimated strength g = {strength:.2f}{of_en} (standard deviation of "
                "the log complaint rate that goes with the own effect; the rest strays for "
                "other reasons; 0 = the number of complaints says nothing and changes "
                "nothing)."))
        descriptions = {spec.name: spec.description for spec in state.settings().layers}
        dated = [feature_label(n, descriptions, get_lang()).lower()
                 for n in drift.get("capas_con_fecha") or []]
        if dated:
            st.caption(tr(
                f"Capas con fecha ({', '.join(dated)}): cada inspección se lee con la capa de "
                "su año y el puntaje de hoy con la de hoy; cada año del backtest usa la capa "
                "como estaba al empezar ese año, nunca una posterior.",
                f"Dated layers ({', '.join(dated)}): each inspection is read with the layer of "
                "its year and today's score with today's; each backtest year uses the layer "
                "as it stood when that year began, never a later one."))
        if alerts:
            table = pd.DataFrame(alerts)
            table["alerta"] = table["alerta"].map(
                lambda v: tr("al alza", "rising") if v == "al alza" else tr("a la baja",
                                                                            "falling"))
            if "p" in table:  # a layer alert has no tail probability: a dash, not "None"
                table["p"] = [number(100 * v, 2, get_lang()) + " %"
                              if isinstance(v, (int, float)) and v == v else "—"
                              for v in table["p"]]
            if "cambio_capas" in table:  # a planner reads "odds x2", not a logit
                table["cambio_capas"] = [
                    f"×{math.exp(v):.1f}".replace(".", "," if get_lang() == "es" else ".")
                    if isinstance(v, (int, float)) and v == v and v != 0 else "—"
                    for v in table["cambio_capas"]]
            if "motivo" in table:
                table["motivo"] = table["motivo"].map(
                    lambda v: tr("capas", "layers") if v == MOTIVO_CAPAS else
                    tr("hallazgos", "findings"))
            st.dataframe(table.rename(columns={
                "ubigeo": "UBIGEO", "distrito": tr("Distrito", "District"),
                "alerta": tr("Alerta", "Alert"), "motivo": tr("Motivo", "Reason"),
                "p": tr("Probabilidad de hallazgos así según su historial",
                        "Probability of such findings given its record"),
                "cambio_capas": tr("Sus capas multiplican sus odds por",
                                   "Its layers multiply its odds by")}),
                hide_index=True, width="stretch", key="modelo_alertas")
            st.caption(tr("Alerta por hallazgos: los de los 2 últimos años caen en la cola de "
                          "menos de 5 % de lo que predice el historial anterior del distrito. "
                          "Por capas: sus capas con fecha cambiaron desde sus inspecciones "
                          "tanto que duplican (o reducen a la mitad) sus odds.",
                          "Alert by findings: those of the last 2 years fall in the tail of "
                          "less than 5 % of what the district's earlier record predicts. By "
                          "layers: its dated layers changed since its inspections enough to "
                          "double (or halve) its odds."))

    caveats = card.get("advertencias") or []
    caveats_en = card.get("advertencias_en") or []
    if caveats:
        st.markdown("### " + tr("Advertencias", "Caveats"))
        if get_lang() == "en" and caveats_en:
            caveats = caveats_en
        elif get_lang() == "en":
            english = [caveat_en(c) for c in caveats]
            if any(e is None for e in english):
                st.caption("Caveats not translated yet are shown as written in the model "
                           "card (in Spanish).")
            caveats = [e or c for e, c in zip(english, caveats, strict=True)]
        st.markdown("\n".join(f"- {c}" for c in caveats))
    with st.expander(tr("Ficha del modelo completa (JSON, con sus nombres internos)",
                        "Full model card (JSON, with its internal names)")):
        st.json(card, expanded=False)
    audit = state.store(who)

    def _audited(data: bytes, fmt: str):
        def download() -> bytes:  # runs on the click: each download is audited
            audit.record_event("exportacion", {"formato": fmt, "archivo": "ficha_modelo"})
            return data
        return download

    st.download_button(
        tr("Descargar la ficha del modelo (JSON)", "Download the model card (JSON)"),
        data=_audited(json.dumps(card, ensure_ascii=False, indent=2, default=str)
                      .encode("utf-8"), "ficha_json"),
        file_name="ficha_modelo.json", mime="application/json", key="modelo_descargar",
        on_click="ignore",
    )
    try:
        from models.evaluation.backtest import card_to_markdown

        markdown = card_to_markdown(card)
    except Exception:  # noqa: BLE001 - the JSON download is enough if this fails
        markdown = None
    if markdown:
        st.download_button(
            tr("Descargar la ficha del modelo (Markdown)", "Download the model card (Markdown)"),
            data=_audited(markdown.encode("utf-8"), "ficha_md"), file_name="ficha_modelo.md",
            mime="text/markdown", key="modelo_descargar_md", on_click="ignore",
        )
