"""The plan's own column names and trip kinds (the shared columns come from geo.columns).

A leaf module: the planner, its tables and the printable page all name the same columns.
"""

__all__ = [
    "COSTO", "DIAS", "DIAS_IDA", "DIAS_INSPECCION", "DIAS_VIAJE", "DISTRITOS", "FUENTE_VIAJE",
    "HALLAZGOS", "HALLAZGOS_DIA", "HALLAZGOS_P05", "HALLAZGOS_P95", "MODOS", "MOTIVO",
    "N_DISTRITOS", "OFICINA", "ORDEN", "TIPO", "TIPO_EXPLORACION", "TIPO_INGENUO", "TIPO_PLAN",
    "TRAMOS", "UBIGEOS", "VIAJE",
]

VIAJE = "viaje"
OFICINA = "oficina"
TIPO = "tipo"
ORDEN = "orden"
MOTIVO = "motivo"
DIAS = "dias"
DIAS_VIAJE = "dias_viaje"
DIAS_IDA = "dias_ida"
DIAS_INSPECCION = "dias_inspeccion"
N_DISTRITOS = "n_distritos"
DISTRITOS = "distritos"
UBIGEOS = "ubigeos"
HALLAZGOS = "hallazgos_esperados"
HALLAZGOS_P05 = "hallazgos_p05"
HALLAZGOS_P95 = "hallazgos_p95"
HALLAZGOS_DIA = "hallazgos_por_dia"
FUENTE_VIAJE = "fuente_viaje"
MODOS = "modos"  # the modes a trip uses: carretera, río, trocha, avión
TRAMOS = "tramos"  # each leg: mode, from, to, days
COSTO = "costo_soles"  # estimated cost of the trip's travel (models.planning.network)
TIPO_PLAN = "optimizado"
TIPO_EXPLORACION = "exploracion"
TIPO_INGENUO = "ingenuo"
