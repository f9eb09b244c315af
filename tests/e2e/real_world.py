"""A small world with REAL public table layers, some of whose districts have no value.

Issue 20's dashboard tests need a table layer with districts a source is silent about
(NaN in ``distritos.gpkg``, listed in the scores' ``sin_dato``). Until the default demo
world reads the real layers, :func:`write_real_world` makes one from any demo world: its
settings, plus

- ``mineria``: hectares of mining in 2020 from the Amazon district panel as downloaded
  (``deforestation_dataset_PERU.csv``, MapBiomas via Quispe et al. 2022): the panel names
  22 of Cusco's 116 districts, so the Andean ones have no value;
- ``perdida_bosque``: forest loss 2020–2024 from GeoBosques as downloaded, 0 with a reason
  where GeoBosques lists no Amazon forest (``missing = "zero"``),

replacing demo layers of the same names (the lead's demo may already carry them), built
for Cusco alone with ``riskmap build`` and scored with ``riskmap score`` in a child process,
as a user would. Both the AppTest tests and the browser tests use it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import tomli_w

REPO = Path(__file__).resolve().parents[2]
PANEL = "xgboost_deforestation_deforestation_dataset_PERU.csv"
GEOBOSQUES = "xgboost_deforestation_Bosque_y_perdida_de_bosques_por_Distrito_al_2024_curated.csv"
#: The table layers this world adds, as docs/CAPAS_REALES.md §4 declares them.
REAL_LAYERS = [
    {"name": "mineria", "sector": "mineria", "path": PANEL, "measure": "value",
     "panel_year": "YEAR", "year": 2020, "column": "Minería", "unit": "ha",
     "missing": "nan", "source": "MapBiomas Perú vía Quispe et al. (2022)",
     "description": "Minería 2020 (MapBiomas Perú, panel de Quispe et al. 2022), hectáreas",
     "license": "sin licencia en el repositorio; datos de MapBiomas Perú vía Quispe et al. "
                "(2022)",
     "citation": "Quispe et al. (2022), columna Minería de MapBiomas Perú"},
    {"name": "perdida_bosque", "sector": "tala", "path": GEOBOSQUES, "measure": "value",
     "column": "{year}_ha", "years": [2020, 2024], "combine": "sum", "unit": "ha",
     "missing": "zero",
     "missing_reason": "GeoBosques vigila el bosque húmedo amazónico: un distrito que no "
                       "figura no tiene ese bosque",
     "source": "GeoBosques (MINAM)",
     "description": "Pérdida de bosque húmedo amazónico 2020-2024 (GeoBosques, MINAM), "
                    "hectáreas",
     "license": "datos públicos del Estado peruano: MINAM, GeoBosques",
     "citation": "MINAM, GeoBosques: bosque y pérdida de bosques por distrito, 2001-2024"},
]
#: A Cusco district of the panel (Camanti, Quispicanchi: 919.08 ha of mining in 2020) and
#: one it does not name (Cusco, Cusco: no mining value; 0 ha of forest loss, with reason).
IN_PANEL, NOT_IN_PANEL = "081203", "080101"
#: Cusco's two largest forest losses (La Convención: Megantoni, 5,539.86 ha in 2020–2024,
#: and Echarate, whose past five-year windows reached 8,036 ha), left uninspected in this
#: world: both are then beyond the learnt range.
UNINSPECTED = ("080914", "080902")


def write_real_world(demo_settings: Path, upstream: Path, out: Path,
                     uninspected: tuple[str, ...] = UNINSPECTED) -> Path:
    """Write the settings of the real-layer world into ``out`` and return their path.

    Relative paths of the demo settings are made absolute (the demo's layers and base stay
    where they are); ``workdir`` is ``out``, the region Cusco, whose inspections and truth
    are copied there. The districts ``uninspected`` lose their inspection records: those
    with Cusco's largest forest losses are then beyond what the inspected districts span,
    and the model scores them at the edge of the learnt range (``fuera_rango``).
    """
    demo_settings = Path(demo_settings).resolve()
    raw = tomllib.loads(demo_settings.read_text(encoding="utf-8"))
    here = demo_settings.parent
    out.mkdir(parents=True, exist_ok=True)
    data = raw.setdefault("data", {})
    if "base" in data:
        data["base"] = _absolute(here, data["base"])
    data["store"] = str(out.resolve() / "inspecciones.sqlite")  # its own, empty store
    for key in ("inspections", "truth"):  # Cusco's rows only: the others name no district
        if key in data:
            drop = uninspected if key == "inspections" else ()
            data[key] = str(_cusco_rows(Path(_absolute(here, data[key])), out, drop))
    data["workdir"] = str(out.resolve())
    data["region"] = ["08"]
    mine = {layer["name"] for layer in REAL_LAYERS}
    layers = []
    for layer in raw.get("layers", []):
        if layer["name"] in mine:
            continue
        layer = dict(layer)
        layer["path"] = _absolute(here, layer["path"])
        if "paths" in layer:
            layer["paths"] = [_absolute(here, p) for p in layer["paths"]]
        layers.append(layer)
    for layer in REAL_LAYERS:
        layers.append({**layer, "path": str((upstream / layer["path"]).resolve())})
    raw["layers"] = layers
    model = raw.setdefault("model", {})
    model["n_bootstrap"] = min(int(model.get("n_bootstrap", 50)), 50)  # a test, not a study
    model["log_features"] = sorted({*model.get("log_features", []), *mine})
    path = out / "settings.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def build_and_score(settings: Path, env: dict[str, str] | None = None) -> None:
    """Run ``riskmap build`` and ``riskmap score`` on ``settings``, as a user would."""
    env = {**os.environ, **(env or {})}
    folder = settings.parent
    for args in (["build", "--config", str(settings), "--out", str(folder / "distritos.gpkg")],
                 ["score", "--config", str(settings), "--out", str(folder / "riesgo.gpkg")]):
        done = subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"riskmap {args[0]} failed ({done.returncode}):\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def _cusco_rows(path: Path, out: Path, drop: tuple[str, ...] = ()) -> Path:
    import pandas as pd

    table = pd.read_csv(path, dtype={"ubigeo": str})
    codes = table["ubigeo"].astype(str).str.zfill(6)
    table = table[(codes.str[:2] == "08") & ~codes.isin(drop)]
    target = out / path.name
    table.to_csv(target, index=False)
    return target


def _absolute(folder: Path, value: str) -> str:
    if str(value).startswith("{"):  # {fuentes}/…: resolved by geo.config from the data folder
        return value
    path = Path(value)
    return str(path if path.is_absolute() else (folder / path).resolve())
