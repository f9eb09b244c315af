r"""The ILO indicators in inspection records: classification, profiles, co-occurrence, routes.

Each record's class under the 20th ICLS guidelines (2018) comes from
:mod:`geo.records.classification` (re-exported here); :mod:`.tables` makes the profiles,
co-occurrence and routes a role may see, :mod:`.department` every table of one department a
protected role receives, suppressed together.

Examples
--------
>>> table = load_table()
>>> classify("engano;intimidacion_amenazas", table)
'trabajo_forzoso'
"""

from __future__ import annotations

from geo.records.classification import (
    CLASE_OIT,
    CLASES,
    DIMENSIONES,
    INCONSISTENTE,
    INDICIOS,
    SIN_INDICIOS,
    TABLE_FILE,
    TRABAJO_FORZOSO,
    IndicatorTable,
    classify,
    classify_records,
    inconsistent,
    load_table,
)
from geo.records.contract import (
    ANIO,
    BY_OPTIONS,
    N_INCONSISTENTES,
    N_INDICIOS,
    N_RUTA,
    N_TF_OIT,
    N_VICTIMAS,
    N_VICTIMAS_MENORES,
    N_VICTIMAS_MUJERES,
)
from geo.records.indicators.department import (
    DISTRICT_EXTRA,
    WITHHELD,
    DepartmentTables,
    coarsen,
    protected_classes,
    protected_cooccurrence,
    protected_counts,
    protected_profile,
    protected_routes,
    protected_tables,
    round_total,
)
from geo.records.indicators.tables import (
    cooccurrence,
    count_columns,
    profiles,
    protected_matrix,
    routes,
    small_cells,
    suppress,
    suppress_routes,
    wilson,
)

__all__ = [
    "ANIO",
    "BY_OPTIONS",
    "CLASES",
    "CLASE_OIT",
    "DIMENSIONES",
    "DISTRICT_EXTRA",
    "DepartmentTables",
    "INCONSISTENTE",
    "INDICIOS",
    "IndicatorTable",
    "N_INCONSISTENTES",
    "N_INDICIOS",
    "N_RUTA",
    "N_TF_OIT",
    "N_VICTIMAS",
    "N_VICTIMAS_MENORES",
    "N_VICTIMAS_MUJERES",
    "SIN_INDICIOS",
    "TABLE_FILE",
    "TRABAJO_FORZOSO",
    "WITHHELD",
    "classify",
    "classify_records",
    "coarsen",
    "cooccurrence",
    "count_columns",
    "inconsistent",
    "load_table",
    "profiles",
    "protected_classes",
    "protected_cooccurrence",
    "protected_counts",
    "protected_matrix",
    "protected_profile",
    "protected_routes",
    "protected_tables",
    "round_total",
    "routes",
    "small_cells",
    "suppress",
    "suppress_routes",
    "wilson",
]
