r"""The inspection store: a SQLite database of validated records, with roles and an audit trail.

Inspection records name victims and places; they are protected by design:

* **All or nothing.** :meth:`InspectionStore.import_file` validates the whole file first.
  If any row is invalid, or an ``id`` already stored comes back with different content,
  nothing is written and :class:`ImportRejected` (a :class:`~geo.errors.DataError`
  carrying the :class:`~geo.records.inspections.ValidationReport` and the conflicts) is raised.
  Otherwise every row goes in one SQLite transaction; a crash mid-import leaves the store
  as it was (SQLite's journal rolls the transaction back).
* **Idempotent.** An ``id`` already stored with identical content is skipped, never
  duplicated; each import is recorded (when, file name, sha256, rows added, rows already
  present, user).
* **Roles and regions** (:mod:`geo.trust.access`). ``planificador`` imports and reads
  record-level data; ``gobierno_regional`` and ``investigador`` read only aggregates with
  small counts suppressed (1 to ``min_count - 1`` shown as missing and flagged);
  ``admin`` reads the audit trail and nothing else; ``sistema`` is the model-fitting
  pipeline and the server's operator, which reads records but cannot import. A store
  opened with ``regions`` reads, counts and imports only records of those departments,
  and refuses an id that a record of another department holds, in the store or in the
  deployment's history file (``history=``), without saying where that record is.
* **Every change named.** An import that completes stored records or replaces records of
  the history file audits each one with its id and the columns that changed.
* **Audit that proves itself** (:mod:`geo.trust.audit`). Every import (accepted or rejected),
  every read of record-level data or of aggregates, every refused request and every event
  the dashboard reports (sign-in, page, district, export) is a row of table ``auditoria``:
  append-only, hash-chained and sealed, checked by :meth:`InspectionStore.verify_audit`.
* **At rest.** The database and its seal are created owner-only (0600);
  :func:`backup_store` copies it with SQLite's online backup API and
  :func:`restore_store` puts a copy back, keeping the audit trail it replaces.

Tables: ``inspecciones`` (the contract columns + ``import_id``), ``importaciones`` and
``auditoria``.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> districts = gpd.GeoDataFrame(
...     {"ubigeo": ["080101"]}, geometry=[box(-72.0, -13.6, -71.9, -13.5)], crs=4326)
>>> _ = (d / "i.csv").write_text("id,fecha,ubigeo,sector,hallazgo_tf\n"
...                              "A1,2021-03-15,080101,mineria,1\n")
>>> store = InspectionStore(d / "s.sqlite", role="planificador", user="ana")
>>> store.import_file(d / "i.csv", districts).added
1
>>> store.import_file(d / "i.csv", districts).already_present
1
>>> len(store.records())
1
>>> InspectionStore(d / "s.sqlite", role="investigador").records()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
geo.records.store.PermissionDenied: El rol 'investigador' no puede ver registros individuales ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import math
import os
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import columns as C
from geo.errors import DataError, RiskmapError
from geo.private import private_dir
from geo.records.inspections import (
    RECORD_COLUMNS,
    ValidationReport,
    records_frame,
    validate_inspections,
)
from geo.trust import audit as A
from geo.trust.access import (
    DATA_ROLES,
    PERSON_ROLES,
    ROL_ADMIN,
    ROL_GOBIERNO_REGIONAL,
    ROL_INVESTIGADOR,
    ROL_PLANIFICADOR,
    ROL_SISTEMA,
    region_names,
)

__all__ = [
    "ROL_ADMIN",
    "RestoreResult",
    "backup_store",
    "operator",
    "restore_store",
    "ImportRejected",
    "ImportResult",
    "InspectionStore",
    "PermissionDenied",
    "ROLES",
    "ROL_GOBIERNO_REGIONAL",
    "ROL_INVESTIGADOR",
    "ROL_PLANIFICADOR",
    "ROL_SISTEMA",
    "SUPPRESSION_MIN",
]

#: Roles that see inspection data (``admin`` and the internal ``sistema`` are not among them).
ROLES = DATA_ROLES
_CAN_IMPORT = {ROL_PLANIFICADOR}
_CAN_READ_RECORDS = {ROL_PLANIFICADOR, ROL_SISTEMA}
_CAN_READ_AGGREGATES = {ROL_PLANIFICADOR, ROL_GOBIERNO_REGIONAL, ROL_INVESTIGADOR, ROL_SISTEMA}
_CAN_READ_AUDIT = {ROL_ADMIN, ROL_SISTEMA}
#: Smallest suppression threshold roles without record access may ask for.
SUPPRESSION_MIN = 5

# Aggregate column names (candidates for geo.columns, which this module does not own).
N_VICTIMAS = "n_victimas"
SUPRIMIDO = "suprimido"  # ";"-separated names of the counts suppressed in that row
ANIO = "anio"
IMPORT_ID = "import_id"
SCHEMA_VERSION = 3  # 2: the audit trail is hash-chained and sealed (geo.trust.audit); 3: victims
# by sex and age and the district of recruitment (columns added in place, nothing rewritten)
MIN_BACKUP_VERSION = 2  # older backups have no seal to check them by
#: Columns an import may fill in on a record already stored when they are empty there (the
#: columns of schema 3: records imported before them are completed, never overwritten).
COMPLETABLE = (C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN)
#: At most this many ids in one audit row's list, and changed records per audit row (more
#: changes follow in further rows of the same transaction: every one is audited).
AUDIT_IDS = 200
AUDIT_CHANGES = 500
#: Where a changed record was before the import: the store (empty cells completed) or the
#: history file (replaced by the imported version, which wins in load_records).
CAMBIO_EN = "en"
EN_ALMACEN = "almacen"
EN_HISTORICO = "archivo_historico"
LOCK_WAIT_S = 30.0  # how long a writer waits for another one (an import) before it says so
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


class PermissionDenied(RiskmapError):
    """The role in use may not do what was asked."""


class ImportRejected(DataError):
    """An import wrote nothing: some rows are invalid or conflict with stored records.

    Attributes
    ----------
    report : ValidationReport
        The validation of the file (row errors with line, column and reason).
    conflicts : list of dict
        ``{"id", "line", "columns"}`` for each id already stored with different content.
    """

    def __init__(self, es: str, en: str, report: ValidationReport,
                 conflicts: list[dict[str, Any]]) -> None:
        super().__init__(es=es, en=en)
        self.report = report
        self.conflicts = conflicts


@dataclass(frozen=True)
class ImportResult:
    """What an accepted import did.

    Attributes
    ----------
    import_id : int
        Row of table ``importaciones``.
    added : int
        New records written.
    already_present : int
        Records whose id was already stored with identical content (skipped).
    sha256 : str
        Of the file imported.
    report : ValidationReport
    previous_imports : tuple of int
        Earlier imports of a file with the same sha256.
    completed : int
        Stored records (counted in ``already_present``) whose empty victim or origin cells
        the file filled in (:data:`COMPLETABLE`); audited with their ids.
    corrected : int
        Records of the history file (counted in ``added``) that the file replaced with
        different content (the imported version wins); audited with their ids and columns.
    """

    import_id: int
    added: int
    already_present: int
    sha256: str
    report: ValidationReport = field(repr=False)
    previous_imports: tuple[int, ...] = ()
    completed: int = 0
    corrected: int = 0


class InspectionStore:
    """A SQLite database of inspection records (created on first use).

    Parameters
    ----------
    db_path : str or Path
        The database file (default location: :func:`geo.paths.store_path`).
    role : str, optional
        The role of the session using the store (one of :data:`ROLES`, ``admin`` or the
        internal ``sistema``); methods take a ``role=`` argument that overrides it. Without
        any role, every method refuses.
    user : str, optional
        Who uses the store, for the audit table: the authenticated identity (default: the
        operator's login on this machine, see :func:`operator`).
    regions : tuple of str, optional
        Department codes this session may see and import into (``()``: every department).
    admin : bool, optional
        Whether the session also administers (reads the audit trail) besides its role.
    """

    def __init__(self, db_path: str | Path, *, role: str | None = None, user: str = "",
                 regions: tuple[str, ...] = (), admin: bool = False) -> None:
        self.db_path = Path(db_path)
        self.role = role
        self.user = user
        self.regions = tuple(regions)
        self.admin = admin
        self._ensure_schema()

    @classmethod
    def for_principal(cls, db_path: str | Path, principal: Any) -> InspectionStore:
        """Open the store as a :class:`geo.trust.access.Principal` (its role, regions, name)."""
        return cls(db_path, role=principal.role or ROL_ADMIN, user=principal.user,
                   regions=principal.regions, admin=principal.admin)

    # -- writing ---------------------------------------------------------------------------

    def import_file(
        self,
        path: str | Path,
        districts: gpd.GeoDataFrame,
        user: str = "",
        *,
        role: str | None = None,
        today: dt.date | None = None,
        limits: tuple[float, int] | None = None,
        origins: Iterable[str] | None = None,
        history: pd.DataFrame | None = None,
    ) -> ImportResult:
        """Validate a file and store all its records, or none.

        An import creates or changes only records of the session's regions: a row outside
        them, or an id that a record of another region already uses (in the store or in
        the history file), is refused, and nothing is written. Every record it changes is
        audited with its id and the columns that changed.

        Parameters
        ----------
        path : str or Path
            A file in the inspection contract (see :mod:`geo.records.inspections`).
        districts : GeoDataFrame
            The districts records may belong to (``ubigeo`` + polygons, EPSG:4326).
        user, role : str, optional
            Who imports (default: the store's); the role must be ``planificador``.
        today : date, optional
            Dates after this are errors (default: today).
        limits : (float, int), optional
            Largest file in MB and most rows (see :func:`geo.records.inspections.check_limits`).
        origins : iterable of str, optional
            Every district of Peru, for ``ubigeo_origen``
            (:func:`geo.geography.base.national_ubigeos`).
        history : DataFrame, optional
            The records of the deployment's history file (``[data] inspections``,
            :func:`geo.records.inspections.history_records`), which the model joins with the store
            (an id in both takes the imported version,
            :func:`geo.records.inspections.load_records`).
            Required when the session is limited to some regions (an empty frame when the
            settings name no history file): without it an import could replace another
            region's record.

        Returns
        -------
        ImportResult

        Raises
        ------
        ImportRejected
            Any row is invalid or outside the session's regions, an id belongs to a record
            of another region, or an id already stored has different content: nothing was
            written (the attempt is audited).
        DataError
            The file is empty, unreadable or lacks required columns.
        PermissionDenied
            The role may not import.
        ValueError
            A session limited to some regions gave no ``history``.
        """
        path = Path(path)
        role, user = self._who(role, user)
        self._require(role, user, _CAN_IMPORT, "importar", "import",
                      "importar inspecciones", "import inspections")
        if self.regions and history is None:
            raise ValueError("a store limited to some regions imports only with history= "
                             "(the history file's records; an empty frame when there is none)")
        digest = _sha256(path)
        attempt = {"archivo": path.name, "sha256": digest}
        report = self._validated(path, districts, today, limits, origins, user, role, attempt)
        rows = _to_sql_rows(report.valid)
        lines = report.valid_lines
        known = _history_rows(history, [r[0] for r in rows])
        with self._transaction() as conn:
            # Read the stored versions inside the write transaction: no other import can
            # slip in between the check and the insert.
            stored = _stored_rows(conn, [r[0] for r in rows])
            self._refuse_foreign_ids(conn, stored, known, rows, lines, path, report, user,
                                     role, attempt)
            new, completed, conflicts = _sort_rows(stored, rows, lines)
            if conflicts:
                conn.rollback()
                self._audit(user, role, "importacion_rechazada",
                            {**attempt, "conflictos": [c["id"] for c in conflicts]})
                raise ImportRejected(
                    *_conflict_message(path, conflicts), report=report, conflicts=conflicts
                )
            changes = _changes(completed, new, known)
            previous = tuple(r[0] for r in conn.execute(
                "SELECT id FROM importaciones WHERE sha256 = ? ORDER BY id", (digest,)))
            import_id = self._write(conn, path, digest, user, new, completed, len(rows))
            self._audit_import(conn, user, role, attempt, import_id, new, completed, changes,
                               len(rows))
        return ImportResult(import_id=import_id, added=len(new),
                            already_present=len(rows) - len(new), sha256=digest,
                            report=report, previous_imports=previous,
                            completed=len(completed),
                            corrected=sum(c[CAMBIO_EN] == EN_HISTORICO for c in changes))

    def _validated(self, path: Path, districts: gpd.GeoDataFrame, today: dt.date | None,
                   limits: tuple[float, int] | None, origins: Iterable[str] | None,
                   user: str, role: str, attempt: dict[str, Any]) -> ValidationReport:
        """Validate the file; refuse (audited) any bad row or any row outside the regions."""
        try:
            report = validate_inspections(path, districts, today=today, limits=limits,
                                          origins=origins)
        except DataError as err:
            self._audit(user, role, "importacion_rechazada",
                        {**attempt, "motivo": err.message("es")})
            raise
        if not report.ok:
            self._audit(user, role, "importacion_rechazada",
                        {**attempt, "filas_con_error": len(report.bad_lines)})
            raise ImportRejected(
                es=report.render("es", 20) + "\nNo se importó ninguna fila; el almacén no "
                "cambió.",
                en=report.render("en", 20) + "\nNo row was imported; the store is unchanged.",
                report=report, conflicts=[],
            )
        outside = self._outside_regions(report)
        if outside:
            self._audit(user, role, "importacion_rechazada",
                        {**attempt, "filas_fuera_de_region": len(outside)})
            raise ImportRejected(*_region_message(path, outside, self.regions),
                                 report=report, conflicts=[])
        return report

    def _refuse_foreign_ids(self, conn: sqlite3.Connection, stored: dict[str, tuple[Any, ...]],
                            known: dict[str, tuple[Any, ...]], rows: list[tuple[Any, ...]],
                            lines: list[int], path: Path, report: ValidationReport, user: str,
                            role: str, attempt: dict[str, Any]) -> None:
        """Refuse (audited) ids that a record of another region uses, in the store or history.

        The message names the file's rows and nothing about those records: not their region,
        district or content (not even which columns differ: that would answer guesses).
        """
        foreign = self._foreign_ids(stored, known, rows, lines)
        if not foreign:
            return
        conn.rollback()
        self._audit(user, role, "importacion_rechazada",
                    {**attempt, "ids_de_otra_region": len(foreign),
                     "ids": [i for _, i in foreign][:AUDIT_IDS]})
        raise ImportRejected(*_foreign_message(path, foreign), report=report, conflicts=[])

    def _write(self, conn: sqlite3.Connection, path: Path, digest: str, user: str,
               new: list[tuple[Any, ...]], completed: list[tuple[tuple[Any, ...], list[str]]],
               n_rows: int) -> int:
        """Insert the import, its new records and the completed cells; return its number."""
        cur = conn.execute(
            "INSERT INTO importaciones (fecha_hora, archivo, sha256, filas_nuevas, "
            "filas_existentes, usuario) VALUES (?, ?, ?, ?, ?, ?)",
            (_now(), path.name, digest, len(new), n_rows - len(new), user),
        )
        import_id = int(cur.lastrowid)
        placeholders = ", ".join("?" * (len(RECORD_COLUMNS) + 1))
        conn.executemany(
            f"INSERT INTO inspecciones ({', '.join(RECORD_COLUMNS)}, {IMPORT_ID}) "
            f"VALUES ({placeholders})",
            (row + (import_id,) for row in new),
        )
        for row, differ in completed:
            conn.execute(
                f"UPDATE inspecciones SET {', '.join(f'{c} = ?' for c in differ)} "
                f"WHERE {C.ID} = ?",
                (*(row[RECORD_COLUMNS.index(c)] for c in differ), row[0]))
        return import_id

    def _audit_import(self, conn: sqlite3.Connection, user: str, role: str,
                      attempt: dict[str, Any], import_id: int, new: list[tuple[Any, ...]],
                      completed: list[tuple[tuple[Any, ...], list[str]]],
                      changes: list[dict[str, Any]], n_rows: int) -> None:
        """Audit an accepted import, and every record it changed (id and columns).

        The changes go in the import's row, :data:`AUDIT_CHANGES` at a time; more of them
        follow in rows ``importacion_cambios`` of the same transaction. Only the columns are
        named, never the values: the audit trail is read by administrators, who do not see
        inspection data.
        """
        parts = [changes[i:i + AUDIT_CHANGES] for i in range(0, len(changes), AUDIT_CHANGES)]
        self._audit(user, role, "importacion",
                    {**attempt, "importacion": import_id, "filas_nuevas": len(new),
                     "filas_existentes": n_rows - len(new),
                     **({"filas_completadas": len(completed),
                         "ids_completados": [r[0] for r, _ in completed][:AUDIT_IDS]}
                        if completed else {}),
                     **({"registros_cambiados": len(changes), "cambios": parts[0],
                         **({"partes": len(parts)} if len(parts) > 1 else {})}
                        if changes else {})},
                    conn=conn)
        for number, part in enumerate(parts[1:], start=2):
            self._audit(user, role, "importacion_cambios",
                        {"importacion": import_id, "parte": number, "partes": len(parts),
                         "cambios": part}, conn=conn)

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        """Return the number of records stored in this session's regions (no audit).

        >>> import tempfile, pathlib
        >>> InspectionStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite").count()
        0
        """
        where, params = self._region_clause()
        with closing(self._connect()) as conn:
            return int(conn.execute(f"SELECT count(*) FROM inspecciones {where}",
                                    params).fetchone()[0])

    def records(self, role: str | None = None, user: str | None = None) -> pd.DataFrame:
        """Return every record (record-level, sensitive data; audited).

        Parameters
        ----------
        role, user : str, optional
            Default: the store's. Only ``planificador`` (and the internal ``sistema``)
            may read records.

        Returns
        -------
        DataFrame
            The columns of :data:`geo.records.inspections.RECORD_COLUMNS`, with the dtypes of
            ``ValidationReport.valid``, sorted by date then id.

        Raises
        ------
        PermissionDenied
            For any other role (the refusal is audited too).
        """
        role, user = self._who(role, user)
        self._require(role, user, _CAN_READ_RECORDS, "leer_registros", "read records",
                      "ver registros individuales de inspección; solo agregados por distrito "
                      "(aggregate_by_district)",
                      "see individual inspection records; only aggregates by district "
                      "(aggregate_by_district)")
        where, params = self._region_clause()
        with closing(self._connect()) as conn:
            frame = pd.read_sql_query(
                f"SELECT {', '.join(RECORD_COLUMNS)} FROM inspecciones {where} "
                f"ORDER BY {C.FECHA}, {C.ID}", conn, params=params)
        self._audit(user, role, "lectura_registros",
                    {"filas": len(frame), **self._region_detail()})
        return _typed(frame)

    def aggregate_by_district(
        self,
        role: str | None = None,
        min_count: int = SUPPRESSION_MIN,
        user: str | None = None,
    ) -> pd.DataFrame:
        """Return counts per district, small counts suppressed (what may be exported).

        Parameters
        ----------
        role, user : str, optional
            Default: the store's. Any role may read aggregates.
        min_count : int
            Counts from 1 to ``min_count - 1`` are replaced by missing values and named in
            column ``suprimido``. Only ``planificador``/``sistema`` may go below
            :data:`SUPPRESSION_MIN` (``min_count=1`` shows exact counts).

        Returns
        -------
        DataFrame
            ``ubigeo, n_inspecciones, n_hallazgos, n_victimas, suprimido`` (nullable Int64
            counts; ``n_victimas`` is missing where no record of the district gives it).
        """
        return self._aggregate([C.UBIGEO], role, min_count, user)

    def aggregate_by_year_department(
        self,
        role: str | None = None,
        min_count: int = SUPPRESSION_MIN,
        user: str | None = None,
    ) -> pd.DataFrame:
        """Return counts per year and department (``anio, cod_dep, ...``), as above."""
        return self._aggregate([ANIO, C.COD_DEP], role, min_count, user)

    def imports(self, role: str | None = None, user: str | None = None) -> pd.DataFrame:
        """Return table ``importaciones`` (planificador only; imports into its regions).

        A session limited to some regions sees the imports that brought records of its
        regions, and of each only what concerns them: ``filas_nuevas`` counts the records
        of its regions, and neither the import's number (a sequence shared by every
        region, which would count the others' imports) nor ``filas_existentes`` (not kept
        by region) is given.
        """
        role, user = self._who(role, user)
        self._require(role, user, _CAN_IMPORT, "leer_importaciones", "read imports",
                      "ver el registro de importaciones", "see the import log")
        where, params = self._region_clause()
        if not where:
            with closing(self._connect()) as conn:
                return pd.read_sql_query("SELECT * FROM importaciones ORDER BY id", conn)
        with closing(self._connect()) as conn:
            return pd.read_sql_query(
                "SELECT i.fecha_hora, i.archivo, i.sha256, count(*) AS filas_nuevas, "
                f"i.usuario FROM importaciones AS i JOIN (SELECT {IMPORT_ID} FROM "
                f"inspecciones {where}) AS r ON r.{IMPORT_ID} = i.id GROUP BY i.id "
                "ORDER BY i.id", conn, params=params)

    def audit(self, role: str | None = None, user: str | None = None) -> pd.DataFrame:
        """Return table ``auditoria`` (administrators only; the read itself is audited)."""
        role, user = self._who(role, user)
        self._require_audit(role, user)
        self._audit(user, role, "lectura_auditoria", {})
        with closing(self._connect()) as conn:
            return pd.read_sql_query("SELECT * FROM auditoria ORDER BY id", conn)

    def verify_audit(self) -> A.AuditReport:
        """Check the audit trail: every row's hash, the chain, the seal and the triggers.

        Not a read of anyone's data (only hashes are compared), so any role may ask.
        """
        seal = A.Seal.load(A.seal_path(self.db_path))
        with closing(self._connect()) as conn:
            return A.verify(conn, seal)

    def export_audit(self, out: str | Path) -> tuple[int, A.AuditReport]:
        """Write the whole audit trail to ``out`` (``.csv`` or ``.jsonl``), owner-only.

        Administrators only (the export is audited first). CSV text cells are neutralised
        for spreadsheets (:mod:`geo.records.sheets`); the hashes let anyone holding the export
        check it against the store later. Returns the rows written and the verification.
        """
        role, user = self._who(None, None)
        self._require_audit(role, user)
        out = Path(out)
        if out.suffix.lower() not in (".csv", ".jsonl"):
            raise DataError(
                es=f"{out.name}: la auditoría se exporta como .csv o .jsonl.",
                en=f"{out.name}: the audit trail is exported as .csv or .jsonl.",
            )
        self._audit(user, role, "exportacion_auditoria", {"archivo": out.name})
        report = self.verify_audit()
        with closing(self._connect()) as conn:
            frame = pd.read_sql_query(
                f"SELECT {', '.join(A.COLUMNS)} FROM auditoria ORDER BY id", conn)
        _write_private(out, _audit_text(frame, out.suffix.lower()))
        return len(frame), report

    def record_event(self, action: str, detail: dict[str, Any] | None = None, *,
                     user: str | None = None, role: str | None = None) -> None:
        """Write one event to the audit trail (sign-in, page, district, export …).

        ``user`` and ``role`` default to the store's: the authenticated identity. A failed
        sign-in names the account tried and the role ``ninguno``.
        """
        who = user if user is not None else (self.user or operator())
        self._audit(str(who)[:120], role or self._role_label(self.role or "ninguno"),
                    action, detail or {})

    # -- internals ---------------------------------------------------------------------------

    def _aggregate(self, keys: list[str], role: str | None, min_count: int,
                   user: str | None) -> pd.DataFrame:
        role, user = self._who(role, user)
        self._require(role, user, _CAN_READ_AGGREGATES, "leer_agregados", "read aggregates",
                      "ver agregados", "see aggregates")
        if min_count < SUPPRESSION_MIN and role not in _CAN_READ_RECORDS:
            self._audit(user, role, "denegado", {"accion": "umbral_supresion",
                                                 "min_count": min_count})
            raise PermissionDenied(
                es=f"El rol '{role}' no puede bajar el umbral de supresión de conteos "
                f"pequeños por debajo de {SUPPRESSION_MIN} (se pidió {min_count}).",
                en=f"Role '{role}' may not lower the small-count suppression threshold "
                f"below {SUPPRESSION_MIN} ({min_count} was requested).",
            )
        where, params = self._region_clause()
        with closing(self._connect()) as conn:
            raw = pd.read_sql_query(
                f"SELECT {C.UBIGEO}, substr({C.UBIGEO}, 1, 2) AS {C.COD_DEP}, "
                f"CAST(substr({C.FECHA}, 1, 4) AS INTEGER) AS {ANIO}, "
                f"{C.HALLAZGO}, {C.VICTIMAS} FROM inspecciones {where}", conn, params=params)
        raw[C.VICTIMAS] = raw[C.VICTIMAS].astype("Float64")
        out = (
            raw.groupby(keys, sort=True)
            .agg(**{
                C.N_INSPECCIONES: (C.HALLAZGO, "size"),
                C.N_HALLAZGOS: (C.HALLAZGO, "sum"),
                N_VICTIMAS: (C.VICTIMAS, lambda s: s.sum(min_count=1)),
            })
            .reset_index()
        )
        counts = [C.N_INSPECCIONES, C.N_HALLAZGOS, N_VICTIMAS]
        for col in counts:
            out[col] = out[col].astype("Float64").round().astype("Int64")
        flags = [[] for _ in range(len(out))]
        for col in counts:
            small = (out[col] >= 1) & (out[col] < min_count)
            small = small.fillna(False).to_numpy(dtype=bool)
            for i in small.nonzero()[0]:
                flags[i].append(col)
            out.loc[small, col] = pd.NA
        out[SUPRIMIDO] = [";".join(f) for f in flags]
        self._audit(user, role, "lectura_agregados",
                    {"por": keys, "min_count": min_count, "filas": len(out),
                     **self._region_detail()})
        return out

    def _who(self, role: str | None, user: str | None) -> tuple[str, str]:
        role = role or self.role
        if not role:
            raise PermissionDenied(
                es=f"Indique el rol con que usa el almacén de inspecciones: "
                f"{', '.join(PERSON_ROLES)}.",
                en=f"Say which role uses the inspection store: {', '.join(PERSON_ROLES)}.",
            )
        if role not in PERSON_ROLES and role != ROL_SISTEMA:
            raise PermissionDenied(
                es=f"Rol desconocido: '{role}'. Use uno de: {', '.join(PERSON_ROLES)}.",
                en=f"Unknown role: '{role}'. Use one of: {', '.join(PERSON_ROLES)}.",
            )
        return role, (user or self.user or operator())

    def _role_label(self, role: str) -> str:
        return f"{role}+{ROL_ADMIN}" if self.admin and role not in (ROL_ADMIN, "ninguno") \
            else role

    def _require(self, role: str, user: str, allowed: set[str], action: str, action_en: str,
                 what_es: str, what_en: str) -> None:
        if role in allowed:
            return
        self._audit(user, role, "denegado", {"accion": action})
        raise PermissionDenied(
            es=f"El rol '{role}' no puede {what_es}.",
            en=f"Role '{role}' may not {what_en}.",
        )

    def _require_audit(self, role: str, user: str) -> None:
        if not (self.admin or role in _CAN_READ_AUDIT):
            self._require(role, user, _CAN_READ_AUDIT, "leer_auditoria", "read audit",
                          "ver la auditoría (es del administrador)",
                          "see the audit trail (it is the administrator's)")

    def _region_clause(self) -> tuple[str, list[str]]:
        """Return the SQL ``WHERE`` that keeps this session's departments (none: every row)."""
        if not self.regions:
            return "", []
        marks = ", ".join("?" * len(self.regions))
        return f"WHERE substr({C.UBIGEO}, 1, 2) IN ({marks})", list(self.regions)

    def _region_detail(self) -> dict[str, Any]:
        return {"regiones": list(self.regions)} if self.regions else {}

    def _outside_regions(self, report: ValidationReport) -> list[tuple[int, str]]:
        """``(line, ubigeo)`` of valid rows outside this session's regions."""
        if not self.regions or report.valid.empty:
            return []
        codes = report.valid[C.UBIGEO].astype(str).str.zfill(6)
        return [(line, code) for line, code in zip(report.valid_lines, codes, strict=True)
                if code[:2] not in self.regions]

    def _foreign_ids(self, stored: dict[str, tuple[Any, ...]],
                     known: dict[str, tuple[Any, ...]], rows: list[tuple[Any, ...]],
                     lines: list[int]) -> list[tuple[int, str]]:
        """``(line, id)`` of rows whose id is a record outside the regions, anywhere.

        Anywhere: in the store, or in the history file (``known``) even when the store holds
        the id too (an earlier import may have moved it; the other region's record is still
        one the session may not write over).
        """
        if not self.regions:
            return []
        at = RECORD_COLUMNS.index(C.UBIGEO)

        def elsewhere(rid: str) -> bool:
            return any(rid in where and str(where[rid][at]).zfill(6)[:2] not in self.regions
                       for where in (stored, known))

        return [(line, row[0]) for row, line in zip(rows, lines, strict=True)
                if elsewhere(row[0])]

    def _audit(self, user: str, role: str, action: str, detail: dict[str, Any],
               conn: sqlite3.Connection | None = None) -> None:
        if conn is not None:  # part of the caller's transaction: written with it or not at all
            self._pending = A.append(conn, self._seal, user, self._role_label(role), action,
                                     detail)
            return
        with self._transaction() as own:
            self._pending = A.append(own, self._seal, user, self._role_label(role), action,
                                     detail)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.db_path, timeout=LOCK_WAIT_S, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as err:
            raise DataError(
                es=f"No se pudo abrir el almacén de inspecciones {self.db_path} ({err}). "
                "Revise que la carpeta exista y se pueda escribir.",
                en=f"Could not open the inspection store {self.db_path} ({err}). Check that "
                "the folder exists and is writable.",
            ) from err
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside ``BEGIN IMMEDIATE``; commit on success, else roll back.

        The audit seal is held for the whole transaction (writers queue on it, then on
        SQLite's own lock, always in that order) and advanced after the commit, so the seal
        never names a row that was not committed.
        """
        with _seal_held(A.seal_path(self.db_path)):
            self._seal = A.Seal.load(A.seal_path(self.db_path))
            self._pending: tuple[int, str] | None = None
            with closing(self._connect()) as conn:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as err:
                    if "locked" not in str(err) and "busy" not in str(err):
                        raise
                    raise DataError(
                        es=f"El almacén de inspecciones está ocupado: otra importación está en "
                        f"curso (se esperó {LOCK_WAIT_S:g} s). Vuelva a intentarlo en unos "
                        "minutos; nada se guardó a medias.",
                        en=f"The inspection store is busy: another import is running (waited "
                        f"{LOCK_WAIT_S:g} s). Try again in a few minutes; nothing was half "
                        "saved.") from err
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise
                if conn.in_transaction:
                    conn.commit()
            if self._pending is not None:
                self._seal.advance(*self._pending, locked=True)
                self._pending = None

    def _ensure_schema(self) -> None:
        private_dir(self.db_path.parent)
        if not self.db_path.exists():  # owner-only from the first byte, not chmod-ed later
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        A.owner_only(self.db_path)
        with closing(self._connect()) as conn:
            try:
                version = conn.execute(
                    "SELECT valor FROM meta WHERE clave = 'schema_version'").fetchone()
            except sqlite3.DatabaseError as err:
                if "no such table" not in str(err):
                    raise DataError(
                        es=f"{self.db_path} no es un almacén de inspecciones válido ({err}). "
                        "No lo modifique; indique otro archivo o restaure una copia.",
                        en=f"{self.db_path} is not a valid inspection store ({err}). Leave "
                        "it as is; use another file or restore a backup.",
                    ) from err
                version = None
        seal = A.seal_path(self.db_path)
        if version is not None and int(version[0]) == SCHEMA_VERSION:
            A.owner_only(seal)
            return
        if version is not None and int(version[0]) > SCHEMA_VERSION:
            raise DataError(
                es=f"{self.db_path}: versión de esquema {version[0]}, se esperaba "
                f"{SCHEMA_VERSION}. Actualice riskmap.",
                en=f"{self.db_path}: schema version {version[0]}, expected "
                f"{SCHEMA_VERSION}. Update riskmap.",
            )
        with _seal_held(seal), closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = conn.execute(
                    "SELECT valor FROM meta WHERE clave = 'schema_version'").fetchone() \
                    if version is not None else None
                if current is not None and int(current[0]) == SCHEMA_VERSION:
                    conn.rollback()  # another process created or migrated it meanwhile
                    return
                chained = "hash" in {r[1] for r in conn.execute(
                    "PRAGMA table_info(auditoria)")}
                if current is not None and int(current[0]) < 2 and (chained or seal.exists()):
                    # a store of schema 1 never had a chain or a seal: this one says 1 but
                    # has them, so someone changed its version to have the trail re-signed
                    raise DataError(
                        es=f"{self.db_path}: dice ser de la versión {current[0]} del esquema "
                        "pero su auditoría ya está encadenada y sellada: la versión fue "
                        "cambiada a mano. No se migra ni se vuelve a firmar nada; restaure "
                        "una copia de seguridad.",
                        en=f"{self.db_path}: claims schema version {current[0]} but its audit "
                        "trail is already chained and sealed: the version was changed by "
                        "hand. Nothing is migrated or re-signed; restore a backup.")
                if not seal.exists():
                    A.Seal.create(seal)
                key = A.Seal.load(seal)
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                migrated = _migrate_audit(conn, key) if current is not None and \
                    int(current[0]) < 2 else None
                added = _add_columns(conn)
                A.create_table(conn)
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))
                last = A.append(conn, key, operator(), ROL_SISTEMA,
                                "esquema_actualizado" if current is not None else
                                "almacen_creado",
                                {"version": SCHEMA_VERSION,
                                 **({"filas_selladas": migrated} if migrated is not None else {}),
                                 **({"columnas_nuevas": added} if added else {})})
                conn.commit()
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            key.advance(*last, locked=True)


_HELD_LOCK = threading.local()  # the seal locks this thread holds (see _seal_held)


@contextmanager
def _seal_held(path: Path) -> Iterator[bool]:
    """Hold the seal's lock (re-entrant within a thread); yield whether this call took it."""
    held = getattr(_HELD_LOCK, "paths", None)
    if held is None:
        held = _HELD_LOCK.paths = set()
    key = str(path)
    if key in held:
        yield False
        return
    private_dir(path.parent)
    with A.Seal.lock(path):
        held.add(key)
        try:
            yield True
        finally:
            held.discard(key)


#: Columns added after schema 2, with their SQL type and check (ALTER TABLE ... ADD COLUMN).
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


def operator() -> str:
    """Return the identity of whoever runs riskmap on this machine: ``login@host``.

    The command line is used by people signed in to the server itself, so its audit rows
    name that login, never a name typed on the command line.
    """
    try:
        login = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        login = f"uid{os.getuid()}"
    return f"{login}@{socket.gethostname()}"


# --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    if not path.is_file():
        raise DataError(
            es=f"No existe el archivo {path}. Revise la ruta.",
            en=f"File {path} does not exist. Check the path.",
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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


def _audit_text(frame: pd.DataFrame, suffix: str) -> str:
    if suffix == ".jsonl":
        return "".join(json.dumps(rec, ensure_ascii=False) + "\n"
                       for rec in frame.to_dict("records"))
    from geo.records.sheets import neutralise_frame

    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` created owner-only (0600), atomically (geo.private)."""
    from geo.private import write_private

    write_private(path, text)


# -- backup and restore -------------------------------------------------------------------
@dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore_store` did.

    Attributes
    ----------
    records : int
        Inspection records in the restored store.
    audit_rows : int
        Audit rows of the backup (the restored trail, before the restoration's own row).
    previous_audit : Path or None
        Where the replaced store's audit trail was kept (JSON lines, owner-only).
    previous_rows : int
        Rows of that trail.
    """

    records: int
    audit_rows: int
    previous_audit: Path | None
    previous_rows: int


def backup_store(db_path: str | Path, dest: str | Path, *, user: str = "") -> Path:
    """Copy the store to ``dest`` with SQLite's online backup API (safe while in use).

    The copy carries its own audit seal (table ``respaldo_sello``), so that
    :func:`restore_store` can check it and put the seal back with it: a backup is as
    sensitive as the store and is created owner-only (0600). ``dest`` must not exist.
    """
    db_path, dest = Path(db_path), Path(dest)
    if not db_path.is_file():
        raise DataError(
            es=f"No existe el almacén {db_path}: no hay nada que respaldar.",
            en=f"Store {db_path} does not exist: there is nothing to back up.",
        )
    if dest.exists():
        raise DataError(
            es=f"{dest} ya existe; un respaldo nunca sobrescribe otro. Elija otro nombre "
            "(p. ej. con la fecha).",
            en=f"{dest} already exists; a backup never overwrites another. Choose another "
            "name (e.g. with the date).",
        )
    store = InspectionStore(db_path, role=ROL_SISTEMA, user=user or operator())
    private_dir(dest.parent)
    os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with _seal_held(A.seal_path(db_path)):  # no audit row lands between copy and seal
            with closing(store._connect()) as src, closing(sqlite3.connect(dest)) as dst:
                src.backup(dst)
                seal = A.Seal.load(A.seal_path(db_path))
                dst.execute(f"CREATE TABLE {BACKUP_SEAL_TABLE} (clave TEXT NOT NULL, "
                            "ultima_fila INTEGER NOT NULL, ultimo_hash TEXT NOT NULL, "
                            "creado TEXT NOT NULL)")
                dst.execute(f"INSERT INTO {BACKUP_SEAL_TABLE} VALUES (?, ?, ?, ?)",
                            (A.backup_key_field(seal), seal.last_id, seal.last_hash, _now()))
                dst.commit()
                records = int(dst.execute("SELECT count(*) FROM inspecciones").fetchone()[0])
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    store.record_event("respaldo", {"archivo": dest.name, "sha256": _sha256(dest),
                                    "registros": records})
    return dest


def restore_store(db_path: str | Path, src: str | Path, *, user: str = "",
                  accept_other_store: bool = False) -> RestoreResult:
    """Put a backup made by :func:`backup_store` back as the store at ``db_path``.

    The backup is checked first (SQLite integrity, schema, its audit chain against its
    seal); a damaged or altered one is refused and nothing changes. The audit trail being
    replaced is kept next to the store (``<store>.auditoria-<UTC>.jsonl``, its sha256 in the
    restoration's audit row), the backup is copied in with the online backup API (other
    connections see the old store or the new one, never a mix), its seal is put back, and
    the restoration is audited in both trails: the one replaced and the one restored.

    A backup of another store (sealed with another key) is refused unless
    ``accept_other_store``: a restore must not swap the audit trail for an unrelated one.
    """
    db_path, src = Path(db_path), Path(src)
    key, head = _check_backup(src)
    seal_file = A.seal_path(db_path)
    previous, previous_rows, previous_sha = None, 0, ""
    tmp = db_path.with_name(db_path.name + ".restaurando")
    if db_path.is_file() and seal_file.exists():
        live = A.Seal.load(seal_file)
        if live.key != key and not accept_other_store:
            raise DataError(
                es=f"{src.name} es el respaldo de otro almacén (su auditoría está sellada con "
                "otra clave). No se restaura: reemplazaría la auditoría de este almacén por "
                "una ajena. Si de verdad es lo que quiere, use --otro-almacen.",
                en=f"{src.name} is a backup of another store (its audit trail is sealed with "
                "another key). Not restored: it would replace this store's audit trail with "
                "an unrelated one. If that is really what you want, use --otro-almacen.")
        InspectionStore(db_path, role=ROL_SISTEMA, user=user or operator()).record_event(
            "restauracion_iniciada", {"archivo": src.name, "sha256": _sha256(src),
                                      "otro_almacen": live.key != key})
    with _seal_held(seal_file):
        if db_path.is_file():
            with closing(sqlite3.connect(db_path)) as live:
                has_audit = live.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                         "AND name = 'auditoria'").fetchone()
                if has_audit:
                    frame = pd.read_sql_query("SELECT * FROM auditoria ORDER BY id", live)
                    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
                    previous = db_path.with_name(f"{db_path.name}.auditoria-{stamp}.jsonl")
                    _write_private(previous, _audit_text(frame, ".jsonl"))
                    previous_rows, previous_sha = len(frame), _sha256(previous)
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as source, \
                    closing(sqlite3.connect(tmp)) as copy:
                source.backup(copy)
                copy.execute(f"DROP TABLE {BACKUP_SEAL_TABLE}")
                copy.commit()
                records = int(copy.execute("SELECT count(*) FROM inspecciones").fetchone()[0])
                audit_rows = int(copy.execute("SELECT count(*) FROM auditoria").fetchone()[0])
            if not db_path.exists():
                private_dir(db_path.parent)
                os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            with closing(sqlite3.connect(tmp)) as copy, \
                    closing(sqlite3.connect(db_path, timeout=30.0)) as live:
                copy.backup(live)
            A.owner_only(db_path)
            A.Seal(seal_file, key, head[0], head[1])._write()
        finally:
            tmp.unlink(missing_ok=True)
    store = InspectionStore(db_path, role=ROL_SISTEMA, user=user or operator())
    store.record_event("restauracion", {
        "archivo": src.name, "sha256": _sha256(src), "registros": records,
        "auditoria_anterior": previous.name if previous else None,
        "sha256_auditoria_anterior": previous_sha, "filas_auditoria_anterior": previous_rows})
    return RestoreResult(records=records, audit_rows=audit_rows, previous_audit=previous,
                         previous_rows=previous_rows)


def _check_backup(src: Path) -> tuple[bytes, tuple[int, str]]:
    """Return the backup's seal key and head, after checking it is an intact backup."""
    if not src.is_file():
        raise DataError(es=f"No existe el respaldo {src}.", en=f"Backup {src} does not exist.")
    bad_es = f"{src.name} no es un respaldo de riskmap utilizable"
    bad_en = f"{src.name} is not a usable riskmap backup"
    try:
        with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise DataError(es=f"{bad_es}: SQLite lo encuentra dañado ({check}).",
                                en=f"{bad_en}: SQLite finds it damaged ({check}).")
            row = conn.execute(f"SELECT clave, ultima_fila, ultimo_hash FROM "
                               f"{BACKUP_SEAL_TABLE}").fetchone()
            version = conn.execute(
                "SELECT valor FROM meta WHERE clave = 'schema_version'").fetchone()
            if row is None or version is None or not \
                    MIN_BACKUP_VERSION <= int(version[0]) <= SCHEMA_VERSION:
                raise DataError(
                    es=f"{bad_es}: le falta su sello o es de otra versión del esquema.",
                    en=f"{bad_en}: it lacks its seal or has another schema version.")
            seal = A.Seal.from_backup(src, row[0], int(row[1]), str(row[2]))
            report = A.verify(conn, seal)
    except sqlite3.DatabaseError as err:
        raise DataError(es=f"{bad_es} ({err}).", en=f"{bad_en} ({err}).") from err
    if not report.ok:
        raise DataError(
            es=f"{bad_es}: su auditoría fue alterada; no se restaura.\n{report.render('es')}",
            en=f"{bad_en}: its audit trail was altered; not restored.\n{report.render('en')}")
    head = (seal.last_id, seal.last_hash)
    with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as conn:
        head = A.last_row(conn) if A.last_row(conn)[0] > seal.last_id else head
    return seal.key, head


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give stored records the dtypes of ``ValidationReport.valid``."""
    return records_frame(frame.to_dict("records"))
