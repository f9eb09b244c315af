"""``riskmap store backup|restore``: copies of the inspection store, made and put back safely."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.arguments.store import register
from dashboard.commands.audit import audit_settings
from geo.config import active_store
from geo.errors import DataError, tr
from geo.records.store import backup_store, operator, restore_store
from geo.trust import audit as A

__all__ = ["backup", "register", "restore"]


def backup(args: argparse.Namespace) -> int:
    """``riskmap store backup``: copy the store to a new owner-only file."""
    store = _store(args)
    dest = backup_store(store, args.file, user=operator())
    print(tr(f"Respaldo escrito en {dest} (solo legible por su dueño; guárdelo como el "
             "almacén mismo: contiene los registros).",
             f"Backup written to {dest} (readable by its owner only; keep it like the store "
             "itself: it holds the records)."))
    if A.backup_carries_key(dest):
        print(tr("ATENCIÓN: este respaldo lleva la clave de la auditoría: quien lo tenga puede "
                 "volver a firmar la auditoría. Guárdelo como la clave misma (y saque la clave "
                 "del sello: [audit] key_file o key_env y 'riskmap audit move-key').",
                 "WARNING: this backup carries the audit key: whoever holds it can re-sign the "
                 "audit trail. Keep it like the key itself (and take the key out of the seal: "
                 "[audit] key_file or key_env and 'riskmap audit move-key')."))
    return 0


def restore(args: argparse.Namespace) -> int:
    """``riskmap store restore``: check a backup and put it back as the store."""
    target = _store(args)
    if not args.yes:
        if not sys.stdin.isatty():
            raise DataError(
                es="Restaurar reemplaza el almacén actual: confirme con --yes.",
                en="Restoring replaces the current store: confirm with --yes.",
            )
        answer = input(tr(f"¿Reemplazar {target} por {args.file}? [s/N] ",
                          f"Replace {target} with {args.file}? [y/N] "))
        if answer.strip().lower() not in ("s", "si", "sí", "y", "yes"):
            print(tr("Nada cambió.", "Nothing changed."))
            return 1
    result = restore_store(target, args.file, user=operator(),
                           accept_other_store=args.other_store)
    spec = audit_settings(args, Path(target))
    print(tr(f"Almacén restaurado: {result.records} registros, {result.audit_rows} filas de "
             "auditoría del respaldo.",
             f"Store restored: {result.records} records, {result.audit_rows} audit rows from "
             "the backup."))
    if result.previous_audit:
        print(tr(f"La auditoría reemplazada ({result.previous_rows} filas) quedó en "
                 f"{result.previous_audit}: déjela allí, 'riskmap audit verify --witness' "
                 "comprueba con ella los anclajes hechos antes de restaurar.",
                 f"The replaced audit trail ({result.previous_rows} rows) is kept in "
                 f"{result.previous_audit}: leave it there, 'riskmap audit verify --witness' "
                 "checks the anchors made before the restore against it."))
    if spec.witness:
        _anchor_restored(Path(target), spec.witness)
    return 0


def _anchor_restored(store: Path, witness: str) -> None:
    """Anchor the restored trail's head now, unless the seal already did after the restore."""
    seal = A.Seal.load(A.seal_path(store))
    if seal.anchoring.anchored and seal.anchoring.row == seal.last_id:
        entry = {"fila": seal.last_id}
    else:
        try:
            entry = A.anchor(store, witness)
        except DataError as err:
            print(tr(f"Aviso: la auditoría restaurada no se ancló en {witness} "
                     f"({err.es}). Hágalo con 'riskmap audit anchor'.",
                     f"Warning: the restored audit trail was not anchored in {witness} "
                     f"({err.en}). Do it with 'riskmap audit anchor'."))
            return
    print(tr(f"Auditoría restaurada anclada en {witness} (fila {entry['fila']}).",
             f"Restored audit trail anchored in {witness} (row {entry['fila']})."))


def _store(args):
    """``--store``, else the store of the active settings (:func:`geo.config.active_store`).

    Its ``[audit]`` is chosen before it opens (its seal finds its key by it).
    """
    path = args.store or active_store(getattr(args, "config", None))
    audit_settings(args, Path(path))
    return path
