"""Units from the spreadsheet an office already keeps (SPEC, "Units from a spreadsheet"):
XLSX or CSV rows -> a ``units.toml`` that ``check`` accepts, with every problem named by
sheet, row and column. Pure apart from reading the file.

The header is the first row that names at least two known columns (title rows and merged
title cells above it are skipped). Columns are known by their Vietnamese or English names.
A cell may hold several addresses. Ids are ASCII slugs made from the names when the sheet has
no id column — the same sheet always gives the same ids; groups are made from the group
column's names the same way."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ingestd.read.vntext import fold, nfc

COLUMNS = {
    "name": ("ten don vi", "ten co quan, don vi", "ten co quan don vi", "ten co quan", "don vi", "name"),
    "id": ("ma", "ma don vi", "id"),
    "aliases": ("ten viet tat", "ten khac", "viet tat", "aliases"),
    "group": ("nhom", "nhom don vi", "group", "groups"),
    "emails": ("email", "thu dien tu", "dia chi thu dien tu", "hop thu", "emails"),
    "organ_id": ("ma dinh danh", "ma dinh danh dien tu", "organ_id", "organ id"),
    "valid_from": ("tu ngay", "valid_from", "ngay thanh lap"),
    "valid_until": ("den ngay", "valid_until", "ngay giai the"),
    "successor": ("don vi ke thua", "ke thua", "successor"),
    "former_names": ("ten cu", "former_names"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SPLIT = re.compile(r"[;,\n]+")


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]


@dataclass
class ImportResult:
    toml: str
    units: int
    problems: list[str] = field(default_factory=list)


def _key(header: object) -> str | None:
    text = " ".join(fold(nfc(str(header or ""))).replace("*", " ").split()).strip(" :.")
    for col, names in COLUMNS.items():
        if text in names:
            return col
    return None


def slug(text: str, limit: int = 40) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(nfc(text))).split()
    out = ""
    for w in words:
        if len(out) + len(w) + 1 > limit and out:
            break
        out = f"{out}-{w}" if out else w
    return out or "don-vi"


def _day(value: object) -> date | None | str:
    """A date cell: an Excel date, or text dd/mm/yyyy or yyyy-mm-dd; the text itself when it
    is not a date (for the problem message)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        return text


def read_sheets(path: Path) -> list[Sheet]:
    if path.suffix.lower() == ".csv":
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [Sheet(path.name, [list(r) for r in csv.reader(io.StringIO(text), dialect)])]
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [Sheet(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
    finally:
        wb.close()


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class _Row:
    sheet: str
    index: int
    values: list[object]
    columns: dict[str, int]

    def cell(self, key: str) -> object:
        i = self.columns.get(key)
        return self.values[i] if i is not None and i < len(self.values) else None

    def at(self, key: str) -> str:
        """Where a cell is, as the office's spreadsheet program names it."""
        return f"{self.sheet}, dòng {self.index + 1}, cột {_col_letter(self.columns[key])}"


def units_from_sheets(sheets: list[Sheet]) -> ImportResult:
    problems: list[str] = []
    units: list[dict[str, object]] = []
    groups: dict[str, str] = {}
    taken: set[str] = set()
    seen_email: dict[str, str] = {}
    for sheet in sheets:
        header_at, cols = None, {}
        for r, row in enumerate(sheet.rows):
            found = {i: _key(v) for i, v in enumerate(row)}
            found = {i: k for i, k in found.items() if k}
            if "name" in found.values() and len(found) >= 2:
                header_at, cols = r, found
                break
        if header_at is None:
            continue
        where_col = {k: i for i, k in cols.items()}
        for r in range(header_at + 1, len(sheet.rows)):
            row = sheet.rows[r]
            line = _Row(sheet.name, r, row, where_col)
            cell, at = line.cell, line.at
            if all(v in (None, "") or not str(v).strip() for v in row):
                continue                       # a blank row
            name = " ".join(nfc(str(cell("name") or "")).split())
            if not name:
                problems.append(f"{sheet.name}, dòng {r + 1}: không có tên đơn vị — ghi tên vào cột "
                                f"{_col_letter(where_col['name'])} hoặc xóa dòng")
                continue
            given = str(cell("id") or "").strip().lower() if "id" in where_col else ""
            uid = slug(given or name)
            if uid in taken:
                if given:
                    problems.append(f"{at('id')}: mã đơn vị \"{given}\" đã dùng ở dòng trên — mỗi đơn "
                                    "vị một mã")
                    continue
                n = 2
                while f"{uid}-{n}" in taken:
                    n += 1
                uid = f"{uid}-{n}"
            unit: dict[str, object] = {"id": uid, "name": name}
            if "aliases" in where_col and cell("aliases"):
                unit["aliases"] = [a.strip() for a in _SPLIT.split(str(cell("aliases"))) if a.strip()]
            if "former_names" in where_col and cell("former_names"):
                unit["former_names"] = [a.strip() for a in str(cell("former_names")).split(";") if a.strip()]
            if "group" in where_col and cell("group"):
                gids = []
                for gname in re.split(r"[;\n]+", str(cell("group"))):     # names have commas
                    gname = " ".join(nfc(gname).split())
                    if gname:
                        gid = slug(gname, 30)
                        groups.setdefault(gid, gname)
                        gids.append(gid)
                unit["groups"] = gids
            if "emails" in where_col and cell("emails"):
                emails = []
                for e in _SPLIT.split(str(cell("emails"))):
                    e = e.strip().strip("<>").lower()
                    if not e:
                        continue
                    if not _EMAIL.match(e):
                        problems.append(f"{at('emails')}: \"{e}\" không phải địa chỉ thư điện tử")
                    elif e in seen_email:
                        problems.append(f"{at('emails')}: địa chỉ \"{e}\" đã có ở đơn vị "
                                        f"{seen_email[e]} — mỗi địa chỉ thuộc một đơn vị")
                    else:
                        seen_email[e] = uid
                        emails.append(e)
                if emails:
                    unit["emails"] = emails
            if "organ_id" in where_col and cell("organ_id"):
                ids = [o.strip() for o in _SPLIT.split(str(cell("organ_id"))) if o.strip()]
                unit["organ_id"] = ids[0] if len(ids) == 1 else ids
            for key in ("valid_from", "valid_until"):
                if key in where_col:
                    day = _day(cell(key))
                    if isinstance(day, str):
                        problems.append(f"{at(key)}: \"{day}\" không phải ngày — viết ví dụ 01/07/2025")
                    elif day is not None:
                        unit[key] = day
            if "successor" in where_col and cell("successor"):
                unit["successor_name"] = " ".join(nfc(str(cell("successor"))).split())
                unit["_at"] = at("successor")
            taken.add(uid)
            units.append(unit)
    by_name = {fold(str(u["name"])): str(u["id"]) for u in units}
    by_id = {str(u["id"]) for u in units}
    for u in units:
        ref = u.pop("successor_name", None)
        where = u.pop("_at", "")
        if ref:
            target = ref.lower() if ref.lower() in by_id else by_name.get(fold(str(ref)))
            if target is None:
                problems.append(f"{where}: đơn vị kế thừa \"{ref}\" không có trong bảng")
            else:
                u["successor"] = target
                if "valid_until" not in u:
                    problems.append(f"{where}: {u['id']} có đơn vị kế thừa nhưng chưa có ngày cuối "
                                    "(cột Đến ngày)")
    if not units:
        problems.append("không tìm thấy dòng tiêu đề có cột tên đơn vị (Tên đơn vị, Tên cơ quan, "
                        "đơn vị hoặc name)")
    return ImportResult(_toml(units, groups), len(units), problems)


def _q(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _toml(units: list[dict[str, object]], groups: dict[str, str]) -> str:
    out = ["# units.toml made by `ingestd units import` — check it with `ingestd check`", ""]
    if groups:
        out.append("[groups]")
        out += [f"{gid} = {_q(name)}" for gid, name in sorted(groups.items())]
        out.append("")
    for u in units:
        out.append("[[unit]]")
        out += [f"{k} = {_q(v)}" for k, v in u.items()]
        out.append("")
    return "\n".join(out)
