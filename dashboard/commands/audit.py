"""``riskmap audit verify|export``: check the audit trail, or hand a copy to an auditor."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.config import STORE_CONFIG_HELP as CONFIG_HELP
from geo.config import active_store
from geo.errors import tr

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap audit verify`` and ``riskmap audit export``."""
    parser = subparsers.add_parser(
        "audit",
        help="comprobar y exportar la auditoría / check and export the audit trail",
        description="La auditoría del almacén está encadenada y sellada: 'verify' la "
        "recalcula y nombra cada fila editada o borrada; 'export' la copia a CSV o JSON "
        "lines. The store's audit trail is hash-chained and sealed.",
    )
    sub = parser.add_subparsers(dest="audit_command", metavar="ACCION")
    verify = sub.add_parser("verify", help="comprobar que ninguna fila fue editada ni borrada",
                            description="Recalcula la cadena de la auditoría y la compara con "
                            "su sello. Estado de salida 0 si está íntegra, 2 si no.")
    export = sub.add_parser("export", help="exportar la auditoría a .csv o .jsonl",
                            description="Copia toda la auditoría (con sus huellas) a un "
                            "archivo solo legible por su dueño.")
    export.add_argument("--out", type=Path, required=True, help="archivo .csv o .jsonl")
    for p in (verify, export):
        p.add_argument("--store", type=Path, default=None,
                       help="almacén (por defecto el de la configuración)")
        p.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    verify.set_defaults(func=_verify)
    export.set_defaults(func=_export)
    parser.set_defaults(func=lambda args: (parser.print_help(), 1)[1])


def _store(args: argparse.Namespace):
    from geo.errors import DataError
    from geo.store import ROL_SISTEMA, InspectionStore, operator

    path = args.store or active_store(getattr(args, "config", None))
    if not Path(path).is_file():
        raise DataError(es=f"No existe el almacén {path}.", en=f"Store {path} does not exist.")
    return InspectionStore(path, role=ROL_SISTEMA, user=operator())


def _verify(args: argparse.Namespace) -> int:
    from geo.errors import get_language

    report = _store(args).verify_audit()
    print(report.render(get_language()))
    return 0 if report.ok else 2


def _export(args: argparse.Namespace) -> int:
    rows, report = _store(args).export_audit(args.out)
    print(tr(f"{rows} filas de auditoría en {args.out} (solo legible por su dueño). "
             f"Última huella: {report.head}.",
             f"{rows} audit rows in {args.out} (readable by its owner only). "
             f"Last hash: {report.head}."))
    if not report.ok:
        print(tr("ATENCIÓN: la auditoría no está íntegra:", "WARNING: the audit trail is not "
                 "intact:"))
        from geo.errors import get_language

        print(report.render(get_language()))
        return 2
    return 0
