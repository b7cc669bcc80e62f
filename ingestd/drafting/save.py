"""Saving a confirmed draft into ``rules/directives/``: a new file only (never overwriting, never
through a link planted where the file would go), written whole before it appears (the daemon
watching the folder never reads half a file), and only when ``check`` accepts the whole
rules folder with it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ingestd.drafting.checking import problems_with
from ingestd.errors import IngestdError, Problem

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.toml$")
MAX_CHARS = 200_000


class SaveRefused(IngestdError):
    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        super().__init__(message)


def save_draft(rules_dir: Path, file_name: str, text: str) -> Path:
    """Write ``text`` as ``rules_dir/directives/file_name``; raises ``SaveRefused`` (in
    Vietnamese, with ``check``'s problems) instead."""
    if not _FILE_NAME.match(file_name) or ".." in file_name:
        raise SaveRefused(f'tên tệp "{file_name}" không hợp lệ: dùng chữ không dấu, số, dấu - '
                          "và đuôi .toml (ví dụ 245-UBND-TH-2026.toml)")
    if len(text) > MAX_CHARS:
        raise SaveRefused(f"nội dung dài quá {MAX_CHARS} ký tự")
    folder = rules_dir / "directives"
    target = folder / file_name
    if os.path.lexists(target):
        raise SaveRefused(f"rules/directives/{file_name} đã có: không ghi đè; chọn tên khác "
                          "hoặc sửa tệp đó trực tiếp")
    problems = problems_with(rules_dir, file_name, text)
    if problems:
        raise SaveRefused("ingestd check chưa chấp nhận bản nháp — sửa rồi lưu lại", problems)
    tmp = folder / f".{file_name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, target)           # fails if the name was taken meanwhile: no overwrite
        except FileExistsError:
            raise SaveRefused(f"rules/directives/{file_name} vừa được tạo: không ghi đè") from None
    finally:
        os.unlink(tmp)
    return target
