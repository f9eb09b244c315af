"""``riskmap indicators``: the ILO indicator profile of the records, by district or sector."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.errors import tr

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap indicators``."""
    from geo.records.indicators import BY_OPTIONS

    p = subparsers.add_parser(
        "indicators",
        help="perfil de indicadores OIT por grupo / ILO indicator profiles",
        description=(
            "Cuenta, por distrito, provincia, sector o año, las inspecciones en que se halló "
            "cada uno de los 11 indicadores de trabajo forzoso de la OIT, y clasifica cada "
            "registro con la regla de la CIET 2018 (trabajo forzoso = involuntariedad y "
            "amenaza; indicios = algunos indicadores; config/indicadores_oit.toml). Columnas: "
            "n_inspecciones, un código por indicador, n_trabajo_forzoso_oit, n_indicios, "
            "n_inconsistentes (hallazgo_tf contradice los indicadores), n_victimas, "
            "n_victimas_mujeres, n_victimas_menores. Fuera del rol planificador los conteos "
            "de 1 a k-1 se suprimen (celda vacía; la columna 'suprimido' dice cuáles) con "
            "supresión secundaria común a todas las tablas que ese rol puede obtener "
            "(distritos, provincias, sectores, años, totales, páginas y exportaciones), "
            "comprobada con el programa entero de un atacante; no se dan n_inconsistentes "
            "ni, salvo por distrito, n_inspecciones, y el total de inspecciones del resumen "
            "va redondeado a 5."
        ),
    )
    p.add_argument("--config", help="archivo de configuración (por defecto el de la demo)")
    p.add_argument("--by", default="ubigeo", choices=BY_OPTIONS,
                   help="agrupar por distrito (ubigeo), provincia, sector o año (anio)")
    p.add_argument("--out", required=True, type=Path, help="archivo CSV de salida")
    p.add_argument("--rol", default=None,
                   choices=("planificador", "gobierno_regional", "investigador"),
                   help="rol para quien es el archivo (por defecto 'investigador', el de menos "
                   "permisos): fuera de 'planificador' los conteos pequeños se suprimen")
    p.add_argument("--region", default=None,
                   help="departamentos (cusco, loreto o códigos '08,16'); por defecto los de "
                   "la configuración")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from geo import columns as C
    from geo import paths
    from geo.config import load_settings, parse_region
    from geo.geography.base import read_districts
    from geo.private import private_path, write_private
    from geo.records.indicators import protected_profile, round_total
    from geo.records.inspections import load_records
    from geo.records.sheets import csvt, neutralise_frame
    from geo.records.store import ROL_INVESTIGADOR, ROL_PLANIFICADOR, InspectionStore, operator
    from geo.trust.access import floor, in_regions

    settings = load_settings(args.config or paths.default_settings())
    role = args.rol or ROL_INVESTIGADOR
    k = floor(role, settings.auth.suppression)
    region = parse_region(args.region) if args.region else settings.region
    districts = pd.DataFrame(read_districts(settings.base, region))
    store = settings.store_path  # the export is audited there, in a new store if need be
    records = in_regions(load_records(settings, store if store.is_file() else False,
                                      user=operator()), region)
    out = protected_profile(records, args.by, districts, k,
                            aggregate_role=role != ROL_PLANIFICADOR)
    if args.by == C.UBIGEO:
        names = districts[[C.UBIGEO, C.DISTRITO, C.PROVINCIA]].astype(str)
        out = names.merge(out, on=C.UBIGEO, how="right")
    with private_path(args.out) as tmp:  # counts (exact for a planner): owner-only, 0600
        neutralise_frame(out).to_csv(tmp, index=False, encoding="utf-8-sig",
                                     lineterminator="\n")
    # GDAL reads each column's type from a .csvt beside the CSV: codes stay text ("0801")
    write_private(args.out.with_suffix(".csvt"), csvt(out))
    InspectionStore(store, role=role, user=operator()).record_event(
        "exportacion_indicadores", {"archivo": args.out.name, "por": args.by, "umbral": k,
                                    "filas": len(out)})
    hidden = int(out["suprimido"].ne("").sum())
    # the number of records, for a protected role, only to 5: said before and after one
    # import it would tell how many records the import added (geo.records.indicators.round_total)
    n_records = (f"{len(records)}" if k <= 1 else f"~{round_total(len(records))}")
    print(tr(
        f"{len(out)} filas (por {args.by}) de {n_records} inspecciones escritas en "
        f"{args.out}. Rol {role}: "
        + ("conteos exactos." if k <= 1 else
           f"conteos de 1 a {k - 1} suprimidos en {hidden} filas.")
        + (" DATOS SIMULADOS." if settings.simulated else ""),
        f"{len(out)} rows (by {args.by}) from {n_records} inspections written to "
        f"{args.out}. Role {role}: "
        + ("exact counts." if k <= 1 else f"counts from 1 to {k - 1} suppressed in {hidden} "
           "rows.")
        + (" SIMULATED DATA." if settings.simulated else ""),
    ))
    return 0
