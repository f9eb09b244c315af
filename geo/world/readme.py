"""The world's ``LEEME.md``: what is real, what is simulated and how, filled into templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.world.districts import _World
from geo.world.features import DEMO_LAYERS, HIDDEN, Z_CAP
from geo.world.public_layers import _Public
from geo.world.scenarios import FRONTIER_DREDGES, OLD_DREDGE_YEARS, Scenario
from geo.world.truth import _Truth


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def _readme_text(seed: int, region: tuple[str, ...], cal: Mapping[str, Any], world: _World,
                 feats: pd.DataFrame, truth: _Truth, records: pd.DataFrame,
                 layers: Mapping[str, gpd.GeoDataFrame], public: _Public | None = None) -> str:
    conf = cal["inspecciones"]
    t = truth.table
    rate = records[C.HALLAZGO].mean() if len(records) else float("nan")
    top = t.sort_values(C.RIESGO_VERDADERO, ascending=False).head(10)
    per_dep = records.groupby(records[C.UBIGEO].str[:2]).size()
    coef_rows = "\n".join(
        f"| `{f}` | {truth.coefs[f]:+.2f} | "
        + (f"{float(cal['prior_experto'][f]):+.2f}" if f in cal["prior_experto"]
           and (public is None or f not in HIDDEN or f in layers) else "(no la ve)")
        + " |" for f in truth.coefs)
    top_rows = "\n".join(
        f"| {r.ubigeo} | {r.distrito} | {r.provincia} | {r.riesgo_verdadero:.3f} |"
        for r in top.itertuples())
    origin_rows = "\n".join(
        f"| {o} | {conf['origen'][o]:.0%} | {(records[C.ORIGEN] == o).sum():,} | "
        f"{records.loc[records[C.ORIGEN] == o, C.HALLAZGO].mean():.1%} |" for o in C.ORIGENES)
    deps = ", ".join({"08": "Cusco (08)", "16": "Loreto (16)"}[r] for r in region)
    files_row = ("| `capas/*.gpkg` | capas simuladas (`simulado = True` en cada elemento y en los "
                 "metadatos) y los servicios simulados |" if public is None else
                 "| `capas/servicios.gpkg` | servicios de atención a víctimas SIMULADOS"
                 + (" y la capa simulada de dragas con fecha |" if layers else " |"))
    title = ("# DATOS SIMULADOS — NO SON REGISTROS REALES" if public is None else
             "# Mundo de demostración: capas REALES, inspecciones SIMULADAS — LOS REGISTROS "
             "NO SON REALES")
    return f"""{title}

{_intro_text(seed, deps, len(world), public is not None)}
*English: SIMULATED DATA — NOT REAL RECORDS. A synthetic world on the real district
boundaries, calibrated with published figures, for demonstrating and evaluating riskmap.*

## Archivos

| archivo | contenido |
|---|---|
{files_row}
| `inspecciones.csv` | {len(records):,} inspecciones simuladas 2016-2025 (formato de inspecciones) |
| `verdad.csv` | el riesgo verdadero por distrito (`riesgo_verdadero`) y sus componentes |
| `settings.toml` | la configuración que usa el tablero por defecto (`simulated = true`) |

{_layers_section(world, layers, public)}
## 2. Riesgo verdadero (`verdad.csv`)

{_truth_formula(truth, cal, len(world), public)}
Coeficientes ocultos y, al lado, el prior experto que se escribe en `settings.toml` (un
juicio tipo MIRTI, distinto a propósito de la verdad):

| variable | coeficiente oculto | prior experto |
|---|---|---|
{coef_rows}

**Por qué ese prior experto (JUICIO).** Es el índice que armaría un analista de la
inspección a la manera del MIRTI (el modelo de riesgo de trabajo infantil del MTPE con la OIT):
con las capas y estadísticas que el Estado ya tiene (concesiones mineras de INGEMMET, REINFO,
concesiones forestales de SERFOR, áreas agropecuarias, coca de DEVIDA, pobreza del INEI) y con
la lógica del trabajo infantil (trabajo familiar agrícola en hogares pobres y rurales). Por eso
se equivoca de maneras documentadas y realistas: **sobrepondera** lo formal y cartografiado
(concesiones mineras y forestales), la agricultura y la pobreza; **no da peso a las dragas**
(el oro de draga de Loreto "no aparece como uso minero del suelo" y no está en ninguna capa
oficial) **ni a la lejanía** (el MIRTI usa variables censales y la oficina planifica desde su
sede); acierta en el signo de la minería informal, los campamentos de tala y la coca, los
sectores que la propia SUNAFIL nombra. Los pesos se decidieron a partir de esos hechos, no
probando semillas. El modelo decide con los datos cuánto apoyarse en él (`prior_strength` es
solo el máximo).

`verdad.csv` trae por distrito `logit_verdadero`, `intercepto`, `efecto_aleatorio`,
`contrib_<variable>` (= coef · z), `valor_<variable>` (la medida), `hotspot` (1 si la
calibración lo nombra) y `perfil`. Mediana del riesgo verdadero:
{np.median(truth.p):.3f}; máximo {truth.p.max():.3f}.

Los 10 distritos de mayor riesgo verdadero:

| ubigeo | distrito | provincia | riesgo verdadero |
|---|---|---|---|
{top_rows}

## 3. Inspecciones (`inspecciones.csv`)

**Volumen (JUICIO).** Las cifras publicadas sugieren 0-10 inspecciones especializadas de
trabajo forzoso por departamento y año (117 en todo el país en 2022-2023, sobre todo fuera de
Cusco y Loreto): con una tasa de hallazgo de 5-15 %, cerca de un hallazgo por departamento y
año, nada de qué aprender ni con qué validar. La demo simula en cambio las inspecciones
laborales que **verifican indicadores de trabajo forzoso** dentro de operativos más amplios
(minería, tala, agricultura, trabajo doméstico, construcción): en promedio
{conf['por_departamento_anio'][0]:.0f} por departamento en {conf['anios'][0]}, creciendo hasta
{conf['por_departamento_anio'][1]:.0f} en {conf['anios'][1]} (número de cada año ~ Poisson).
Resultado: {len(records):,} registros ({', '.join(f'{k}: {v:,}' for k, v in per_dep.items())}).

Por qué ese volumen: (1) la escala es plausible: SUNAFIL tenía ~700 inspectores en 2019 (~28
por departamento en promedio) y registró 574 acciones de orientación sobre trabajo forzoso que
llegaron a 19,839 trabajadores desde enero de 2022; Loreto y Cusco están entre las regiones con
más denuncias de trata (2.º y 4.º en 2007-2014), así que son prioritarias; unas pocas
verificaciones por inspector y año en los sectores de riesgo bastan. (2) La demo existe para
ejercitar y **validar el método**, y un mundo en el que ni el riesgo verdadero se distingue de
una referencia no valida nada: con la mitad de este volumen (~12 hallazgos por año de prueba) ni
el riesgo verdadero superaba a "tasa pasada" con un margen respaldado en 2 de 6 semillas; con
este (~24 por año) sí, frente a todas las referencias (ver `benchmarks/model.md` del
repositorio).

**Con registros reales.** Si una intendencia solo registra sus inspecciones especializadas de
trabajo forzoso, el backtest sobre sus datos tendrá la potencia de unos pocos hallazgos por año:
la ficha del modelo lo advierte ("Potencia limitada") y un margen no respaldado allí no prueba
ni que el modelo sea mejor ni que no lo sea. La demo muestra que el método funciona cuando hay
potencia; no hace más informativos los datos reales.

**Selección (sesgo realista).** Cada inspección tiene un origen:

| origen | proporción esperada | registros | tasa de hallazgo |
|---|---|---|---|
{origin_rows}

- *planificada*: distrito elegido con peso `poblacion^{conf['exponente_poblacion']} ·
  exp(-lejania_km / {conf['escala_lejania_km']:.0f})`: las intendencias de Cusco y de Iquitos
  inspeccionan sobre todo cerca de su sede;
- *denuncia*: peso `poblacion^{conf['exponente_poblacion']} · riesgo_verdadero ·
  exp(-lejania_km / {conf['escala_lejania_denuncia_km']:.0f})`: las denuncias llegan de donde
  hay explotación, pero más fácilmente desde cerca;
- *aleatoria*: uniforme entre los distritos del departamento.

Por eso los distritos lejanos (Alto Nanay, Camanti, el Putumayo) tienen pocas inspecciones
aunque su riesgo sea alto: el número de inspecciones **no** mide el riesgo.

**Resultado.** `hallazgo_tf ~ Bernoulli(riesgo_verdadero)` sin importar el origen. Tasa de
hallazgo observada: {rate:.1%} (rango plausible {conf['tasa_hallazgo_rango'][0]:.0%}-
{conf['tasa_hallazgo_rango'][1]:.0%}). Sector: según las capas del distrito y su densidad (en
las ciudades, trabajo doméstico, construcción y otros; los hallazgos se inclinan a minería, tala
y coca). Con hallazgo: 1-4 indicadores OIT (`OIT01`-`OIT11`, ver
`config/calibration.toml`) y `victimas` ~ Binomial(trabajadores, Beta(2,3)), al menos 1.
Fecha uniforme en el año; `lat`/`lon` un punto al azar dentro del distrito.

**Víctimas y rutas (versión 2 del mundo; sorteos de una secuencia aparte, así que capas,
riesgo y hallazgos de cada semilla no cambian).** En cada inspección con víctimas:
`victimas_mujeres` ~ Binomial(victimas, p) y `victimas_menores` ~ Binomial(victimas, q), con p y
q por sector (JUICIO: el Ministerio Público cuenta 80 % mujeres y 50 % menores entre todas las
víctimas de trata 2009-2017, sobre todo de explotación sexual; en minería y tala hay más hombres,
en el trabajo doméstico casi solo mujeres y niñas). `ubigeo_origen` (distrito de captación) se
anota en el 85 % de esos registros: 35 % el mismo distrito; si no, un distrito del mismo
departamento con peso pobreza² × √población × exp(−km/250); en Loreto, para minería y tala,
los distritos de Datem del Marañón pesan 8 veces más (origen de los trabajadores indígenas
rescatados en Iquitos rumbo a los campamentos del Tigre, enero de 2026); en Cusco el 15 % viene
de Puno o Apurímac. En Loreto casi todas las víctimas son de Loreto, como dice el Ministerio
Público. El origen no eleva el riesgo de inspeccionar allí.

**Registros imperfectos.** Un 4 % de los hallazgos se anota sin indicadores y un 1 % de las
inspecciones sin hallazgo anota uno (condiciones abusivas u horas extra): son las
contradicciones con la regla de la OIT que el tablero señala como advertencias.

**Servicios (`capas/servicios.gpkg`, SIMULADOS).** Un Centro Emergencia Mujer en cada capital
de provincia y dos más en la capital del departamento; fiscalía especializada en trata, policía
contra la trata y albergue en Cusco e Iquitos, policía también en Santa Ana (Quillabamba),
Yurimaguas y Nauta. Puntos en el interior de cada distrito, no en la dirección real.

## Reproducibilidad

La misma semilla produce archivos idénticos byte a byte (`riskmap demo --seed {seed}`); otra
semilla, otro mundo.
"""


def _intro_text(seed: int, deps: str, n: int, real: bool) -> str:
    """LEEME.md's opening paragraph: what is real and what is simulated."""
    if not real:
        return (
            f"Este mundo fue generado por `riskmap demo --seed {seed} --capas simuladas` sobre "
            "los límites distritales reales\n(INEI, división actual) de "
            f"{deps}: {n} distritos. **Ninguna concesión, campamento,\ndraga, inspección ni "
            "hallazgo de esta carpeta es real.** Sirve para probar el tablero y medir\nsi un "
            "modelo recupera un riesgo conocido. Los números que lo calibran son cifras "
            "publicadas\n(DEVIDA, GeoBosques, MapBiomas, REINFO, prensa) guardadas con su "
            "fuente en\n`config/calibration.toml` del repositorio; donde la simulación usa su "
            "propio juicio, ese\narchivo lo marca como JUICIO.\n")
    return (
        f"Este mundo fue generado por `riskmap demo --seed {seed}` sobre los límites "
        f"distritales reales\n(INEI, división actual) de {deps}: {n} distritos.\n\n"
        "**Lo real.** Las capas sectoriales son datos públicos tal como se descargan (sección "
        "1): la pérdida de\nbosque de GeoBosques (MINAM) y las áreas de minería, agropecuaria "
        "y de coca del panel amazónico\n(MapBiomas Perú y DEVIDA vía Quispe et al. 2022), más "
        "la pobreza y la población del INEI y la\nlejanía calculada. Donde una fuente no "
        "cubre un distrito, el distrito queda **sin dato**, no en 0.\n\n"
        "**Lo simulado (NO SON REGISTROS REALES).** Las inspecciones y sus hallazgos, el "
        "riesgo verdadero\ndetrás de ellos y los servicios de atención a víctimas: los "
        "registros de inspección son\nconfidenciales y no hay una fuente pública de ellos. El "
        "riesgo verdadero se construye sobre las\ncapas reales (sección 2), así que el modelo "
        "se sigue juzgando contra una verdad conocida.\nLos números que calibran la "
        "simulación son cifras publicadas guardadas con su fuente en\n"
        "`config/calibration.toml`; donde la simulación usa su propio juicio, ese archivo lo "
        "marca\ncomo JUICIO.\n")


def _layers_section(world: _World, layers: Mapping[str, gpd.GeoDataFrame],
                    public: _Public | None) -> str:
    """LEEME.md's section 1: the sector layers, real or simulated."""
    if public is None:
        rows = "\n".join(
            f"| `{s.name}` | {s.sector} | {s.measure}{' por ' + s.per if s.per else ''} | "
            f"{len(layers[s.name]):,} | {s.description} |" for s in DEMO_LAYERS)
        return f"""## 1. Capas sectoriales (SIMULADAS)

| capa | sector | medida | elementos | descripción |
|---|---|---|---|---|
{rows}

- **Concesiones mineras**: rectángulos norte-sur de 100-1,000 ha (como las cuadrículas de
  INGEMMET), recortados al distrito, hasta cubrir una proporción por provincia o distrito
  (JUICIO: alta en Chumbivilcas y Espinar, Camanti, Marcapata, Ccarhuayo; casi nula en Loreto).
{_HIDDEN_TEXT}- **Concesiones forestales y campamentos de tala**: en proporción a la pérdida de
  bosque 2020-2024 de GeoBosques (un campamento por cada 150 ha perdidas atribuibles a la tala); la
  mitad de los campamentos dentro de las concesiones simuladas.
- **Agricultura**: bloques irregulares que suman el área agropecuaria de MapBiomas 2020 en los
  distritos amazónicos; en los andinos, una proporción Beta(media 12 %).
- **Coca**: zonas de 15-120 ha agrupadas, que suman las hectáreas DEVIDA 2020 de cada
  distrito, escaladas al total departamental de 2024 (Cusco 14,493 ha; Loreto 12,409 ha).

Todos los polígonos están recortados a su distrito y son válidos.

"""
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
    return f"""## 1. Capas sectoriales (REALES)

| capa | fuente | años | unidad | distritos con dato | donde la fuente no dice nada |
|---|---|---|---|---|---|
{rows}

Las capas se leen de los archivos públicos tal como `riskmap data fetch` los descarga, con las
recetas `config/recetas/geobosques_distrital.toml` y `config/recetas/panel_amazonia.toml` del
repositorio (licencia y cita en la tabla `fuentes` de `distritos.gpkg` y en cada exportación).
Cada capa guarda además su estado año por año (`capas_por_anio`): cada inspección se lee con
las capas de su año. El repositorio que las publica no tiene licencia: riskmap las descarga en
la máquina de quien lo usa y nunca las redistribuye.
{dated}
## 1b. Lo que ninguna capa pública muestra (SIMULADO, oculto)

El riesgo verdadero incluye dos componentes simulados que el modelo no ve (ninguna capa pública
de aquí los registra; solo los registros de inspección los delatan):

{_HIDDEN_TEXT}
Y donde una fuente no cubre un distrito, la verdad usa un valor **oculto** (columna
`oculto_<capa>` = 1 en `verdad.csv`; JUICIO, `config/calibration.toml`): sin coca en los Andes
(las zonas de coca de DEVIDA en Cusco, La Convención, Lares y Kosñipata, están en el panel);
minería según las concesiones de cada provincia (las grandes minas de Espinar y Chumbivilcas);
el área agropecuaria, un valor que el panel da en un distrito de la misma región natural. El
modelo no lo ve: deja ese término fuera y aprende de los registros qué dice no tener dato.

"""


#: The informal-mining fronts and dredges, as LEEME.md describes them.
_HIDDEN_TEXT = """\
- **Minería informal**: puntos agrupados en quebradas, con el número esperado por distrito de
  la calibración (Camanti, Marcapata, Chumbivilcas, Ccarhuayo, Kosñipata…; ~la mitad de los
  697 REINFO vigentes de Cusco).
- **Dragas**: puntos a lo largo de un cauce aproximado (una línea sinuosa simulada que cruza el
  distrito, no el trazo real del río) en Alto Nanay, San Juan Bautista (Nanay), Napo, Torres
  Causana, Mazán, Indiana, Las Amazonas, Tigre, Trompeteros, Urarinas y Putumayo: más de 45 en
  el Nanay, como el sobrevuelo de 2025.
"""


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
             f"(media 0, desviación típica 1) y limitados a ±{Z_CAP:g};")
    return f"""`riesgo_verdadero` es la probabilidad de que una inspección en el distrito encuentre
indicadores de trabajo forzoso. {moves}

    logit(p) = intercepto + Σ coef_f · z_f + u

{z}
- `u ~ Normal(0, {cal['verdad']['sd_efecto_aleatorio']})`: efecto propio del distrito que
  ninguna variable explica;
- `intercepto = {truth.intercept:.4f}`, resuelto para que la tasa de hallazgo esperada sobre
  las inspecciones simuladas sea {conf['tasa_hallazgo_objetivo']:.0%}.
"""


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
            f"que tenían un riesgo bajo la mediana: su logit verdadero sube {kind.drift_logit:g} "
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
            f"El {kind.complaint_share:.0%} de las inspecciones nace de denuncias, y las "
            f"denuncias siguen al riesgo con potencia {kind.complaint_power:g}.")
    if kind.volume_factor != 1.0:
        lines.append(f"Volumen de inspecciones: {kind.volume_factor:g} veces el calibrado.")
    return "\n".join(lines) + "\n"
