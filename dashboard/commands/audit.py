"""``riskmap audit verify|export|anchor|move-key``: check, hand over and anchor the audit trail."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments.audit import FROM_SETTINGS, register
from geo.config import AuditSpec, active_store, load_settings
from geo.errors import DataError, get_language, tr
from geo.records.store import ROL_SISTEMA, InspectionStore, operator
from geo.trust import audit as A

__all__ = ["anchor", "audit_settings", "export", "move_key", "register", "verify"]


def audit_settings(args: argparse.Namespace, store: Path) -> AuditSpec:
    """``[audit]`` of ``--config`` (made the store's for this process), else the active one's.

    Shared with ``riskmap store`` (backup and restore anchor and warn with the same settings).
    """
    config = getattr(args, "config", None)
    if config is not None:
        spec = load_settings(config, check_files=False).audit
        A.use_settings(store, spec)
        return spec
    return A.settings_for(store) or AuditSpec()


def _open(args: argparse.Namespace):
    """Return the store and its ``[audit]`` (chosen first: its seal finds its key by it)."""
    path = args.store or active_store(getattr(args, "config", None))
    if not Path(path).is_file():
        raise DataError(es=f"No existe el almacén {path}.", en=f"Store {path} does not exist.")
    spec = audit_settings(args, Path(path))
    return InspectionStore(path, role=ROL_SISTEMA, user=operator()), spec


def _advise(store, spec: AuditSpec) -> None:
    lang = get_language()
    for es, en in A.key_advice(store.db_path, spec):
        print(en if lang == "en" else es)


def verify(args: argparse.Namespace) -> int:
    """``riskmap audit verify``: recompute the chain, compare with the seal and witness."""
    store, spec = _open(args)
    report = store.verify_audit()
    target = spec.witness if args.witness == FROM_SETTINGS else args.witness
    if args.witness == FROM_SETTINGS and not target:
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


def export(args: argparse.Namespace) -> int:
    """``riskmap audit export``: copy the audit trail to an owner-only file."""
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


def anchor(args: argparse.Namespace) -> int:
    """``riskmap audit anchor``: write the trail's last sealed row to the witness."""
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


def move_key(args: argparse.Namespace) -> int:
    """``riskmap audit move-key``: take the audit key out of the store's folder."""
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
