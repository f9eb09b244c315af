"""The world's ``settings.toml``: its layers, model and plan, filled into a template."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from geo.world.features import BASE_FEATURES, DEMO_LAYERS, REAL_RECIPES
from geo.world.folder import _relative
from geo.world.services import SERVICES_LAYER


def _toml_str(value: str) -> str:
    """Quote a TOML basic string (JSON escapes are valid TOML).

    >>> print(_toml_str("Intendencia Cusco"))
    "Intendencia Cusco"
    """
    return json.dumps(value, ensure_ascii=False)


def _settings_text(base: Path, out: Path, region: tuple[str, ...], cal: Mapping[str, Any],
                   seed: int, *, real: Sequence[Mapping[str, Any]] = (),
                   simulated: Sequence[str] = (), dated: tuple[str, ...] = ()) -> str:
    """Write the demo's settings.toml: its real layers (``real``), simulated ones, model, plan."""
    base_ref = _relative(base, out)
    prior = cal["prior_experto"]
    if real:
        header = [
            "# Mundo de demostración escrito por `riskmap demo --seed " + str(seed) + "`.",
            "# Las capas sectoriales son REALES (fuentes públicas descargadas por 'riskmap data",
            "# fetch', ver LEEME.md); las inspecciones, el riesgo verdadero y los servicios son",
            "# SIMULADOS — NO SON REGISTROS REALES. Las claves se documentan en",
            "# config/settings.toml del repositorio.",
        ]
    else:
        header = [
            "# DATOS SIMULADOS — NO SON REGISTROS REALES.",
            f"# Configuración del mundo simulado escrita por `riskmap demo --seed {seed} "
            "--capas simuladas`.",
            "# Cada capa y cada inspección de esta carpeta es simulada (ver LEEME.md). Las claves",
            "# se documentan en config/settings.toml del repositorio.",
        ]
    lines = [
        *header,
        "",
        "config_version = 1",
        "",
        "[data]",
        f"base = {_toml_str(base_ref)}  # peru_base.gpkg (riskmap data fetch), relativo a esta "
        "carpeta",
        'workdir = "."                   # distritos.gpkg y riesgo.gpkg se escriben aquí',
        f"region = [{', '.join(_toml_str(r) for r in region)}]",
        'inspections = "inspecciones.csv"  # inspecciones SIMULADAS 2016-2025',
        'truth = "verdad.csv"              # riesgo verdadero simulado, para evaluar modelos',
        "simulated = true                  # los registros son simulados",
        "",
        "[auth]",
        '# Sin inicio de sesión: solo se permite porque los datos son simulados. Con registros',
        '# reales use mode = "local" (cuentas con `riskmap users add`) u "oidc".',
        'mode = "none"',
        'demo_role = "planificador"  # qué ve el visitante de la demostración',
        "",
    ]
    if real:
        lines += ["# Capas REALES, tal como las leen config/recetas/"
                  + " y ".join(REAL_RECIPES) + " (rutas relativas a esta carpeta).", ""]
        lines += [tomli_w.dumps({"layers": [{k: v for k, v in e.items() if not k.startswith("_")}
                                            for e in real]}).rstrip("\n"), ""]
    for spec in DEMO_LAYERS:
        if spec.name not in simulated:
            continue
        lines += [
            "[[layers]]",
            f"name = {_toml_str(spec.name)}",
            f"sector = {_toml_str(spec.sector)}",
            f"path = {_toml_str(f'capas/{spec.name}.gpkg')}",
            f"layer = {_toml_str(spec.name)}",
            f"measure = {_toml_str(spec.measure)}",
        ]
        if spec.name in dated:
            lines.append('year_column = "anio"  # el año de cada elemento: la capa de cada año')
        if spec.per:
            lines.append(f"per = {_toml_str(spec.per)}")
        lines += [f"description = {_toml_str(spec.description)}", "simulated = true", ""]
    lines += [
        "[[layers]]  # servicios de atención a víctimas: no es una variable del modelo",
        f"name = {_toml_str(SERVICES_LAYER)}",
        'kind = "servicios"',
        f"path = {_toml_str(f'capas/{SERVICES_LAYER}.gpkg')}",
        f"layer = {_toml_str(SERVICES_LAYER)}",
        'column = "tipo"  # cem, fiscalia_trata, policia, albergue',
        'description = "Servicios de atención a víctimas (SIMULADOS: CEM en cada capital de '
        'provincia, fiscalías de trata, policía y albergues en algunas ciudades)"',
        "simulated = true",
        "",
    ]
    features = ", ".join(_toml_str(f) for f in BASE_FEATURES)
    names = [e["name"] for e in real] + [n for n in simulated] + list(BASE_FEATURES)
    prior_items = ", ".join(f"{k} = {float(prior[k])!r}" for k in names if k in prior)
    lines += ["[model]", f"features = [{features}]"]
    if real:
        lines += [
            "# Hectáreas: pocas muy grandes decidirían la estandarización; el modelo las lee",
            "# como log(1 + ha). Un distrito sin dato público deja fuera ese término (falta_*).",
            f"log_features = [{', '.join(_toml_str(e['name']) for e in real)}]",
        ]
    lines += [
        "# Prior experto (juicio tipo MIRTI, hecho con las capas oficiales: sobrepondera la",
        "# minería formal cartografiada, la agricultura y la pobreza; no ve dragas ni lejanía).",
        "# NO son los coeficientes ocultos del mundo simulado; ver LEEME.md y",
        "# config/calibration.toml.",
        f"prior = {{ {prior_items} }}",
        "prior_strength = 10.0  # precisión MÁXIMA del prior (sd 0.3); la eligen los datos",
        "min_inspections = 3",
        "n_bootstrap = 200",
        "seed = 0",
        "",
        "[planning]",
        "exploration_share = 0.15",
        "max_trip_days = 14  # los viajes por río de Loreto duran hasta dos semanas",
        "days_per_inspection = 2",
        "seed = 0",
        "",
    ]
    for office in cal["oficinas"]:
        if office["department"] not in region:
            continue
        lines += [
            "[[planning.offices]]",
            f"name = {_toml_str(office['name'])}",
            f"lat = {float(office['lat'])!r}",
            f"lon = {float(office['lon'])!r}",
            f"capacity_days = {float(office['capacity_days'])!r}",
            f"department = {_toml_str(office['department'])}",
            "",
        ]
    for flight in cal.get("vuelos", []):
        if flight.get("department") and flight["department"] not in region:
            continue
        lines += [
            "[[planning.flights]]",
            f"from = {_toml_str(flight['from'])}",
            f"to = {_toml_str(flight['to'])}",
            f"days = {float(flight['days'])!r}",
            f"per_week = {float(flight['per_week'])!r}",
            f"cost = {float(flight['cost'])!r}",
            "",
        ]
    return "\n".join(lines)
