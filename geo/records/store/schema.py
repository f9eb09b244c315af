"""The store database's shape: its tables, schema version and migrations.

The SQL of tables ``meta``, ``importaciones`` and ``inspecciones`` (``auditoria`` is
:mod:`geo.trust.audit`'s), the version a store and a backup may have, the migrations from
older schemas, and how a stored row reads back as a typed record table.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from geo import columns as C
from geo.records.contract import records_frame
from geo.trust import audit as A

__all__ = ["BACKUP_SEAL_TABLE", "COMPLETABLE", "IMPORT_ID", "MIN_BACKUP_VERSION",
           "SCHEMA_VERSION"]

IMPORT_ID = "import_id"
SCHEMA_VERSION = 3  # 2: the audit trail is hash-chained and sealed (geo.trust.audit); 3: victims
# by sex and age and the district of recruitment (columns added in place, nothing rewritten)
MIN_BACKUP_VERSION = 2  # older backups have no seal to check them by
#: Columns an import may fill in on a record already stored when they are empty there (the
#: columns of schema 3: records imported before them are completed, never overwritten).
COMPLETABLE = (C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN)
BACKUP_SEAL_TABLE = "respaldo_sello"  # in a backup file only: the seal that checks it

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    clave TEXT PRIMARY KEY,
    valor TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS importaciones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fecha_hora TEXT NOT NULL,          -- UTC, ISO 8601
    archivo TEXT NOT NULL,             -- file name (not the full path)
    sha256 TEXT NOT NULL,
    filas_nuevas INTEGER NOT NULL,
    filas_existentes INTEGER NOT NULL, -- ids already stored with identical content
    usuario TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inspecciones (
    {C.ID} TEXT PRIMARY KEY,
    {C.FECHA} TEXT NOT NULL,           -- YYYY-MM-DD
    {C.UBIGEO} TEXT NOT NULL CHECK (length({C.UBIGEO}) = 6),
    {C.LAT} REAL,
    {C.LON} REAL,
    {C.SECTOR} TEXT NOT NULL
        CHECK ({C.SECTOR} IN ({", ".join(repr(s) for s in C.SECTORES_INSPECCION)})),
    {C.HALLAZGO} INTEGER NOT NULL CHECK ({C.HALLAZGO} IN (0, 1)),
    {C.ORIGEN} TEXT CHECK ({C.ORIGEN} IS NULL
        OR {C.ORIGEN} IN ({", ".join(repr(s) for s in C.ORIGENES)})),
    {C.INDICADORES} TEXT NOT NULL DEFAULT '',
    {C.TRABAJADORES} INTEGER CHECK ({C.TRABAJADORES} >= 0),
    {C.VICTIMAS} INTEGER CHECK ({C.VICTIMAS} >= 0),
    {IMPORT_ID} INTEGER NOT NULL REFERENCES importaciones(id),
    {C.VICTIMAS_MUJERES} INTEGER CHECK ({C.VICTIMAS_MUJERES} >= 0),
    {C.VICTIMAS_MENORES} INTEGER CHECK ({C.VICTIMAS_MENORES} >= 0),
    {C.UBIGEO_ORIGEN} TEXT CHECK ({C.UBIGEO_ORIGEN} IS NULL OR length({C.UBIGEO_ORIGEN}) = 6)
);
CREATE INDEX IF NOT EXISTS inspecciones_ubigeo ON inspecciones({C.UBIGEO});
"""


_ADDED_COLUMNS = (
    (C.VICTIMAS_MUJERES, f"INTEGER CHECK ({C.VICTIMAS_MUJERES} >= 0)"),
    (C.VICTIMAS_MENORES, f"INTEGER CHECK ({C.VICTIMAS_MENORES} >= 0)"),
    (C.UBIGEO_ORIGEN, f"TEXT CHECK ({C.UBIGEO_ORIGEN} IS NULL OR length({C.UBIGEO_ORIGEN}) = 6)"),
)


def _add_columns(conn: sqlite3.Connection) -> list[str]:
    """Migrate schema 2 -> 3: add the optional record columns an older table lacks."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(inspecciones)")}
    added = []
    for name, decl in _ADDED_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE inspecciones ADD COLUMN {name} {decl}")
            added.append(name)
    return added


def _migrate_audit(conn: sqlite3.Connection, seal: A.Seal) -> int:
    """Migrate schema 1 -> 2: chain and seal the audit rows written before the chain."""
    old = conn.execute("SELECT id, fecha_hora, usuario, rol, accion, detalle FROM auditoria "
                       "ORDER BY id").fetchall()
    conn.execute("ALTER TABLE auditoria RENAME TO auditoria_v1")
    A.create_table(conn)
    previous = A.GENESIS
    for new_id, row in enumerate(old, start=1):
        values = (new_id, row[1], row[2], row[3], row[4], row[5])
        digest = A.row_hash(seal.key, values, previous)
        conn.execute(f"INSERT INTO auditoria ({', '.join(A.COLUMNS)}) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*values, previous, digest))
        previous = digest
    conn.execute("DROP TABLE auditoria_v1")
    return len(old)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give stored records the dtypes of ``ValidationReport.valid``."""
    return records_frame(frame.to_dict("records"))
