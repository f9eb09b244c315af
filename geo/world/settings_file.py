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
from geo.world.templates import fill


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
    prior = cal["prior_experto"]
    names = [e["name"] for e in real] + [n for n in simulated] + list(BASE_FEATURES)
    return fill(
        "settings.toml",
        header=fill("cabecera_reales.toml" if real else "cabecera_simuladas.toml", seed=seed),
        base=_toml_str(_relative(base, out)),
        region=", ".join(_toml_str(r) for r in region),
        layers=_real_layers(real) + _simulated_layers(simulated, dated),
        services=_toml_str(SERVICES_LAYER),
        services_path=_toml_str(f"capas/{SERVICES_LAYER}.gpkg"),
        features=", ".join(_toml_str(f) for f in BASE_FEATURES),
        log_features=_lines([
            "# Hectáreas: pocas muy grandes decidirían la estandarización; el modelo las lee",
            "# como log(1 + ha). Un distrito sin dato público deja fuera ese término (falta_*).",
            f"log_features = [{', '.join(_toml_str(e['name']) for e in real)}]",
        ]) if real else "",
        prior_items=", ".join(f"{k} = {float(prior[k])!r}" for k in names if k in prior),
        places="".join("\n\n" + "\n".join(block) for block in _places(cal, region)),
    )


def _lines(lines: Sequence[str]) -> str:
    """Join lines of the file, each ended by a line break."""
    return "".join(f"{line}\n" for line in lines)


def _real_layers(real: Sequence[Mapping[str, Any]]) -> str:
    """Write the ``[[layers]]`` of the real recipes, as the recipes give them."""
    if not real:
        return ""
    return _lines([
        "# Capas REALES, tal como las leen config/recetas/" + " y ".join(REAL_RECIPES)
        + " (rutas relativas a esta carpeta).", "",
        tomli_w.dumps({"layers": [{k: v for k, v in e.items() if not k.startswith("_")}
                                  for e in real]}).rstrip("\n"), ""])


def _simulated_layers(simulated: Sequence[str], dated: tuple[str, ...]) -> str:
    """Write the ``[[layers]]`` of the simulated layers written to ``capas/``."""
    lines: list[str] = []
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
    return _lines(lines)


def _places(cal: Mapping[str, Any], region: tuple[str, ...]) -> list[list[str]]:
    """List the ``[[planning.offices]]`` and ``[[planning.flights]]`` of the region."""
    blocks = []
    for office in cal["oficinas"]:
        if office["department"] not in region:
            continue
        blocks.append([
            "[[planning.offices]]",
            f"name = {_toml_str(office['name'])}",
            f"lat = {float(office['lat'])!r}",
            f"lon = {float(office['lon'])!r}",
            f"capacity_days = {float(office['capacity_days'])!r}",
            f"department = {_toml_str(office['department'])}",
        ])
    for flight in cal.get("vuelos", []):
        if flight.get("department") and flight["department"] not in region:
            continue
        blocks.append([
            "[[planning.flights]]",
            f"from = {_toml_str(flight['from'])}",
            f"to = {_toml_str(flight['to'])}",
            f"days = {float(flight['days'])!r}",
            f"per_week = {float(flight['per_week'])!r}",
            f"cost = {float(flight['cost'])!r}",
        ])
    return blocks
