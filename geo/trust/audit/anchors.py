"""Anchoring the trail's head in a witness, and checking the trail against what the witness saw.

A legitimate restoration is recognised by its ``restauracion`` row and the replaced
trail it keeps beside the store, which must hold the anchored rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geo.errors import RiskmapError
from geo.messages import Message
from geo.trust.audit.chain import AuditProblem, AuditReport
from geo.trust.audit.keys import key_fingerprint
from geo.trust.audit.rows import COLUMNS, GENESIS, last_row, row_hash
from geo.trust.audit.seal import Anchoring, Seal, anchor_entry, seal_path
from geo.trust.audit.witness import ANCHOR, Witness, _line, _signature

__all__ = [
    "anchor",
    "check_witness",
    "RESTORATION",
]

RESTORATION = "restauracion"  # the audit row geo.records.store writes in a restored trail


def anchor(db_path: str | Path, to: str | Path) -> dict[str, Any]:
    """Append the store's sealed head to the witness ``to`` now; return the line written.

    Holds the seal's lock (no audit row lands meanwhile); call it outside a store
    transaction. A witness that refuses is a DataError, and the seal records the attempt.
    """
    store = Path(db_path)
    witness = Witness.parse(to, store)
    with Seal.lock(seal_path(store)):
        seal = Seal.load(seal_path(store))
        entry = anchor_entry(seal, store)
        try:
            witness.send(_line(entry))
        except RiskmapError as err:
            seal.anchoring = replace(seal.anchoring, attempted=entry["fecha_hora"],
                                     error_es=f"{entry['fecha_hora']}: {err.es}",
                                     error_en=f"{entry['fecha_hora']}: {err.en}")
            seal._write()
            raise
        seal.anchoring = Anchoring(attempted=entry["fecha_hora"], anchored=entry["fecha_hora"],
                                   row=seal.last_id)
        seal._write()
    return entry


def check_witness(report: AuditReport, db_path: str | Path, lines: Iterable[str]) -> AuditReport:
    """Compare the store's trail with the anchors of its witness; add what fails to ``report``.

    Every anchor must be signed with this store's key and name a row the store still has
    with the same hash. An anchored row that is gone is a missing range (truncated, or the
    store put back to an older copy); one with another hash was rewritten after it was
    anchored (edited, deleted and renumbered, re-chained with the key), and the first row
    changed lies between the last anchor that still matches and that one. Anchors of a trail
    replaced by ``riskmap store restore`` are accepted when the replaced trail it kept beside
    the store (named and hashed in the ``restauracion`` row) holds them, chained with the key.
    """
    store = Path(db_path)
    seal = Seal.load(seal_path(store))
    entries, ignored = _anchors(lines)
    fingerprint, good = key_fingerprint(seal.key), []
    for number, entry in entries:
        if entry.get("huella_clave") == fingerprint and hmac.compare_digest(
                str(entry.get("firma", "")), _signature(seal.key, entry)):
            good.append((number, entry))
        else:
            report.problems.append(AuditProblem(
                0, Message.of("confianza.testigo_linea_anclaje_no", number=number)))
    if ignored:
        report.notes.append(Message.of("confianza.linea_testigo_no_anclajes", ignored=ignored))
    if not good:
        report.problems.append(AuditProblem(
            0, Message.of("confianza.testigo_no_tiene_ningun")))
        return report
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
        last_id = last_row(conn)[0]
        kept = _kept_trails(conn, store.parent, seal.key, report)

        def stored(row: int) -> str | None:
            found = conn.execute("SELECT hash FROM auditoria WHERE id = ?", (row,)).fetchone()
            return None if found is None else str(found[0])

        _compare(report, good, stored, kept, last_id)
    return report


def _anchors(lines: Iterable[str]) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """Return the anchors among a witness's lines (JSON, maybe after a syslog header)."""
    found, ignored = [], 0
    for number, line in enumerate(lines, start=1):
        start = line.find("{")
        entry = None
        if start >= 0:
            with contextlib.suppress(ValueError):
                entry = json.loads(line[start:])
        if not isinstance(entry, dict) or entry.get("riskmap") != ANCHOR:
            ignored += bool(line.strip())
            continue
        if not isinstance(entry.get("fila"), int) or not isinstance(entry.get("hash"), str):
            ignored += 1
            continue
        found.append((number, entry))
    return found, ignored


@dataclass
class _Kept:
    """A trail replaced by a restoration, as the restoration kept it beside the store."""

    name: str
    restored_at: str
    hashes: dict[int, str]
    used: int = 0


def _kept_trails(conn: sqlite3.Connection, folder: Path, key: bytes,
                 report: AuditReport) -> list[_Kept]:
    """Return the replaced trails the ``restauracion`` rows name, chained with ``key``.

    A restored trail must continue the one it replaced: its row before the restoration is
    that trail's row of the same id (a backup is a copy of the trail as it then was), so a
    restoration cannot swap rows the witness saw for others without being named.
    """
    def before(row_id: int) -> str:
        found = conn.execute("SELECT hash FROM auditoria WHERE id = ?", (row_id - 1,)).fetchone()
        return GENESIS if found is None else str(found[0])

    pending = [(int(i), str(d), str(t), before(int(i))) for i, d, t in conn.execute(
        "SELECT id, detalle, fecha_hora FROM auditoria WHERE accion = ? ORDER BY id",
        (RESTORATION,))]
    kept: list[_Kept] = []
    seen: set[str] = set()
    while pending:
        row_id, detail, when, previous = pending.pop(0)
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            info = json.loads(detail)
            name, sha = str(info.get("auditoria_anterior") or ""), \
                str(info.get("sha256_auditoria_anterior") or "")
            if not name or name in seen or "/" in name or "\\" in name:
                continue
            seen.add(name)
            rows = _read_kept(folder / name, sha, key, report)
            if rows is None:
                continue
            hashes = {int(r["id"]): str(r["hash"]) for r in rows}
            if row_id > 1 and hashes.get(row_id - 1) != previous:
                report.problems.append(AuditProblem(
                    row_id, Message.of("confianza.fila_restauracion_no_continua", row_id=row_id,
                                       when=when, name=name, row_id_2=row_id - 1)))
                continue
            kept.append(_Kept(name, when, hashes))
            pending += [(int(r["id"]), str(r["detalle"]), str(r["fecha_hora"]),
                         hashes.get(int(r["id"]) - 1, GENESIS)) for r in rows
                        if r.get("accion") == RESTORATION]
    return kept


def _read_kept(path: Path, sha: str, key: bytes,
               report: AuditReport) -> list[dict[str, Any]] | None:
    """Return a kept trail's rows, if the file is there, unchanged and chained with ``key``."""
    try:
        data = path.read_bytes()
    except OSError:
        report.notes.append(Message.of("confianza.falta_auditoria_reemplazo_restauracion",
                                       name=path.name))
        return None
    problem = None
    if sha and hashlib.sha256(data).hexdigest() != sha:
        problem = "sha256"
    else:
        try:
            rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
            previous = GENESIS
            for number, row in enumerate(rows, start=1):
                values = tuple(row[c] for c in COLUMNS[:6])
                if int(row["id"]) != number or row["hash_anterior"] != previous or not \
                        hmac.compare_digest(row_hash(key, values, previous), str(row["hash"])):
                    problem = f"fila {number}"
                    break
                previous = str(row["hash"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            problem = "formato"
    if problem is None:
        return rows
    report.notes.append(Message.of("confianza.auditoria_reemplazo_restauracion_no", name=path.name,
                                   problem=problem))
    return None


def _compare(report: AuditReport, anchors: list[tuple[int, dict[str, Any]]],
             stored: Callable[[int], str | None], kept: list[_Kept], last_id: int) -> None:
    """Sort the anchors: matching this trail, a kept one, rewritten, or beyond its end."""
    matched: list[tuple[int, dict[str, Any]]] = []
    rewritten: list[tuple[int, dict[str, Any]]] = []
    beyond: list[tuple[int, dict[str, Any]]] = []
    for number, entry in anchors:
        row, digest = int(entry["fila"]), str(entry["hash"])
        here = stored(row) if row > 0 else GENESIS
        if here is not None and hmac.compare_digest(here, digest):
            matched.append((number, entry))
        elif (trail := next((k for k in kept if k.hashes.get(row) == digest), None)):
            trail.used += 1
        elif here is None:
            beyond.append((number, entry))
        else:
            rewritten.append((number, entry))
    good_rows = sorted({int(e["fila"]) for _, e in matched})
    if rewritten:
        number, entry = min(rewritten, key=lambda item: int(item[1]["fila"]))
        bad = int(entry["fila"])
        first = max([r for r in good_rows if r < bad], default=0) + 1
        span = f"{bad}" if first == bad else f"{first}–{bad}"
        report.problems.append(AuditProblem(
            first,
            Message.of("confianza.filas_reescritas" if first != bad
                       else "confianza.fila_reescrita", span=span, bad=bad, first=first,
                       fecha_hora=entry["fecha_hora"], number=number)))
        if len(rewritten) > 1:
            report.problems.append(AuditProblem(
                bad, Message.of("confianza.otros_anclaje_posteriores_tampoco",
                                n_rewritten=len(rewritten) - 1)))
    if beyond:
        number, entry = max(beyond, key=lambda item: int(item[1]["fila"]))
        far = int(entry["fila"])
        span = f"{last_id + 1}" if far == last_id + 1 else f"{last_id + 1}–{far}"
        report.problems.append(AuditProblem(
            last_id + 1,
            Message.of("confianza.fila_faltan_testigo_vio", span=span, far=far,
                       fecha_hora=entry['fecha_hora'], number=number, last_id=last_id)))
    for trail in kept:
        if trail.used:
            report.notes.append(Message.of("confianza.anclaje_auditoria_reemplazo_restauracion",
                                           used=trail.used, restored_at=trail.restored_at,
                                           name=trail.name))
    if matched:
        report.witnessed = len(matched)
        _, latest = max(matched, key=lambda item: int(item[1]["fila"]))
        top = int(latest["fila"])
        report.notes.append(Message.of("confianza.testigo_anclaje_coinciden_ultimo",
                                       n_matched=len(matched), top=top,
                                       fecha_hora=latest['fecha_hora']))
        if last_id > top and not report.problems:
            span = f"{top + 1}" if last_id == top + 1 else f"{top + 1}–{last_id}"
            report.notes.append(Message.of("confianza.fila_posteriores_ultimo_anclaje", span=span))
