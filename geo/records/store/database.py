"""The inspection store: :class:`InspectionStore`, its connection, imports, reads and roles."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.messages import Message, Rendered
from geo.private import private_dir
from geo.records.contract import ANIO, N_VICTIMAS, RECORD_COLUMNS, SUPRIMIDO
from geo.records.store.changes import (
    CAMBIO_EN,
    EN_HISTORICO,
    _changes,
    _conflict_message,
    _foreign_message,
    _history_rows,
    _region_message,
    _sort_rows,
    _stored_rows,
    _to_sql_rows,
)
from geo.records.store.outcomes import ImportRejected, ImportResult, PermissionDenied
from geo.records.store.schema import (
    _SCHEMA,
    IMPORT_ID,
    SCHEMA_VERSION,
    _add_columns,
    _migrate_audit,
    _typed,
)
from geo.records.store.trail import _audit_text, _now, _seal_held, _sha256, _write_private, operator
from geo.records.validation import ValidationReport, validate_inspections
from geo.trust import audit as A
from geo.trust.access import (
    DATA_ROLES,
    PERSON_ROLES,
    ROL_ADMIN,
    ROL_GOBIERNO_REGIONAL,
    ROL_INVESTIGADOR,
    ROL_PLANIFICADOR,
    ROL_SISTEMA,
)

__all__ = ["LOCK_WAIT_S", "ROLES", "SUPPRESSION_MIN", "InspectionStore"]

#: Roles that see inspection data (``admin`` and the internal ``sistema`` are not among them).
ROLES = DATA_ROLES
_CAN_IMPORT = {ROL_PLANIFICADOR}
_CAN_READ_RECORDS = {ROL_PLANIFICADOR, ROL_SISTEMA}
_CAN_READ_AGGREGATES = {ROL_PLANIFICADOR, ROL_GOBIERNO_REGIONAL, ROL_INVESTIGADOR, ROL_SISTEMA}
_CAN_READ_AUDIT = {ROL_ADMIN, ROL_SISTEMA}
#: Smallest suppression threshold roles without record access may ask for.
SUPPRESSION_MIN = 5

#: At most this many ids in one audit row's list, and changed records per audit row (more
#: changes follow in further rows of the same transaction: every one is audited).
AUDIT_IDS = 200
AUDIT_CHANGES = 500
LOCK_WAIT_S = 30.0  # how long a writer waits for another one (an import) before it says so


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
                      "registros.permiso.importar")
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
                raise ImportRejected(_conflict_message(path, conflicts), report=report,
                                     conflicts=conflicts)
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
            raise ImportRejected(Message("registros.filas_con_error_nada_importado",
                                         {"report": Rendered(report, 20)}),
                                 report=report, conflicts=[])
        outside = self._outside_regions(report)
        if outside:
            self._audit(user, role, "importacion_rechazada",
                        {**attempt, "filas_fuera_de_region": len(outside)})
            raise ImportRejected(_region_message(path, outside, self.regions),
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
        raise ImportRejected(_foreign_message(path, foreign), report=report, conflicts=[])

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
                      "registros.permiso.leer_registros")
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
                      "registros.permiso.leer_importaciones")
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
            raise DataError("registros.auditoria_exporta_csv_jsonl", name=out.name)
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
                      "registros.permiso.leer_agregados")
        if min_count < SUPPRESSION_MIN and role not in _CAN_READ_RECORDS:
            self._audit(user, role, "denegado", {"accion": "umbral_supresion",
                                                 "min_count": min_count})
            raise PermissionDenied("registros.rol_no_puede_bajar", role=role,
                                   suppression_min=SUPPRESSION_MIN, min_count=min_count)
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
            raise PermissionDenied("registros.indique_rol_con_usa",
                                   person_roles=', '.join(PERSON_ROLES))
        if role not in PERSON_ROLES and role != ROL_SISTEMA:
            raise PermissionDenied("registros.rol_desconocido_use", role=role,
                                   person_roles=', '.join(PERSON_ROLES))
        return role, (user or self.user or operator())

    def _role_label(self, role: str) -> str:
        return f"{role}+{ROL_ADMIN}" if self.admin and role not in (ROL_ADMIN, "ninguno") \
            else role

    def _require(self, role: str, user: str, allowed: set[str], action: str, action_en: str,
                 what: str) -> None:
        if role in allowed:
            return
        self._audit(user, role, "denegado", {"accion": action})
        raise PermissionDenied("registros.rol_no_puede", role=role, what=Message(what))

    def _require_audit(self, role: str, user: str) -> None:
        if not (self.admin or role in _CAN_READ_AUDIT):
            self._require(role, user, _CAN_READ_AUDIT, "leer_auditoria", "read audit",
                          "registros.permiso.leer_auditoria")

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
            raise DataError("registros.no_pudo_abrir_almacen", db_path=self.db_path,
                            err=err) from err
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
                    raise DataError("registros.almacen_inspecciones_ocupado_otra",
                                    lock_wait_s=LOCK_WAIT_S) from err
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
                    raise DataError("registros.no_almacen_inspecciones_valido",
                                    db_path=self.db_path, err=err) from err
                version = None
        seal = A.seal_path(self.db_path)
        if version is not None and int(version[0]) == SCHEMA_VERSION:
            A.owner_only(seal)
            return
        if version is not None and int(version[0]) > SCHEMA_VERSION:
            raise DataError("registros.version_esquema_esperaba_actualice", db_path=self.db_path,
                            version=version[0], schema_version=SCHEMA_VERSION)
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
                    raise DataError("registros.dice_version_esquema_auditoria",
                                    db_path=self.db_path, current=current[0])
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

