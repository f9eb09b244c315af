"""The world's ``LEEME.md``: what is real, what is simulated and how, filled into templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.formatting import format_field, format_number
from geo.world.districts import _World
from geo.world.features import DEMO_LAYERS, HIDDEN, Z_CAP
from geo.world.public_layers import _Public
from geo.world.scenarios import FRONTIER_DREDGES, OLD_DREDGE_YEARS, Scenario
from geo.world.templates import fill
from geo.world.truth import _Truth


def _fmt(x: float, digits: int = 2) -> str:
    return format_number(x, "es", digits=digits)


def _es(value: Any, spec: str) -> str:
    """``value`` as ``{value:spec}`` writes it, in Peru's Spanish (CLDR): LEEME is Spanish."""
    return format_field(value, spec, "es")


def _readme_text(seed: int, region: tuple[str, ...], cal: Mapping[str, Any], world: _World,
                 feats: pd.DataFrame, truth: _Truth, records: pd.DataFrame,
                 layers: Mapping[str, gpd.GeoDataFrame], public: _Public | None = None) -> str:
    conf = cal["inspecciones"]
    t = truth.table
    rate = records[C.HALLAZGO].mean() if len(records) else float("nan")
    top = t.sort_values(C.RIESGO_VERDADERO, ascending=False).head(10)
    per_dep = records.groupby(records[C.UBIGEO].str[:2]).size()
    coef_rows = "\n".join(
        f"| `{f}` | {_es(truth.coefs[f], '+.2f')} | "
        + (f"{_es(float(cal['prior_experto'][f]), '+.2f')}" if f in cal["prior_experto"]
           and (public is None or f not in HIDDEN or f in layers) else "(no la ve)")
        + " |" for f in truth.coefs)
    top_rows = "\n".join(
        f"| {r.ubigeo} | {r.distrito} | {r.provincia} | {_es(r.riesgo_verdadero, '.3f')} |"
        for r in top.itertuples())
    origin_rows = "\n".join(
        f"| {o} | {_es(conf['origen'][o], '.0%')} | {_es((records[C.ORIGEN] == o).sum(), ',')} | "
        f"{_es(records.loc[records[C.ORIGEN] == o, C.HALLAZGO].mean(), '.1%')} |"
        for o in C.ORIGENES)
    deps = ", ".join({"08": "Cusco (08)", "16": "Loreto (16)"}[r] for r in region)
    files_row = ("| `capas/*.gpkg` | capas simuladas (`simulado = True` en cada elemento y en los "
                 "metadatos) y los servicios simulados |" if public is None else
                 "| `capas/servicios.gpkg` | servicios de atención a víctimas SIMULADOS"
                 + (" y la capa simulada de dragas con fecha |" if layers else " |"))
    title = ("# DATOS SIMULADOS — NO SON REGISTROS REALES" if public is None else
             "# Mundo de demostración: capas REALES, inspecciones SIMULADAS — LOS REGISTROS "
             "NO SON REALES")
    return fill(
        "LEEME.md", title=title, intro=_intro_text(seed, deps, len(world), public is not None),
        files_row=files_row, n_records=f"{_es(len(records), ',')}",
        layers_section=_layers_section(world, layers, public),
        truth_formula=_truth_formula(truth, cal, len(world), public), coef_rows=coef_rows,
        median_risk=f"{_es(np.median(truth.p), '.3f')}", max_risk=f"{_es(truth.p.max(), '.3f')}",
        top_rows=top_rows, first_volume=f"{_es(conf['por_departamento_anio'][0], '.0f')}",
        first_year=conf["anios"][0], last_volume=f"{_es(conf['por_departamento_anio'][1], '.0f')}",
        last_year=conf["anios"][1],
        records_by_department=", ".join(f"{k}: {_es(v, ',')}" for k, v in per_dep.items()),
        origin_rows=origin_rows, population_exponent=conf["exponente_poblacion"],
        planned_scale_km=f"{_es(conf['escala_lejania_km'], '.0f')}",
        complaint_scale_km=f"{_es(conf['escala_lejania_denuncia_km'], '.0f')}",
        finding_rate=_es(rate, ".1%"),
        plausible_low=_es(conf["tasa_hallazgo_rango"][0], ".0%"),
        plausible_high=f"{_es(conf['tasa_hallazgo_rango'][1], '.0%')}", seed=seed)


def _intro_text(seed: int, deps: str, n: int, real: bool) -> str:
    """LEEME.md's opening paragraph: what is real and what is simulated."""
    if not real:
        return fill("intro_simuladas.md", seed=seed, deps=deps, n=n)
    return fill("intro_reales.md", seed=seed, deps=deps, n=n)


def _layers_section(world: _World, layers: Mapping[str, gpd.GeoDataFrame],
                    public: _Public | None) -> str:
    """LEEME.md's section 1: the sector layers, real or simulated."""
    if public is None:
        rows = "\n".join(
            f"| `{s.name}` | {s.sector} | {s.measure}{' por ' + s.per if s.per else ''} | "
            f"{_es(len(layers[s.name]), ',')} | {s.description} |" for s in DEMO_LAYERS)
        return fill("capas_simuladas.md", rows=rows, hidden=fill("ocultos.md"))
    f = public.fuentes.set_index("capa")
    lines = []
    for name in public.values.columns:
        row = f.loc[name]
        have = public.values[name].notna().to_numpy()
        per_dep = ", ".join(
            f"{dep}: {int(have[world.dep == dep].sum())} de {int((world.dep == dep).sum())}"
            for dep in sorted(set(world.dep)))
        reason = str(row.get("motivo_cero", "") or "")
        lines.append(f"| `{name}` | {row.get('fuente', '')} | {row.get('anios', '')} | "
                     f"{row.get('unidad', '')} | {per_dep} | "
                     + (f"0 — {reason}" if reason else "**sin dato** (vacío)") + " |")
    rows = "\n".join(lines)
    dated = ""
    if layers:
        dated = ("\nEste escenario agrega una capa **simulada** con fecha, `dragas` "
                 "(`capas/dragas.gpkg`, ver el final).\n")
    return fill("capas_reales.md", rows=rows, dated=dated, hidden=fill("ocultos.md"))


def _truth_formula(truth: _Truth, cal: Mapping[str, Any], n: int,
                   public: _Public | None) -> str:
    """LEEME.md's account of how the true risk is made."""
    conf = cal["inspecciones"]
    if public is None:
        moves = "Es constante en 2016-2025:"
        z = ("- `z_f`: cada variable tal como la mide la tabla distrital (`riskmap build`), "
             f"estandarizada\n  sobre los {n} distritos (media 0, desviación típica "
             "poblacional 1);")
    else:
        moves = ("Se mueve con las capas: el riesgo de cada año usa las capas de ese año "
                 "(columnas\n`riesgo_<año>` de `verdad.csv`; `riesgo_verdadero` es el de hoy):")
        z = ("- `z_f`: cada capa real como `log(1 + ha)` (como la lee el modelo), las pobreza "
             "y lejanía\n  tal cual, y los frentes de minería informal y las dragas "
             f"(ocultos), estandarizados sobre los {n}\n  distritos con su valor de hoy "
             f"(media 0, desviación típica 1) y limitados a ±{_es(Z_CAP, 'g')};")
    return fill("verdad.md", moves=moves, z=z, sd_effect=cal["verdad"]["sd_efecto_aleatorio"],
                intercept=f"{_es(truth.intercept, '.4f')}",
                target_rate=f"{_es(conf['tasa_hallazgo_objetivo'], '.0%')}")


def _scenario_text(kind: Scenario, truth: _Truth) -> str:
    """LEEME.md's section on the scenario (nothing for the calibrated, static world)."""
    if kind.name == "estatico":
        return ""
    lines = ["", f"## Escenario: {kind.name} (JUICIO, issue 11)", ""]
    if kind.drift_districts:
        moved = truth.table[truth.table["deriva"] == 1]
        names = ", ".join(f"{r.distrito} ({r.ubigeo})" for r in moved.itertuples())
        lines.append(
            f"Desde {kind.drift_year} se abre un frente (como las dragas del Nanay después de "
            f"2020) en los {kind.drift_districts} distritos más lejanos de cada departamento "
            "que tenían un riesgo bajo la mediana: su logit verdadero sube "
            f"{_es(kind.drift_logit, 'g')} "
            + ("y la capa de dragas lo ve: "
               f"{FRONTIER_DREDGES} dragas nuevas en cada uno, con `anio` = {kind.drift_year} "
               f"(las demás fechadas entre {OLD_DREDGE_YEARS[0]} y {OLD_DREDGE_YEARS[1]}, antes "
               "de las inspecciones; `year_column = \"anio\"` en settings.toml)"
               if kind.visible else "y las capas no lo ven")
            + f". Distritos: {names}. `verdad.csv` da el riesgo de hoy "
            "(`riesgo_verdadero`), el de antes (`riesgo_anterior`) y el año (`anio_deriva`); "
            "las inspecciones de cada año siguen el riesgo de ese año.")
    if kind.complaint_share is not None:
        lines.append(
            f"El {_es(kind.complaint_share, '.0%')} de las inspecciones nace de denuncias, y las "
            f"denuncias siguen al riesgo con potencia {_es(kind.complaint_power, 'g')}.")
    if kind.volume_factor != 1.0:
        lines.append(f"Volumen de inspecciones: {_es(kind.volume_factor, 'g')} veces el calibrado.")
    return "\n".join(lines) + "\n"
