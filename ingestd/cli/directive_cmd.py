"""directive draft: a directive's rules drafted from the directive itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.cli.base import Parser, UsageError, command
from ingestd.cli.output import write

if TYPE_CHECKING:
    from ingestd.config import Settings

MAX_FILE_BYTES = 50 * 1024 * 1024


@command("directive")
def directive(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.drafting.checking import problems_with
    from ingestd.drafting.draft import draft_directive, to_toml
    from ingestd.drafting.text import read_files
    from ingestd.rules import load_rules

    files = []
    for path in args.files:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise UsageError(f"{path}: tệp quá lớn ({path.stat().st_size} byte)")
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise UsageError(f"không đọc được {path}: {exc.strerror or exc}") from None
    book = load_rules(settings.rules_dir)
    text = read_files(files, settings.limits)
    for problem in text.problems:
        sys.stderr.write(f"ingestd directive draft: {problem}\n")
    if not text.text.strip():
        raise UsageError("không đọc được chữ nào trong văn bản"
                         + (" (ảnh chụp cần Tesseract: apt-get install tesseract-ocr-vie)"
                            if not settings.limits.ocr else ""))
    draft = draft_directive(text.text, book)
    toml = to_toml(draft, ", ".join(p.name for p in args.files))
    out: Path | None = args.out
    if out is not None and out.is_dir():
        out = out / draft.file_name
    if out is not None:
        if out.exists() and not args.force:
            raise UsageError(f"{out} đã có; dùng --force để ghi đè, hoặc chọn tệp khác")
        out.write_text(toml, encoding="utf-8")
        write(f"Đã ghi bản nháp {out}: văn bản {draft.number.value if draft.number else '(chưa rõ số)'}, "
              f"{len(draft.reports)} báo cáo.")
    else:
        write(toml.rstrip("\n"))
    left = problems_with(settings.rules_dir, out.name if out else draft.file_name, toml)
    if not draft.reports:
        sys.stderr.write("ingestd directive draft: văn bản không có yêu cầu báo cáo nào có thời hạn\n")
    for p in left:
        sys.stderr.write(f"Còn cần điền: {p}\n")
    if not left:
        sys.stderr.write("ingestd check chấp nhận bản nháp; đọc lại từng giá trị với văn bản "
                         "trước khi lưu vào rules/directives/\n")
    return 1 if left else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("directive", help="draft a directive's rules from the directive")
    ds = s.add_subparsers(dest="action", required=True, parser_class=Parser)
    d = ds.add_parser("draft", help="PDF, scan, photo, DOCX, .eml or edXML -> directive TOML")
    d.add_argument("files", type=Path, nargs="+", help="the directive (several files: its pages)")
    d.add_argument("--out", type=Path, help="write here (a file, or a folder) — default: print")
    d.add_argument("--force", action="store_true", help="overwrite --out")
