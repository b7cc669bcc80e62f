"""units import: the office's own list of units (XLSX or CSV) as units.toml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.cli.base import Parser, UsageError, command
from ingestd.cli.output import write

if TYPE_CHECKING:
    from ingestd.config import Settings


@command("units")
def units(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.units_import import read_sheets, units_from_sheets

    if args.file.suffix.lower() not in (".xlsx", ".xlsm", ".csv"):
        raise UsageError(f"{args.file.name}: cần tệp .xlsx hoặc .csv")
    try:
        sheets = read_sheets(args.file)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"không đọc được {args.file}: {exc}") from None
    result = units_from_sheets(sheets)
    text = result.toml
    if result.problems:
        text = "".join(f"# CẦN SỬA: {p}\n" for p in result.problems) + text
    if args.out:
        if args.out.exists() and not args.force:
            raise UsageError(f"{args.out} đã có; dùng --force để ghi đè, hoặc chọn tệp khác")
        args.out.write_text(text, encoding="utf-8")
        write(f"Đã ghi {result.units} đơn vị vào {args.out}. Kiểm tra: ingestd check")
    else:
        write(text)
    for p in result.problems:
        sys.stderr.write(f"ingestd units import: {p}\n")
    return 1 if result.problems else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("units", help="units from the office's spreadsheet")
    us = s.add_subparsers(dest="action", required=True, parser_class=Parser)
    u = us.add_parser("import", help="XLSX or CSV -> units.toml")
    u.add_argument("file", type=Path)
    u.add_argument("--out", type=Path, help="write here (default: print)")
    u.add_argument("--force", action="store_true", help="overwrite --out")
