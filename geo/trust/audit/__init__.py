r"""The audit trail that proves itself: append-only, hash-chained, sealed and anchored.

Every row of table ``auditoria`` carries ``hash_anterior`` (the previous row's hash) and
``hash`` = HMAC-SHA256 over the row's own values and ``hash_anterior``, with a key kept
outside the database. So:

* an **edited** row no longer matches its hash (and without the key nobody can forge one);
* a **deleted** row breaks the chain (the next row points at a hash that is not there);
* **truncation** (deleting the last rows) is caught by the *seal*: a small owner-only file
  next to the database, ``<store>.sello``, holding the id and hash of the last row written,
  updated after every append;
* SQLite triggers refuse ``UPDATE`` and ``DELETE`` on the table, so an edit needs the
  triggers dropped first — which :func:`verify` reports too.

**The key lives outside the store's folder** (``[audit] key_file`` or ``key_env``,
:class:`KeySource`); the seal names where and carries the key's fingerprint, never the key.
A store made before ``[audit]`` keeps its key in its seal (version 1) until
:func:`move_key` moves it out; :func:`key_advice` says so.

**Anchors.** Whoever holds the key (root on the server) can still re-chain the trail and
rewrite the seal. :func:`anchor` appends the sealed head (row id, hash, time, signed with a
key derived from the audit key) to a *witness* outside the store's folder (:class:`Witness`:
an append-only file on another mount, an HTTP endpoint or a syslog server), and the seal
anchors by itself, after a write, when the last anchor is older than ``[audit]
anchor_every_minutes`` (:meth:`Seal.advance`). :func:`check_witness` then names every
anchored row the store no longer has, or has with another hash: an edit, a deletion, a
truncation, a re-chaining or a rollback to an older copy of anything the witness has seen.
A legitimate ``riskmap store restore`` is recognised by its ``restauracion`` row and the
replaced trail it keeps beside the store, which must hold the anchored rows.

The seal is updated after the row's transaction commits, never before (a crash in between
leaves rows *after* the seal, reported as a note, not as tampering: the chain still proves
them). A store whose seal or key is missing refuses to write more audit rows: an audit
trail that cannot be checked is not kept going silently.

The package, by concern: :mod:`~geo.trust.audit.rows` (the table, a row's hash),
:mod:`~geo.trust.audit.chain` (append and verify), :mod:`~geo.trust.audit.keys` (where the
key lives), :mod:`~geo.trust.audit.seal` (the seal, backups, moving the key),
:mod:`~geo.trust.audit.witness` and :mod:`~geo.trust.audit.anchors` (anchoring, and checking
against the witness), :mod:`~geo.trust.audit.store_settings` (which ``[audit]`` speaks for a
store). Where the key and the witness may be is a rule of the settings
(:func:`geo.config.audit.place_refusal`).

Examples
--------
>>> import sqlite3, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> conn = sqlite3.connect(d / "s.sqlite", isolation_level=None)
>>> create_table(conn)
>>> seal = Seal.create(d / "s.sqlite.sello")
>>> append(conn, seal, "ana", "planificador", "lectura_registros", {"filas": 3})[0]
1
>>> seal.advance(*last_row(conn))
>>> verify(conn, seal).ok
True
>>> _ = conn.execute("DROP TRIGGER auditoria_sin_cambios")
>>> _ = conn.execute("UPDATE auditoria SET usuario = 'otro' WHERE id = 1")
>>> report = verify(conn, seal)
>>> report.ok, report.problems[0].row
(False, 1)
"""

from geo.config.audit import place_refusal
from geo.trust.audit.anchors import RESTORATION, anchor, check_witness
from geo.trust.audit.chain import AuditProblem, AuditReport, append, verify
from geo.trust.audit.keys import KEY_BYTES, KeySource, key_fingerprint, owner_only
from geo.trust.audit.rows import COLUMNS, GENESIS, TRIGGERS, create_table, last_row, row_hash
from geo.trust.audit.seal import (
    Anchoring,
    Seal,
    anchor_entry,
    backup_carries_key,
    backup_key_field,
    key_advice,
    move_key,
    seal_path,
)
from geo.trust.audit.store_settings import settings_for, use_settings
from geo.trust.audit.witness import (
    ANCHOR,
    ANCHOR_TIMEOUT_S,
    ANCHOR_VERSION,
    SYSLOG_PORT,
    SYSLOG_PRIORITY,
    Witness,
)

__all__ = [
    "ANCHOR",
    "anchor",
    "anchor_entry",
    "ANCHOR_TIMEOUT_S",
    "ANCHOR_VERSION",
    "Anchoring",
    "append",
    "AuditProblem",
    "AuditReport",
    "backup_carries_key",
    "backup_key_field",
    "check_witness",
    "COLUMNS",
    "create_table",
    "GENESIS",
    "key_advice",
    "KEY_BYTES",
    "key_fingerprint",
    "KeySource",
    "last_row",
    "move_key",
    "owner_only",
    "place_refusal",
    "RESTORATION",
    "row_hash",
    "Seal",
    "seal_path",
    "settings_for",
    "SYSLOG_PORT",
    "SYSLOG_PRIORITY",
    "TRIGGERS",
    "use_settings",
    "verify",
    "Witness",
]
