"""The arguments of ``riskmap plan``; what it does: :mod:`dashboard.commands.plan`."""

from __future__ import annotations

import argparse

from dashboard.arguments import handler

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap plan``."""
    p = subparsers.add_parser(
        "plan",
        help="plan mensual de inspecciones / monthly inspection plan",
        description=(
            "Elige los viajes de inspección del mes que maximizan los hallazgos esperados con "
            "los días inspector de cada oficina, agrupa distritos cercanos en un viaje, reserva "
            "una parte para distritos sorteados con evidencia insuficiente y compara con el plan "
            "simple (los distritos de mayor riesgo hasta agotar los días)."
        ),
    )
    p.add_argument("--config", help="archivo de configuración (por defecto el de la demo)")
    p.add_argument("--scores", help="puntajes de 'riskmap score' (por defecto riesgo.gpkg "
                   "del directorio de trabajo)")
    p.add_argument("--budget", help="días inspector del mes POR OFICINA: un número (el mismo "
                   "para cada oficina) o una lista separada por comas en el orden de "
                   "[[planning.offices]] (por defecto capacity_days de cada oficina). Cada día "
                   "de un viaje, de traslado o de inspección, gasta un día inspector: un viaje "
                   "de 10 días gasta 10 (para equipos de dos, dé el doble de días) / "
                   "inspector-days of the month PER OFFICE; every day of a trip, travelling "
                   "or inspecting, uses one")
    p.add_argument("--exploration", type=float, default=None,
                   help="proporción de días para exploración aleatoria (por defecto 0.15)")
    p.add_argument("--seed", type=int, default=None, help="semilla del sorteo de exploración")
    p.add_argument("--max-trip-days", type=float, default=None,
                   help="duración máxima de un viaje en días (por defecto 10)")
    p.add_argument("--days-per-inspection", type=float, default=None,
                   help="días por inspección en el distrito (por defecto 2)")
    p.add_argument("--travel", help="tabla de viajes CSV: ubigeo, dias_viaje (ida) y "
                   "opcionalmente oficina; reemplaza la estimación")
    p.add_argument("--out", help="escribir el plan como CSV, o XLSX si termina en .xlsx "
                   "(una fila por distrito)")
    p.add_argument("--html", help="escribir el plan como página HTML imprimible en A4: portada "
                   "(con el número de páginas), una página por oficina (mapa, leyenda, tramos) "
                   "y la ficha de campo de cada distrito")
    p.add_argument("--rol", default="planificador",
                   choices=("planificador", "gobierno_regional", "investigador"),
                   help="rol de quien recibe las fichas de campo (por defecto 'planificador', "
                   "el de quien prepara el plan); otro rol recibe los conteos de indicadores "
                   "suprimidos y ninguna cifra del historial")
    p.add_argument("--month", help="mes del plan, AAAA-MM (por defecto el mes siguiente)")
    p.set_defaults(func=handler("plan.run"))
