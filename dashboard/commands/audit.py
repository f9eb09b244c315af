"""``riskmap audit verify|export|anchor|move-key``: check, hand over and anchor the audit trail."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments.audit import FROM_SETTINGS, register
from geo.config import AuditSpec, active_store, load_settings
from geo.errors import DataError, get_language
from geo.messages import t
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
        raise DataError("cli.audit.no_existe_almacen", path=path)
    spec = audit_settings(args, Path(path))
    return InspectionStore(path, role=ROL_SISTEMA, user=operator()), spec


def _advise(store, spec: AuditSpec) -> None:
    for line in A.key_advice(store.db_path, spec):
        print(line.message())


def verify(args: argparse.Namespace) -> int:
    """``riskmap audit verify``: recompute the chain, compare with the seal and witness."""
    store, spec = _open(args)
    report = store.verify_audit()
    target = spec.witness if args.witness == FROM_SETTINGS else args.witness
    if args.witness == FROM_SETTINGS and not target:
        raise DataError("cli.audit.witness_sin_archivo_configuracion")
    if target is None and spec.witness and not spec.witness.startswith("syslog:"):
        target = spec.witness  # the daily check compares with the witness it anchors in
    if target:
        witness = A.Witness.parse(target, store.db_path)
        A.check_witness(report, store.db_path, witness.read())
    print(report.render(get_language()))
    _advise(store, spec)
    if not target and spec.witness:
        print(t("cli.audit.comparar_con_testigo_pase", witness=spec.witness))
    return 0 if report.ok else 2


def export(args: argparse.Namespace) -> int:
    """``riskmap audit export``: copy the audit trail to an owner-only file."""
    store, spec = _open(args)
    rows, report = store.export_audit(args.out)
    print(t("cli.audit.filas_auditoria_solo_legible", rows=rows, out=args.out, head=report.head))
    _advise(store, spec)
    if not report.ok:
        print(t("cli.audit.atencion_auditoria_no_integra"))
        print(report.render(get_language()))
        return 2
    return 0


def anchor(args: argparse.Namespace) -> int:
    """``riskmap audit anchor``: write the trail's last sealed row to the witness."""
    store, spec = _open(args)
    target = args.to or spec.witness
    if not target:
        raise DataError("cli.audit.anclar_indique_testigo_con")
    witness = A.Witness.parse(target, store.db_path)  # refused before anything is read
    report = store.verify_audit()
    if not report.ok:
        print(report.render(get_language()))
        raise DataError("cli.audit.no_anclo_nada_auditoria")
    entry = A.anchor(store.db_path, witness.target)
    print(t("cli.audit.anclada_fila_huella", fila=entry['fila'], hash=entry['hash'][:16],
            fecha_hora=entry['fecha_hora'], witness=witness.label()))
    if witness.shares_disk_with(store.db_path):
        print(t("cli.audit.aviso_testigo_mismo_sistema"))
    _advise(store, spec)
    return 0


def move_key(args: argparse.Namespace) -> int:
    """``riskmap audit move-key``: take the audit key out of the store's folder."""
    store, spec = _open(args)
    source, moved = A.move_key(store.db_path, spec)
    where = source.label()
    if not moved:
        print(t("cli.audit.clave_ya_esta_en", where=where))
        return 0
    store.record_event("clave_auditoria_movida",
                       {"a": source.kind, "huella": A.key_fingerprint(A.Seal.load(
                           A.seal_path(store.db_path)).key)[:16]})
    print(t("cli.audit.clave_ahora_en", where=where, seal=A.seal_path(store.db_path)))
    return 0
