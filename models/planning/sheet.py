"""The plan as a spreadsheet: its rows, each column described, its inputs, in one XLSX.

The same rows as the plan's CSV (:meth:`models.planning.plan.Plan.export_table`), written by
:mod:`geo.records.workbook`: UBIGEO stays text, counts and the stop's order are integers,
risks percent, days and findings numbers; the sheet ``metadatos`` describes every column (in
the current language), says SIMULADO where it applies, and holds the plan's inputs (each
office's inspector-days, the exploration share and seed, the trip limits), its summary by
office and its warnings. The command line (``riskmap plan --out plan.xlsx``) and the
Planificación page write the same cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo import columns as C
from geo.messages import t
from geo.records.workbook import workbook_bytes

__all__ = ["PERCENT", "SHEET", "plan_metadata", "plan_xlsx"]

#: The data sheet of a plan's XLSX.
SHEET = "plan"
#: The plan's columns that are probabilities (shown as percent).
PERCENT = (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95)


def plan_xlsx(plan: Any, simulated: bool = False) -> bytes:
    """Return ``plan`` (a :class:`models.planning.plan.Plan`) as XLSX bytes."""
    table = plan.export_table(simulated)
    return workbook_bytes(table, plan_metadata(plan, table, simulated), sheet=SHEET,
                          percent=PERCENT)


def plan_metadata(plan: Any, table: pd.DataFrame, simulated: bool) -> dict[str, Any]:
    """Return what a plan's file says about itself: columns, inputs, summary, warnings."""
    spec = plan.spec
    return {
        "simulado": bool(simulated),
        "descripcion_columnas": {col: t(f"hoja.plan.{col}") if _known(col)
                                 else col.replace("_", " ") for col in table.columns},
        "metodo": t("hoja.plan.metodo"),
        "proporcion_exploracion": float(spec.exploration_share),
        "semilla_exploracion": spec.seed,
        "max_dias_viaje": float(spec.max_trip_days),
        "dias_por_inspeccion": float(spec.days_per_inspection),
        "brecha_optimalidad": float(plan.gap),
        "advertencias": plan.messages(),
        "licencia_riskmap": "GPL-3.0-or-later",
        "resumen_por_oficina": [
            {k: _plain(v) for k, v in row.items()}
            for row in plan.summary.to_dict(orient="records")],
    }


_COLUMNS = ("simulado", "viaje", "oficina", "tipo", "orden", C.UBIGEO, C.DISTRITO, C.PROVINCIA,
            C.DEPARTAMENTO, C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.EVIDENCIA, C.N_INSPECCIONES,
            "dias_ida", "fuente_viaje", "motivo", "dias_del_viaje", "hallazgos_del_viaje",
            "hallazgos_p05_del_viaje", "hallazgos_p95_del_viaje", "hallazgos_por_dia_del_viaje",
            "tramos_del_viaje", "costo_del_viaje_soles")


def _known(col: str) -> bool:
    return col in _COLUMNS


def _plain(value: Any) -> Any:
    """Return a summary value as plain JSON (numpy numbers as Python's, rounded)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 4)
    return value
