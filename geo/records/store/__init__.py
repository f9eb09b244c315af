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
geo.records.store.outcomes.PermissionDenied: El rol 'investigador' no puede ver registros ...
"""

from geo.records.contract import ANIO, N_VICTIMAS, SUPRIMIDO
from geo.records.store.backups import RestoreResult, backup_store, restore_store
from geo.records.store.database import LOCK_WAIT_S, ROLES, SUPPRESSION_MIN, InspectionStore
from geo.records.store.outcomes import ImportRejected, ImportResult, PermissionDenied
from geo.records.store.schema import SCHEMA_VERSION
from geo.records.store.trail import operator
from geo.trust.access import (
    ROL_ADMIN,
    ROL_GOBIERNO_REGIONAL,
    ROL_INVESTIGADOR,
    ROL_PLANIFICADOR,
    ROL_SISTEMA,
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
    # also importable from here, as before the store became a package
    "ANIO",
    "LOCK_WAIT_S",
    "N_VICTIMAS",
    "SCHEMA_VERSION",
    "SUPRIMIDO",
]
