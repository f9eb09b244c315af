r"""The inspection store: a SQLite database of validated records, with roles and an audit trail.

Inspection records name victims and places; they are protected by design:

* **All or nothing.** :meth:`InspectionStore.import_file` validates the whole file first.
  If any row is invalid, or an ``id`` already stored comes back with different content,
  nothing is written and :class:`ImportRejected` (a :class:`~geo.errors.DataError`
  carrying the :class:`~geo.inspections.ValidationReport` and the conflicts) is raised.
  Otherwise every row goes in one SQLite transaction; a crash mid-import leaves the store
  as it was (SQLite's journal rolls the transaction back).
* **Idempotent.** An ``id`` already stored with identical content is skipped, never
  duplicated; each import is recorded (when, file name, sha256, rows added, rows already
  present, user).
* **Roles.** ``planificador`` imports and reads record-level data; ``gobierno_regional``
  and ``investigador`` read only aggregates with small counts suppressed (1 to
  ``min_count - 1`` shown as missing and flagged); ``sistema`` is the model-fitting
  pipeline, which reads records but cannot import.
* **Audit.** Every import (accepted or rejected), every read of record-level data or of
  aggregates, and every refused request is a row of table ``auditoria``.

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
geo.store.PermissionDenied: El rol 'investigador' no puede ver registros individuales ...
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import columns as C
from geo.errors import DataError, RiskmapError
from geo.inspections import (
    RECORD_COLUMNS,
    ValidationReport,
    records_frame,
    validate_inspections,
)

__all__ = [
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

ROL_PLANIFICADOR = "planificador"
ROL_GOBIERNO_REGIONAL = "gobierno_regional"
ROL_INVESTIGADOR = "investigador"
ROL_SISTEMA = "sistema"  # the model-fitting pipeline: reads records, never imports
#: Roles a person can hold (``sistema`` is internal).
ROLES = (ROL_PLANIFICADOR, ROL_GOBIERNO_REGIONAL, ROL_INVESTIGADOR)
_CAN_IMPORT = {ROL_PLANIFICADOR}
_CAN_READ_RECORDS = {ROL_PLANIFICADOR, ROL_SISTEMA}
_CAN_READ_AGGREGATES = {ROL_PLANIFICADOR, ROL_GOBIERNO_REGIONAL, ROL_INVESTIGADOR, ROL_SISTEMA}
#: Smallest suppression threshold roles without record access may ask for.
SUPPRESSION_MIN = 5

# Aggregate column names (candidates for geo.columns, which this module does not own).
N_VICTIMAS = "n_victimas"
SUPRIMIDO = "suprimido"  # ";"-separated names of the counts suppressed in that row
ANIO = "anio"
IMPORT_ID = "import_id"
SCHEMA_VERSION = 1

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
    {IMPORT_ID} INTEGER NOT NULL REFERENCES importaciones(id)
);
CREATE INDEX IF NOT EXISTS inspecciones_ubigeo ON inspecciones({C.UBIGEO});
CREATE TABLE IF NOT EXISTS auditoria (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fecha_hora TEXT NOT NULL,
    usuario TEXT NOT NULL,
    rol TEXT NOT NULL,
    accion TEXT NOT NULL,
    detalle TEXT NOT NULL              -- JSON
);
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
    """

    import_id: int
    added: int
    already_present: int
    sha256: str
    report: ValidationReport = field(repr=False)
    previous_imports: tuple[int, ...] = ()


class InspectionStore:
    """A SQLite database of inspection records (created on first use).

    Parameters
    ----------
    db_path : str or Path
        The database file (default location: :func:`geo.paths.store_path`).
    role : str, optional
        The role of the session using the store (one of :data:`ROLES`); methods take a
        ``role=`` argument that overrides it. Without any role, every method refuses.
    user : str, optional
        Who uses the store, for the audit table (default: the login name).
    """

    def __init__(self, db_path: str | Path, *, role: str | None = None, user: str = "") -> None:
        self.db_path = Path(db_path)
        self.role = role
        self.user = user
        self._ensure_schema()

    # -- writing ---------------------------------------------------------------------------

    def import_file(
        self,
        path: str | Path,
        districts: gpd.GeoDataFrame,
        user: str = "",
        *,
        role: str | None = None,
        today: dt.date | None = None,
    ) -> ImportResult:
        """Validate a file and store all its records, or none.

        Parameters
        ----------
        path : str or Path
            A file in the inspection contract (see :mod:`geo.inspections`).
        districts : GeoDataFrame
            The districts records may belong to (``ubigeo`` + polygons, EPSG:4326).
        user, role : str, optional
            Who imports (default: the store's); the role must be ``planificador``.
        today : date, optional
            Dates after this are errors (default: today).

        Returns
        -------
        ImportResult

        Raises
        ------
        ImportRejected
            Any row is invalid, or an id already stored has different content: nothing
            was written (the attempt is audited).
        DataError
            The file is empty, unreadable or lacks required columns.
        PermissionDenied
            The role may not import.
        """
        path = Path(path)
        role, user = self._who(role, user)
        self._require(role, user, _CAN_IMPORT, "importar", "import",
                      "importar inspecciones", "import inspections")
        digest = _sha256(path)
        try:
            report = validate_inspections(path, districts, today=today)
        except DataError as err:
            self._audit(user, role, "importacion_rechazada",
                        {"archivo": path.name, "sha256": digest, "motivo": err.message("es")})
            raise
        if not report.ok:
            self._audit(user, role, "importacion_rechazada",
                        {"archivo": path.name, "sha256": digest,
                         "filas_con_error": len(report.bad_lines)})
            raise ImportRejected(
                es=report.render("es", 20) + "\nNo se importó ninguna fila; el almacén no "
                "cambió.",
                en=report.render("en", 20) + "\nNo row was imported; the store is unchanged.",
                report=report, conflicts=[],
            )
        rows = _to_sql_rows(report.valid)
        lines = report.valid_lines
        with self._transaction() as conn:
            # Read the stored versions inside the write transaction: no other import can
            # slip in between the check and the insert.
            stored = _stored_rows(conn, [r[0] for r in rows])
            conflicts = []
            new = []
            for row, line in zip(rows, lines, strict=True):
                old = stored.get(row[0])
                if old is None:
                    new.append(row)
                elif not _same(old, row):
                    conflicts.append({
                        "id": row[0], "line": line,
                        "columns": [c for c, a, b in zip(RECORD_COLUMNS, old, row, strict=True)
                                    if not _same((a,), (b,))],
                    })
            if conflicts:
                conn.rollback()
                self._audit(user, role, "importacion_rechazada",
                            {"archivo": path.name, "sha256": digest,
                             "conflictos": [c["id"] for c in conflicts]})
                raise ImportRejected(
                    *_conflict_message(path, conflicts), report=report, conflicts=conflicts
                )
            previous = tuple(r[0] for r in conn.execute(
                "SELECT id FROM importaciones WHERE sha256 = ? ORDER BY id", (digest,)))
            cur = conn.execute(
                "INSERT INTO importaciones (fecha_hora, archivo, sha256, filas_nuevas, "
                "filas_existentes, usuario) VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), path.name, digest, len(new), len(rows) - len(new), user),
            )
            import_id = int(cur.lastrowid)
            placeholders = ", ".join("?" * (len(RECORD_COLUMNS) + 1))
            conn.executemany(
                f"INSERT INTO inspecciones ({', '.join(RECORD_COLUMNS)}, {IMPORT_ID}) "
                f"VALUES ({placeholders})",
                (row + (import_id,) for row in new),
            )
            self._audit(user, role, "importacion",
                        {"archivo": path.name, "sha256": digest, "importacion": import_id,
                         "filas_nuevas": len(new), "filas_existentes": len(rows) - len(new)},
                        conn=conn)
        return ImportResult(import_id=import_id, added=len(new),
                            already_present=len(rows) - len(new), sha256=digest,
                            report=report, previous_imports=previous)

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        """Return the number of records stored (not sensitive: no audit, any role).

        >>> import tempfile, pathlib
        >>> InspectionStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite").count()
        0
        """
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT count(*) FROM inspecciones").fetchone()[0])

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
            The columns of :data:`geo.inspections.RECORD_COLUMNS`, with the dtypes of
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
        with closing(self._connect()) as conn:
            frame = pd.read_sql_query(
                f"SELECT {', '.join(RECORD_COLUMNS)} FROM inspecciones "
                f"ORDER BY {C.FECHA}, {C.ID}", conn)
        self._audit(user, role, "lectura_registros", {"filas": len(frame)})
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
        """Return table ``importaciones`` (planificador only)."""
        role, user = self._who(role, user)
        self._require(role, user, _CAN_IMPORT, "leer_importaciones", "read imports",
                      "ver el registro de importaciones", "see the import log")
        with closing(self._connect()) as conn:
            return pd.read_sql_query("SELECT * FROM importaciones ORDER BY id", conn)

    def audit(self, role: str | None = None, user: str | None = None) -> pd.DataFrame:
        """Return table ``auditoria`` (planificador only; the read itself is audited)."""
        role, user = self._who(role, user)
        self._require(role, user, _CAN_IMPORT, "leer_auditoria", "read audit",
                      "ver la auditoría", "see the audit trail")
        self._audit(user, role, "lectura_auditoria", {})
        with closing(self._connect()) as conn:
            return pd.read_sql_query("SELECT * FROM auditoria ORDER BY id", conn)

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
        with closing(self._connect()) as conn:
            raw = pd.read_sql_query(
                f"SELECT {C.UBIGEO}, substr({C.UBIGEO}, 1, 2) AS {C.COD_DEP}, "
                f"CAST(substr({C.FECHA}, 1, 4) AS INTEGER) AS {ANIO}, "
                f"{C.HALLAZGO}, {C.VICTIMAS} FROM inspecciones", conn)
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
                    {"por": keys, "min_count": min_count, "filas": len(out)})
        return out

    def _who(self, role: str | None, user: str | None) -> tuple[str, str]:
        role = role or self.role
        if not role:
            raise PermissionDenied(
                es=f"Indique el rol con que usa el almacén de inspecciones: "
                f"{', '.join(ROLES)}.",
                en=f"Say which role uses the inspection store: {', '.join(ROLES)}.",
            )
        if role not in ROLES and role != ROL_SISTEMA:
            raise PermissionDenied(
                es=f"Rol desconocido: '{role}'. Use uno de: {', '.join(ROLES)}.",
                en=f"Unknown role: '{role}'. Use one of: {', '.join(ROLES)}.",
            )
        return role, (user or self.user or _login())

    def _require(self, role: str, user: str, allowed: set[str], action: str, action_en: str,
                 what_es: str, what_en: str) -> None:
        if role in allowed:
            return
        self._audit(user, role, "denegado", {"accion": action})
        raise PermissionDenied(
            es=f"El rol '{role}' no puede {what_es}.",
            en=f"Role '{role}' may not {what_en}.",
        )

    def _audit(self, user: str, role: str, action: str, detail: dict[str, Any],
               conn: sqlite3.Connection | None = None) -> None:
        row = (_now(), user, role, action, json.dumps(detail, ensure_ascii=False))
        sql = ("INSERT INTO auditoria (fecha_hora, usuario, rol, accion, detalle) "
               "VALUES (?, ?, ?, ?, ?)")
        if conn is not None:  # part of the caller's transaction: written with it or not at all
            conn.execute(sql, row)
            return
        with self._transaction() as own:
            own.execute(sql, row)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
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
        """Yield a connection inside ``BEGIN IMMEDIATE``; commit on success, else roll back."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            if conn.in_transaction:
                conn.commit()

    def _ensure_schema(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
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
        if version is not None:
            if int(version[0]) != SCHEMA_VERSION:
                raise DataError(
                    es=f"{self.db_path}: versión de esquema {version[0]}, se esperaba "
                    f"{SCHEMA_VERSION}. Actualice riskmap.",
                    en=f"{self.db_path}: schema version {version[0]}, expected "
                    f"{SCHEMA_VERSION}. Update riskmap.",
                )
            return
        with self._transaction() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))


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


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "desconocido"


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
    if column in (C.HALLAZGO, C.TRABAJADORES, C.VICTIMAS):
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


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give stored records the dtypes of ``ValidationReport.valid``."""
    return records_frame(frame.to_dict("records"))
