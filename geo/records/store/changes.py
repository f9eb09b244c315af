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


def _conflict_message(path: Path, conflicts: list[dict[str, Any]]) -> tuple[str, str]:
    shown = conflicts[:20]
    sheet = path.suffix.lower() in (".xlsx", ".xlsm")  # a spreadsheet has rows, not lines
    es = [f"{path.name}: {len(conflicts)} inspecciones ya están en el almacén con otro "
          "contenido. No se importó ninguna fila; el almacén no cambió. Un registro "
          "guardado no se sobrescribe: use un id nuevo para una inspección distinta, o "
          "corrija el archivo para que coincida con lo guardado."]
    en = [f"{path.name}: {len(conflicts)} inspections are already in the store with "
          "different content. No row was imported; the store is unchanged. A stored record "
          "is never overwritten: use a new id for a different inspection, or fix the file so "
          "it matches what is stored."]
    for c in shown:
        cols = ", ".join(c["columns"])
        es_at, en_at = (f"fila {c['line']}", f"row {c['line']}") if sheet else (
            f"línea {c['line']}", f"line {c['line']}")
        es.append(f"  {es_at}: id '{c['id']}' difiere en {cols}.")
        en.append(f"  {en_at}: id '{c['id']}' differs in {cols}.")
    if len(conflicts) > len(shown):
        es.append(f"  … y {len(conflicts) - len(shown)} más.")
        en.append(f"  … and {len(conflicts) - len(shown)} more.")
    return "\n".join(es), "\n".join(en)


def _region_message(path: Path, outside: list[tuple[int, str]], regions: tuple[str, ...]
                    ) -> tuple[str, str]:
    sheet = path.suffix.lower() in (".xlsx", ".xlsm")
    yours = region_names(regions)
    es = [f"{path.name}: {len(outside)} fila(s) son de distritos fuera de sus regiones "
          f"({yours}). No se importó ninguna fila; el almacén no cambió. Quite esas filas o "
          "pida que las importe la oficina de su región."]
    en = [f"{path.name}: {len(outside)} row(s) are districts outside your regions ({yours}). "
          "No row was imported; the store is unchanged. Remove those rows or ask the office "
          "of their region to import them."]
    for line, code in outside[:20]:
        where = region_names((code[:2],))
        es.append(f"  {'fila' if sheet else 'línea'} {line}: ubigeo {code} ({where}).")
        en.append(f"  {'row' if sheet else 'line'} {line}: ubigeo {code} ({where}).")
    if len(outside) > 20:
        es.append(f"  … y {len(outside) - 20} más.")
        en.append(f"  … and {len(outside) - 20} more.")
    return "\n".join(es), "\n".join(en)


def _foreign_message(path: Path, foreign: list[tuple[int, str]]) -> tuple[str, str]:
    sheet = path.suffix.lower() in (".xlsx", ".xlsm")
    where = ", ".join(f"{'fila' if sheet else 'línea'} {line} ('{i}')" for line, i in
                      foreign[:10]) + (" …" if len(foreign) > 10 else "")
    where_en = ", ".join(f"{'row' if sheet else 'line'} {line} ('{i}')" for line, i in
                         foreign[:10]) + (" …" if len(foreign) > 10 else "")
    return (f"{path.name}: {len(foreign)} id ya los usa un registro fuera de sus regiones "
            f"({where}). No se importó ninguna fila; el almacén no cambió. Use ids nuevos "
            "(cada inspección tiene el suyo).",
            f"{path.name}: {len(foreign)} id(s) are already used by a record outside your "
            f"regions ({where_en}). No row was imported; the store is unchanged. Use new ids "
            "(each inspection has its own).")

