"""The register as CSV (UTF-8 with BOM, for Excel) and XLSX. Every text from mail is written
as text, never as a formula (see ``ingestd.cells``)."""

from __future__ import annotations

import io
from typing import Any

from starlette.responses import Response

from ingestd.cells import csv_text, xlsx_row

_KEYS = ["id", "received_at", "source", "sender", "subject", "own_number", "unit", "state",
         "reason", "message_id", "sha256"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(rows: list[dict[str, Any]], fmt: str) -> Response:
    table = [[*(d[k] for k in _KEYS),
              ";".join(f"{m['report']}@{m['period'] or ''}" for m in d["matches"])] for d in rows]
    head = [*_KEYS, "matches"]
    if fmt == "csv":
        return Response(("\ufeff" + csv_text(head, table)).encode("utf-8"), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="so-van-ban-den.csv"'})
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sổ văn bản đến")
    ws.append(head)
    for r in table:
        ws.append(xlsx_row(ws, r))
    out = io.BytesIO()
    wb.save(out)
    return Response(out.getvalue(), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="so-van-ban-den.xlsx"'})
