"""Inspection records: the contract, the store, the indicators and their disclosure control.

Confidential by nature: what a role may see of them is decided by :mod:`geo.trust`; what a
protected role may receive of their counts by :mod:`.sdc`.

The imports go one way, from the contract up:

* :mod:`.contract` — a record's columns, the 11 ILO indicators, the count names (a leaf);
  :mod:`.classification` — the ICLS rule (``config/indicadores_oit.toml``);
  :mod:`.sheets` — cells a spreadsheet reads as text (:mod:`.workbook` — an XLSX of them);
  :mod:`.sdc` — linked-table suppression.
* :mod:`.reading` — a file into a table of strings; :mod:`.validation` — every row checked.
* :mod:`.store` — the SQLite store (schema, imports, reads and roles, audit, backups).
* :mod:`.inspections` — the records a model uses (history file plus store), and the public
  names of the contract, reading and validation; :mod:`.indicators` — the indicator tables
  and what a role without record access receives of them.
"""
