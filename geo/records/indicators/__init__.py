r"""The ILO indicators in inspection records: classification, profiles, co-occurrence, routes.

The 20th ICLS guidelines (2018) count work as **forced labour** when it is both
*involuntary* and under *threat or menace of penalty*. ``config/indicadores_oit.toml``
maps each of the 11 ILO indicators (ILO 2012) to its dimension(s), with the paragraph of
the guidelines it rests on. With that table every record gets a class:

================  ===========================================================
``trabajo_forzoso``  at least one indicator of each dimension was found
``indicios``         some indicators, not of both dimensions
``sin_indicios``     no indicator recorded
================  ===========================================================

A record is **inconsistent** when its ``hallazgo_tf`` says otherwise (``1`` with no
indicator, ``0`` with indicators): a warning at import, never an error (the inspector
judges), and counted in every profile.

Examples
--------
>>> table = load_table()
>>> classify("engano;intimidacion_amenazas", table)
'trabajo_forzoso'
>>> classify("engano", table), classify("", table)
('indicios', 'sin_indicios')
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
