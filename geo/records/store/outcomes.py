"""What the store's operations give back or raise: refusals and import results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geo.errors import DataError, RiskmapError
from geo.records.validation import ValidationReport

__all__ = ["ImportRejected", "ImportResult", "PermissionDenied"]


class PermissionDenied(RiskmapError):
    """The role in use may not do what was asked."""


class ImportRejected(DataError):
    """An import wrote nothing: some rows are invalid or conflict with stored records.

    ``text`` is a message (anything with ``.message(lang)``), written when shown.

    Attributes
    ----------
    report : ValidationReport
        The validation of the file (row errors with line, column and reason).
    conflicts : list of dict
        ``{"id", "line", "columns"}`` for each id already stored with different content.
    """

    def __init__(self, text: Any, report: ValidationReport,
                 conflicts: list[dict[str, Any]]) -> None:
        super().__init__("registros.rechazo_importacion", text=text)
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

