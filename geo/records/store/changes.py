"""What an import changes: records as SQL rows, compared with the stored and the history's.

Which ids of a file are new, already stored with identical content, completing empty
cells of a stored record (:data:`~geo.records.store.schema.COMPLETABLE`), replacing a record of
the history file, or conflicting; and the messages that refuse an import (conflicts, rows
outside the importer's regions, ids held by another region).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from geo import columns as C
from geo.messages import Joined, Message
from geo.records.contract import RECORD_COLUMNS
from geo.records.store.schema import COMPLETABLE
from geo.trust.access import (
    region_names,
)

__all__ = ["CAMBIO_EN", "EN_ALMACEN", "EN_HISTORICO"]

#: Where a changed record was before the import: the store (empty cells completed) or the
#: history file (replaced by the imported version, which wins in load_records).
CAMBIO_EN = "en"
EN_ALMACEN = "almacen"
EN_HISTORICO = "archivo_historico"


def _to_sql_rows(valid: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Turn the normalised frame into plain Python tuples in RECORD_COLUMNS order."""
    rows = []
    for rec in valid[list(RECORD_COLUMNS)].itertuples(index=False, name=None):
        rows.append(tuple(_plain(col, v) for col, v in zip(RECORD_COLUMNS, rec, strict=True)))
    return rows


def _plain(column: str, value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if column == C.FECHA:
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if column in (C.LAT, C.LON):
        return float(value)
    if column in (C.HALLAZGO, C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES,
                  C.VICTIMAS_MENORES):
        return int(value)
    return str(value)


def _stored_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    stored: dict[str, tuple[Any, ...]] = {}
    cols = ", ".join(RECORD_COLUMNS)
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {cols} FROM inspecciones WHERE {C.ID} IN ({marks})",
                                chunk):
            stored[row[0]] = tuple(row)
    return stored


def _history_rows(history: pd.DataFrame | None, ids: Sequence[str]
                  ) -> dict[str, tuple[Any, ...]]:
    """Return the history file's records of ``ids`` as the store's rows (column order)."""
    if history is None or history.empty:
        return {}
    wanted = history[history[C.ID].astype(str).isin(set(ids))]
    return {row[0]: row for row in _to_sql_rows(wanted)}


def _sort_rows(stored: dict[str, tuple[Any, ...]], rows: list[tuple[Any, ...]],
               lines: list[int]) -> tuple[list[tuple[Any, ...]],
                                          list[tuple[tuple[Any, ...], list[str]]],
                                          list[dict[str, Any]]]:
    """Split the file's rows: new to the store, completing stored ones, conflicting.

    Identical stored rows are none of them (skipped). A stored record whose only
    differences are empty :data:`COMPLETABLE` cells the file fills is completed; any other
    difference is a conflict (a stored record is never overwritten).
    """
    new: list[tuple[Any, ...]] = []
    completed: list[tuple[tuple[Any, ...], list[str]]] = []
    conflicts: list[dict[str, Any]] = []
    for row, line in zip(rows, lines, strict=True):
        old = stored.get(row[0])
        if old is None:
            new.append(row)
            continue
        # a file without a completable column says nothing about it
        differ = [c for c, a, b in zip(RECORD_COLUMNS, old, row, strict=True)
                  if not _same((a,), (b,)) and not (c in COMPLETABLE and b is None)]
        if not differ:
            continue
        if all(c in COMPLETABLE and old[RECORD_COLUMNS.index(c)] is None for c in differ):
            completed.append((row, differ))  # only empty cells filled in
        else:
            conflicts.append({"id": row[0], "line": line, "columns": differ})
    return new, completed, conflicts


def _changes(completed: list[tuple[tuple[Any, ...], list[str]]], new: list[tuple[Any, ...]],
             known: dict[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Every record an import changes: ``{"id", "columnas", "en"}``, for the audit.

    Stored records it completes, and history records it replaces with different content
    (the imported version wins in :func:`geo.records.inspections.load_records`: a cell the file
    leaves empty empties it, so that is a change too). A history record imported as it was
    changes nothing.
    """
    out = [{"id": row[0], "columnas": differ, CAMBIO_EN: EN_ALMACEN}
           for row, differ in completed]
    for row in new:
        old = known.get(row[0])
        if old is None:
            continue
        differ = [c for c, a, b in zip(RECORD_COLUMNS, old, row, strict=True)
                  if not _same((a,), (b,))]
        if differ:
            out.append({"id": row[0], "columnas": differ, CAMBIO_EN: EN_HISTORICO})
    return out


def _same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=0.0, abs_tol=1e-9):
                return False
        elif x != y:
            return False
    return True


def _at(line: int, sheet: bool) -> Message:
    return Message("registros.en_fila" if sheet else "registros.en_linea", {"line": line})


def _conflict_message(path: Path, conflicts: list[dict[str, Any]]) -> Joined:
    shown = conflicts[:20]
    sheet = path.suffix.lower() in (".xlsx", ".xlsm")  # a spreadsheet has rows, not lines
    lines: list[Any] = [Message("registros.conflictos_cabecera",
                                {"name": path.name, "n": len(conflicts)})]
    for c in shown:
        lines.append(Message("registros.conflicto_en", {"where": _at(c["line"], sheet),
                                                        "id": c["id"],
                                                        "cols": ", ".join(c["columns"])}))
    if len(conflicts) > len(shown):
        lines.append(Message("registros.y_n_mas", {"n": len(conflicts) - len(shown)}))
    return Joined(lines)


def _region_message(path: Path, outside: list[tuple[int, str]], regions: tuple[str, ...]
                    ) -> Joined:
    sheet = path.suffix.lower() in (".xlsx", ".xlsm")
    lines: list[Any] = [Message("registros.fuera_regiones_cabecera",
                                {"name": path.name, "n": len(outside),
                                 "yours": region_names(regions)})]
    for line, code in outside[:20]:
        lines.append(Message("registros.fuera_region_en",
                             {"where": _at(line, sheet), "code": code,
                              "region": region_names((code[:2],))}))
    if len(outside) > 20:
        lines.append(Message("registros.y_n_mas", {"n": len(outside) - 20}))
    return Joined(lines)


def _foreign_message(path: Path, foreign: list[tuple[int, str]]) -> Joined:
    sheet = path.suffix.lower() in (".xlsx", ".xlsm")
    where = Joined([Message("registros.id_en", {"where": _at(line, sheet), "id": i})
                    for line, i in foreign[:10]], ", ", " …" if len(foreign) > 10 else "")
    return Joined([Message("registros.ids_de_otra_region",
                           {"name": path.name, "n": len(foreign), "where": where})])

