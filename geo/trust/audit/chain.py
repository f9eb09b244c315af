"""Writing to the chain and checking it: append a row; verify every row against chain and seal."""

from __future__ import annotations

import hmac
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

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
    es: str
    en: str


@dataclass
class AuditReport:
    """The result of :func:`verify`."""

    rows: int
    problems: list[AuditProblem] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    head: str = GENESIS
    witnessed: int = 0  # anchors of a witness that this trail matches (check_witness)

    @property
    def ok(self) -> bool:
        """Whether the trail is intact (notes are not problems)."""
        return not self.problems

    def render(self, lang: str = "es") -> str:
        """Return the report as plain text lines."""
        es = lang != "en"
        lines = []
        if self.ok:
            also_es = f", y coinciden con {self.witnessed} anclaje(s) del testigo" \
                if self.witnessed else ""
            also_en = f", and match {self.witnessed} anchor(s) of the witness" \
                if self.witnessed else ""
            lines.append(f"Auditoría íntegra: {self.rows} filas, encadenadas y selladas"
                         f"{also_es} (última huella {self.head[:16]}…)." if es else
                         f"Audit trail intact: {self.rows} rows, chained and sealed{also_en} "
                         f"(last hash {self.head[:16]}…).")
        else:
            lines.append(f"La auditoría fue alterada: {len(self.problems)} problema(s) en "
                         f"{self.rows} filas." if es else
                         f"The audit trail was tampered with: {len(self.problems)} "
                         f"problem(s) in {self.rows} rows.")
            lines += [f"  {p.es if es else p.en}" for p in self.problems]
        lines += [f"  {n[0] if es else n[1]}" for n in self.notes]
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
                f"fila(s) {gap}: borrada(s) (la fila {row_id} sigue a la {expected_id - 1}).",
                f"row(s) {gap}: deleted (row {row_id} follows row {expected_id - 1})."))
        elif prev_stored != previous:
            problems.append(AuditProblem(
                row_id, f"fila {row_id}: no enlaza con la fila anterior (cadena rota).",
                f"row {row_id}: does not link to the previous row (broken chain)."))
        if not hmac.compare_digest(row_hash(seal.key, values, str(prev_stored)), str(stored)):
            problems.append(AuditProblem(
                row_id, f"fila {row_id}: su contenido no coincide con su huella (editada).",
                f"row {row_id}: its content does not match its hash (edited)."))
        expected_id, previous = row_id + 1, str(stored)
    last_id = expected_id - 1
    report = AuditReport(rows=n, problems=problems, head=previous)
    if seal.last_id > last_id:
        missing = (f"{seal.last_id}" if seal.last_id == last_id + 1
                   else f"{last_id + 1}–{seal.last_id}")
        problems.append(AuditProblem(
            last_id + 1,
            f"fila(s) {missing}: borrada(s) del final (el sello llega a la fila "
            f"{seal.last_id}).",
            f"row(s) {missing}: deleted from the end (the seal reaches row {seal.last_id})."))
    elif seal.last_id:
        sealed = conn.execute("SELECT hash FROM auditoria WHERE id = ?",
                              (seal.last_id,)).fetchone()
        if sealed is not None and str(sealed[0]) != seal.last_hash:
            problems.append(AuditProblem(
                seal.last_id,
                f"fila {seal.last_id}: no es la que se selló (reemplazada).",
                f"row {seal.last_id}: not the row that was sealed (replaced)."))
    if last_id > seal.last_id:
        report.notes.append((
            f"Nota: {last_id - seal.last_id} fila(s) posteriores al sello (escritas justo "
            "antes de una interrupción); su cadena es válida.",
            f"Note: {last_id - seal.last_id} row(s) after the seal (written just before an "
            "interruption); their chain is valid."))
    present = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'auditoria'")}
    for name in TRIGGERS:
        if name not in present:
            problems.append(AuditProblem(
                0, f"falta el disparador {name}, que impide cambiar o borrar filas "
                "(alguien lo quitó).",
                f"trigger {name}, which prevents changing or deleting rows, is missing "
                "(someone removed it)."))
    return report
