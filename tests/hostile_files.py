"""Hostile files for the tests: a decompression bomb dressed as XLSX, a huge CSV (streamed).

In ``tests/`` (on ``sys.path`` through its conftest) so that unit and browser tests share them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

HEADER = "id,fecha,ubigeo,sector,hallazgo_tf\n"


def xlsx_bomb(path: Path, unpacked_mb: int = 1200) -> Path:
    """A valid-looking .xlsx whose sheet unpacks to ``unpacked_mb`` MB (a decompression bomb).

    The sheet is streamed into the zip, so making it needs no memory either.
    """
    row = ('<row><c t="inlineStr"><is><t>' + "A" * 400 + "</t></is></c></row>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            block = row * 2500  # ~1 MB
            for _ in range(unpacked_mb):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    return path


def big_csv(path: Path, megabytes: int) -> Path:
    """A CSV in the inspection contract of about ``megabytes`` MB (fast, streamed)."""
    line = b"ID-000000000,2021-03-15,080101,mineria,1\n"
    block = line * (1_000_000 // len(line))
    with path.open("wb") as fh:
        fh.write(HEADER.encode())
        for _ in range(megabytes):
            fh.write(block)
    return path
