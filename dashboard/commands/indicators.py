"""``riskmap indicators``: the ILO indicator profile of the records, by district or sector."""

from __future__ import annotations

import argparse

import pandas as pd

from dashboard.arguments.indicators import register
from geo import paths
from geo.config import load_settings, parse_region
from geo.geography.base import read_districts
from geo.messages import t
from geo.records.indicators import protected_profile, round_total
from geo.records.indicators.export import profile_table, write_profile
from geo.records.inspections import load_records
from geo.records.store import ROL_INVESTIGADOR, ROL_PLANIFICADOR, InspectionStore, operator
from geo.trust.access import floor, in_regions

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap indicators``: write the ILO indicator profile, protected for the role."""
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
    out = profile_table(out, args.by, districts)
    # counts (exact for a planner): owner-only; a CSV with its .csvt for GDAL (codes stay
    # text: "0801"), an .xlsx for a spreadsheet (typed cells, sheet "metadatos")
    write_profile(args.out, out, args.by, k, settings.simulated,
                  protected=role != ROL_PLANIFICADOR)
    InspectionStore(store, role=role, user=operator()).record_event(
        "exportacion_indicadores", {"archivo": args.out.name, "por": args.by, "umbral": k,
                                    "filas": len(out)})
    hidden = int(out["suprimido"].ne("").sum())
    # the number of records, for a protected role, only to 5: said before and after one
    # import it would tell how many records the import added (geo.records.indicators.round_total)
    n_records = (f"{len(records)}" if k <= 1 else f"~{round_total(len(records))}")
    print(t("cli.indicators.filas_escritas", n=len(out), by=args.by, n_records=n_records,
            out=args.out, role=role)
          + (t("cli.indicators.conteos_exactos") if k <= 1 else
             t("cli.indicators.conteos_suprimidos", k_1=k - 1, hidden=hidden))
          + (t("cli.evaluate.datos_simulados") if settings.simulated else ""))
    return 0
