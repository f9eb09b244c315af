"""``riskmap audit verify|export|anchor|move-key``: check, hand over and anchor the audit trail."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.config import STORE_CONFIG_HELP as CONFIG_HELP
from geo.config import AuditSpec, active_store, load_settings
from geo.errors import DataError, get_language, tr

__all__ = ["register"]

_FROM_SETTINGS = "\0settings"  # --witness without a value: the settings' [audit] witness


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap audit verify``, ``export``, ``anchor`` and ``move-key``."""
    parser = subparsers.add_parser(
        "audit",
        help="comprobar, exportar y anclar la auditoría / check, export and anchor the audit "
        "trail",
        description="La auditoría del almacén está encadenada y sellada: 'verify' la "
        "recalcula y nombra cada fila editada o borrada (con --witness, también lo reescrito "
        "con la clave o vuelto atrás desde el último anclaje); 'export' la copia a CSV o JSON "
        "lines; 'anchor' deja su última fila en un testigo fuera del servidor; 'move-key' "
        "saca la clave de la carpeta del almacén. The store's audit trail is hash-chained, "
        "sealed and anchored outside the server.",
    )
    sub = parser.add_subparsers(dest="audit_command", metavar="ACCION")
    verify = sub.add_parser(
        "verify", help="comprobar que ninguna fila fue editada ni borrada",
        description="Recalcula la cadena de la auditoría y la compara con su sello y, con "
        "--witness (o [audit] witness en la configuración), con cada anclaje del testigo. "
        "Estado de salida 0 si está íntegra, 2 si no.")
    verify.add_argument("--witness", nargs="?", const=_FROM_SETTINGS, default=None,
                        metavar="ARCHIVO|URL",
                        help="testigo con los anclajes (por defecto [audit] witness)")
    export = sub.add_parser("export", help="exportar la auditoría a .csv o .jsonl",
                            description="Copia toda la auditoría (con sus huellas) a un "
                            "archivo solo legible por su dueño.")
    export.add_argument("--out", type=Path, required=True, help="archivo .csv o .jsonl")
    anchor = sub.add_parser(
        "anchor", help="anclar la última fila de la auditoría en un testigo externo",
        description="Comprueba la auditoría y añade su última fila sellada (número, huella, "
        "hora, firmados con la clave) al testigo: un archivo de solo añadir fuera de la "
        "carpeta del almacén (mejor en otro montaje), una URL http(s):// (POST) o un "
        "servidor syslog://host:puerto. El tablero ancla solo cada [audit] "
        "anchor_every_minutes.")
    anchor.add_argument("--to", default=None, metavar="ARCHIVO|URL",
                        help="testigo (por defecto [audit] witness)")
    move = sub.add_parser(
        "move-key", help="sacar la clave de la auditoría de la carpeta del almacén",
        description="Lleva la clave de la auditoría a donde dice [audit] (key_file: un "
        "archivo nuevo 0600 fuera de la carpeta del almacén; key_env: comprueba que la "
        "variable ya la tiene) y deja en el sello solo dónde está. No se vuelve a firmar "
        "nada.")
    for p in (verify, export, anchor, move):
        p.add_argument("--store", type=Path, default=None,
                       help="almacén (por defecto el de la configuración)")
        p.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    verify.set_defaults(func=_verify)
    export.set_defaults(func=_export)
    anchor.set_defaults(func=_anchor)
    move.set_defaults(func=_move_key)
    parser.set_defaults(func=lambda args: (parser.print_help(), 1)[1])


def audit_settings(args: argparse.Namespace, store: Path) -> AuditSpec:
    """``[audit]`` of ``--config`` (made the store's for this process), else the active one's.

    Shared with ``riskmap store`` (backup and restore anchor and warn with the same settings).
    """
    from geo.trust import audit as A

    config = getattr(args, "config", None)
    if config is not None:
        spec = load_settings(config, check_files=False).audit
        A.use_settings(store, spec)
        return spec
    return A.settings_for(store) or AuditSpec()


def _open(args: argparse.Namespace):
    """Return the store and its ``[audit]`` (chosen first: its seal finds its key by it)."""
    from geo.records.store import ROL_SISTEMA, InspectionStore, operator

    path = args.store or active_store(getattr(args, "config", None))
    if not Path(path).is_file():
        raise DataError(es=f"No existe el almacén {path}.", en=f"Store {path} does not exist.")
    spec = audit_settings(args, Path(path))
    return InspectionStore(path, role=ROL_SISTEMA, user=operator()), spec


def _advise(store, spec: AuditSpec) -> None:
    from geo.trust import audit as A

    lang = get_language()
    for es, en in A.key_advice(store.db_path, spec):
        print(en if lang == "en" else es)


def _verify(args: argparse.Namespace) -> int:
    from geo.trust import audit as A

    store, spec = _open(args)
    report = store.verify_audit()
    target = spec.witness if args.witness == _FROM_SETTINGS else args.witness
    if args.witness == _FROM_SETTINGS and not target:
        raise DataError(
            es="--witness sin archivo: la configuración no tiene [audit] witness. Indique "
            "el testigo: --witness ARCHIVO|URL.",
            en="--witness without a file: the settings have no [audit] witness. Name the "
            "witness: --witness FILE|URL.")
    if target is None and spec.witness and not spec.witness.startswith("syslog:"):
        target = spec.witness  # the daily check compares with the witness it anchors in
    if target:
        witness = A.Witness.parse(target, store.db_path)
        A.check_witness(report, store.db_path, witness.read())
    print(report.render(get_language()))
    _advise(store, spec)
    if not target and spec.witness:
        print(tr(f"Para comparar con el testigo {spec.witness}, pase el archivo que escribe "
                 "el servidor syslog: --witness ARCHIVO.",
                 f"To compare with the witness {spec.witness}, pass the file the syslog "
                 "server writes: --witness FILE."))
    return 0 if report.ok else 2


def _export(args: argparse.Namespace) -> int:
    store, spec = _open(args)
    rows, report = store.export_audit(args.out)
    print(tr(f"{rows} filas de auditoría en {args.out} (solo legible por su dueño). "
             f"Última huella: {report.head}.",
             f"{rows} audit rows in {args.out} (readable by its owner only). "
             f"Last hash: {report.head}."))
    _advise(store, spec)
    if not report.ok:
        print(tr("ATENCIÓN: la auditoría no está íntegra:", "WARNING: the audit trail is not "
                 "intact:"))
        print(report.render(get_language()))
        return 2
    return 0


def _anchor(args: argparse.Namespace) -> int:
    from geo.trust import audit as A

    store, spec = _open(args)
    target = args.to or spec.witness
    if not target:
        raise DataError(
            es="¿Dónde anclar? Indique el testigo con --to ARCHIVO|URL o en la configuración "
            "([audit] witness).",
            en="Anchor where? Name the witness with --to FILE|URL or in the settings "
            "([audit] witness).")
    witness = A.Witness.parse(target, store.db_path)  # refused before anything is read
    report = store.verify_audit()
    if not report.ok:
        print(report.render(get_language()))
        raise DataError(
            es="No se ancló nada: la auditoría no pasa su propia comprobación, y un testigo "
            "no debe dar fe de ella. Averigüe qué pasó (arriba) antes de anclar.",
            en="Nothing was anchored: the audit trail fails its own check, and a witness must "
            "not vouch for it. Find out what happened (above) before anchoring.")
    entry = A.anchor(store.db_path, witness.target)
    print(tr(f"Anclada la fila {entry['fila']} (huella {entry['hash'][:16]}…, "
             f"{entry['fecha_hora']}) en {witness.label()}.",
             f"Anchored row {entry['fila']} (hash {entry['hash'][:16]}…, "
             f"{entry['fecha_hora']}) in {witness.label()}."))
    if witness.shares_disk_with(store.db_path):
        print(tr("Aviso: el testigo está en el mismo sistema de archivos que el almacén; quien "
                 "sea root en este servidor puede reescribir los dos. Use otro montaje (de "
                 "otra máquina), un servidor syslog o una URL.",
                 "Warning: the witness is on the store's own filesystem; root on this server "
                 "can rewrite both. Use another mount (another machine's), a syslog server or "
                 "a URL."))
    _advise(store, spec)
    return 0


def _move_key(args: argparse.Namespace) -> int:
    from geo.trust import audit as A

    store, spec = _open(args)
    source, moved = A.move_key(store.db_path, spec)
    es, en = source.label()
    if not moved:
        print(tr(f"La clave de la auditoría ya está en {es}; nada cambió.",
                 f"The audit key is already in {en}; nothing changed."))
        return 0
    store.record_event("clave_auditoria_movida",
                       {"a": source.kind, "huella": A.key_fingerprint(A.Seal.load(
                           A.seal_path(store.db_path)).key)[:16]})
    print(tr(f"La clave de la auditoría está ahora en {es}; el sello {A.seal_path(store.db_path)} "
             "ya no la lleva (ninguna fila se volvió a firmar). Los respaldos y copias del "
             "sello hechos antes sí la llevan: guárdelos como la clave misma, o destrúyalos "
             "tras el próximo respaldo.",
             f"The audit key is now in {en}; seal {A.seal_path(store.db_path)} no longer holds "
             "it (no row was re-signed). Backups and copies of the seal made before do: keep "
             "them like the key itself, or destroy them after the next backup."))
    return 0
