"""Reading TOML files so that every later error can name file:line.

``tomllib`` gives values but no positions. ``TomlFile`` keeps the source text and an index
from key paths (``("report", 1, "due")``) to line numbers, built by a light scan of the lines
that follows the table headers. It is exact for the plain layouts that admins write.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingestd.errors import Problem

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=""")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")

Path_ = tuple[str | int, ...]


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


@dataclass
class TomlFile:
    """A parsed TOML file with positions. ``data`` is None when the file failed to parse."""

    path: Path
    display: str
    text: str
    data: dict[str, Any] | None
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, display: str | None = None) -> TomlFile:
        display = display or display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            return cls(path, display, "", None, problems=[Problem(
                display, None, f"không phải văn bản UTF-8 ({exc.reason} tại byte {exc.start})",
                "lưu tệp ở dạng UTF-8")])
        except OSError as exc:
            return cls(path, display, "", None, problems=[Problem(
                display, None, f"không đọc được: {exc.strerror}", "kiểm tra đường dẫn và quyền đọc")])
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = _TOML_POS.search(msg)
            line = int(m.group(1)) if m else None
            msg = _TOML_POS.sub("", msg).strip()
            return cls(path, display, text, None, problems=[Problem(
                display, line, f"lỗi cú pháp TOML: {msg}",
                "sửa cú pháp (chuỗi phải đặt trong dấu nháy, ngày viết 2019-05-20)")])
        tf = cls(path, display, text, data)
        tf._index()
        return tf

    def _index(self) -> None:
        counters: dict[tuple[str, ...], int] = {}
        prefix: Path_ = ()
        in_multiline = False
        for no, raw in enumerate(self.text.splitlines(), start=1):
            line = raw.strip()
            if in_multiline:
                if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                    in_multiline = False
                continue
            m = _HEADER.match(raw)
            if m and not _KEY.match(raw):
                names = tuple(_unquote(p.strip()) for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    idx = counters.get(names, -1) + 1
                    counters[names] = idx
                    prefix = (*names, idx)
                else:
                    prefix = names
                self.lines.setdefault(prefix, no)
                continue
            m = _KEY.match(raw)
            if m:
                key = _unquote(m.group(1))
                self.lines.setdefault((*prefix, key), no)
                rest = raw[m.end():]
                if rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1:
                    in_multiline = True

    def line_of(self, path: Path_, value: Any = None) -> int | None:
        """Line of the key at ``path`` (or of ``value`` inside a multi-line array there)."""
        probe = path
        while probe:
            if probe in self.lines:
                start = self.lines[probe]
                if value is not None and isinstance(value, str) and probe == path:
                    needle = f'"{value}"'
                    for offset, text in enumerate(self.text.splitlines()[start - 1:start + 200]):
                        if needle in text:
                            return start + offset
                return start
            probe = probe[:-1]
        return None

    def problem(self, path: Path_, message: str, hint: str = "", value: Any = None) -> None:
        self.problems.append(Problem(self.display, self.line_of(path, value), message, hint))


def display_path(path: Path) -> str:
    """A path as the user typed it around here: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# -- typed access with validation -------------------------------------------------------------

_TYPE_NAMES = {
    str: "một chuỗi trong dấu nháy",
    int: "một số nguyên",
    bool: "true hoặc false",
    list: "một danh sách [ ... ]",
    date: "một ngày dạng 2019-05-20",
    dict: "một bảng",
}


class Table:
    """One TOML table being validated: typed getters record problems instead of raising."""

    def __init__(self, tf: TomlFile, path: Path_, data: dict[str, Any], allowed: set[str]):
        self.tf, self.path, self.data = tf, path, data
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f'có phải ý anh/chị là "{close[0]}"?' if close else (
                    "các khóa được dùng: " + ", ".join(sorted(allowed)))
                tf.problem((*path, key), f'khóa không hợp lệ "{key}"', hint)

    def where(self, key: str) -> Path_:
        return (*self.path, key)

    def problem(self, key: str, message: str, hint: str = "", value: Any = None) -> None:
        self.tf.problem(self.where(key), message, hint, value)

    def get(self, key: str, typ: type, default: Any = None, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                self.tf.problem(self.path, f'thiếu khóa "{key}"',
                                f"thêm {key} = <{_tname(typ)}>")
            return default
        value = self.data[key]
        ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
        if typ is date and isinstance(value, datetime):
            ok = False
        if not ok:
            self.problem(key, f"{key} = {_show(value)} không phải {_tname(typ)}",
                         f"viết {key} là {_tname(typ)}")
            return default
        return value

    def str_list(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.get(key, list, default if default is not None else [])
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            else:
                self.problem(key, f"{key} có {_show(item)}, không phải chuỗi",
                             'đặt mỗi mục trong dấu nháy, ví dụ ["a", "b"]')
        return out

    def choice(self, key: str, choices: list[str], default: str | None = None,
               required: bool = False) -> str | None:
        value = self.get(key, str, default, required)
        if value is not None and value not in choices:
            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
            hint = f'có phải là "{close[0]}"? ' if close else ""
            self.problem(key, f'{key} = "{value}" không hợp lệ',
                         hint + "được dùng: " + " | ".join(choices))
            return default
        return value

    def tables(self, key: str) -> list[dict[str, Any]]:
        value = self.data.get(key, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, f"{key} phải viết thành các bảng [[{key}]]",
                         f"bắt đầu mỗi mục bằng dòng [[{key}]]")
            return []
        return value


def _tname(typ: Any) -> str:
    if isinstance(typ, tuple):
        return "một số"
    return _TYPE_NAMES.get(typ, getattr(typ, "__name__", str(typ)))


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
