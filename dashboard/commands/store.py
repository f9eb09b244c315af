"""``riskmap store backup|restore``: copies of the inspection store, made and put back safely."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.arguments.store import register
from dashboard.commands.audit import audit_settings
from geo.config import active_store
from geo.errors import DataError
from geo.messages import t
from geo.records.store import backup_store, operator, restore_store
from geo.trust import audit as A

__all__ = ["backup", "register", "restore"]


def backup(args: argparse.Namespace) -> int:
    """``riskmap store backup``: copy the store to a new owner-only file."""
    store = _store(args)
    dest = backup_store(store, args.file, user=operator())
    print(t("cli.store.respaldo_escrito_solo_legible", dest=dest))
    if A.backup_carries_key(dest):
        print(t("cli.store.atencion_respaldo_lleva_clave"))
    return 0


def restore(args: argparse.Namespace) -> int:
    """``riskmap store restore``: check a backup and put it back as the store."""
    target = _store(args)
    if not args.yes:
        if not sys.stdin.isatty():
            raise DataError("cli.store.restaurar_reemplaza_almacen_actual")
        answer = input(t("cli.store.reemplazar", target=target, file=args.file))
        if answer.strip().lower() not in ("s", "si", "sí", "y", "yes"):
            print(t("cli.store.nada_cambio"))
            return 1
    result = restore_store(target, args.file, user=operator(),
                           accept_other_store=args.other_store)
    spec = audit_settings(args, Path(target))
    print(t("cli.store.almacen_restaurado_registros_filas", records=result.records,
            audit_rows=result.audit_rows))
    if result.previous_audit:
        print(t("cli.store.auditoria_reemplazada_filas_quedo", previous_rows=result.previous_rows,
                previous_audit=result.previous_audit))
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
            print(t("cli.store.aviso_auditoria_restaurada_no", witness=witness, err=err))
            return
    print(t("cli.store.auditoria_restaurada_anclada_fila", witness=witness, fila=entry['fila']))


def _store(args):
    """``--store``, else the store of the active settings (:func:`geo.config.active_store`).

    Its ``[audit]`` is chosen before it opens (its seal finds its key by it).
    """
    path = args.store or active_store(getattr(args, "config", None))
    audit_settings(args, Path(path))
    return path
