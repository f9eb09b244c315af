"""Writing to the chain and checking it: append a row; verify every row against chain and seal."""

from __future__ import annotations

import hmac
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from geo.messages import Message, t
from geo.trust.audit.rows import COLUMNS, GENESIS, TRIGGERS, _now, last_row, row_hash
from geo.trust.audit.seal import Seal

__all__ = [
    "append",
    "AuditProblem",
    "AuditReport",
    "verify",
]

def append(conn: sqlite3.Connection, seal: Seal, user: str, role: str, action: str,
           detail: dict[str, Any], when: str | None = None) -> tuple[int, str]:
    """Append one row inside the caller's write transaction; return its ``(id, hash)``.

    The caller commits, then calls ``seal.advance(id, hash)``.
    """
    previous_id, previous = last_row(conn)
    row_id = previous_id + 1
    values = (row_id, when or _now(), str(user), str(role), str(action),
              json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str))
    digest = row_hash(seal.key, values, previous)
    conn.execute(f"INSERT INTO auditoria ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (*values, previous, digest))
    return row_id, digest


@dataclass(frozen=True)
class AuditProblem:
    """One piece of evidence that the trail was changed: the row and what is wrong."""

    row: int
    text: Message

    @property
    def es(self) -> str:
        """What is wrong, in Spanish."""
        return self.text.message("es")

    @property
    def en(self) -> str:
        """What is wrong, in English."""
        return self.text.message("en")


@dataclass
class AuditReport:
    """The result of :func:`verify`."""

    rows: int
    problems: list[AuditProblem] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    head: str = GENESIS
    witnessed: int = 0  # anchors of a witness that this trail matches (check_witness)

    @property
    def ok(self) -> bool:
        """Whether the trail is intact (notes are not problems)."""
        return not self.problems

    def render(self, lang: str | None = None) -> str:
        """Return the report as plain text lines, in ``lang`` (default: the current language)."""
        lines = []
        if self.ok:
            also = Message.of("auditoria.coinciden_anclajes", n=self.witnessed) \
                if self.witnessed else Message.of("auditoria.nada")
            lines.append(t("auditoria.integra", lang=lang, rows=self.rows, also=also,
                           head=self.head[:16]))
        else:
            lines.append(t("auditoria.alterada", lang=lang, n=len(self.problems),
                           rows=self.rows))
            lines += [f"  {p.text.message(lang)}" for p in self.problems]
        lines += [f"  {n.message(lang)}" for n in self.notes]
        return "\n".join(lines)


def verify(conn: sqlite3.Connection, seal: Seal) -> AuditReport:
    """Recompute the chain and compare its end with the seal; name every row that fails."""
    problems: list[AuditProblem] = []
    expected_id, previous, n = 1, GENESIS, 0
    cursor = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM auditoria ORDER BY id")
    for row in cursor:
        n += 1
        row_id, values, prev_stored, stored = int(row[0]), tuple(row[:6]), row[6], row[7]
        if row_id != expected_id:
            gap = (f"{expected_id}" if row_id == expected_id + 1
                   else f"{expected_id}–{row_id - 1}")
            problems.append(AuditProblem(
                expected_id,
                Message.of("confianza.fila_borrada_fila_sigue", gap=gap, row_id=row_id,
                           expected_id=expected_id - 1)))
        elif prev_stored != previous:
            problems.append(AuditProblem(
                row_id, Message.of("confianza.fila_no_enlaza_con", row_id=row_id)))
        if not hmac.compare_digest(row_hash(seal.key, values, str(prev_stored)), str(stored)):
            problems.append(AuditProblem(
                row_id, Message.of("confianza.fila_contenido_no_coincide", row_id=row_id)))
        expected_id, previous = row_id + 1, str(stored)
    last_id = expected_id - 1
    report = AuditReport(rows=n, problems=problems, head=previous)
    if seal.last_id > last_id:
        missing = (f"{seal.last_id}" if seal.last_id == last_id + 1
                   else f"{last_id + 1}–{seal.last_id}")
        problems.append(AuditProblem(
            last_id + 1,
            Message.of("confianza.fila_borrada_final_sello", missing=missing,
                       last_id=seal.last_id)))
    elif seal.last_id:
        sealed = conn.execute("SELECT hash FROM auditoria WHERE id = ?",
                              (seal.last_id,)).fetchone()
        if sealed is not None and str(sealed[0]) != seal.last_hash:
            problems.append(AuditProblem(
                seal.last_id,
                Message.of("confianza.fila_no_sello_reemplazada", last_id=seal.last_id)))
    if last_id > seal.last_id:
        report.notes.append(Message.of("confianza.nota_fila_posteriores_sello",
                                       last_id=last_id - seal.last_id))
    present = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'auditoria'")}
    for name in TRIGGERS:
        if name not in present:
            problems.append(AuditProblem(
                0, Message.of("confianza.falta_disparador_impide_cambiar", name=name)))
    return report
