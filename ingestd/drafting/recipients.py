"""Who a directive asks: the ``Kính gửi:`` list (else ``Nơi nhận:`` without ``Như trên``,
``Lưu`` and the leaders who only receive a copy), resolved to groups by their names in
``units.toml`` and to units by names, aliases and former names. Words that name nobody known
are kept, to be shown as a ``# TODO`` with what was seen."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ingestd.rules.model import Rulebook, name_key

# Abbreviations offices write for the words in units.toml, and the reverse.
_ABBREVIATIONS = [("uy ban nhan dan", "ubnd"), ("thanh pho", "tp"), ("hoi dong nhan dan", "hdnd"),
                  ("ke hoach va dau tu", "kh&dt"), ("thi xa", "tx")]
# Words before a name that say who in it acts, and the filler between names.
_TITLES = re.compile(r"^(?:(?:thu truong|giam doc|chu tich|truong ban|cuc truong|chanh van phong"
                     r"|lanh dao)\s+)+")
_FILLER = {"va", "cac", "cung", "co", "quan", "don", "vi", "lien", "kinh", "gui", "nhu",
           "sau", "tinh", "thuoc", "truc", "duoi", "day"}
# A name this long (letters) may be recognised with OCR errors, this much alike.
_NEAR_MIN, _NEAR = 14, 0.9
# Who is on a Nơi nhận list only to be informed (never asked for a report).
_COPY_ONLY = re.compile(
    r"^(?:nhu tren|luu\b|tt\b|thuong truc|ct\b|chu tich|pct\b|cac pct|pho chu tich|cvp|pcvp"
    r"|lanh dao|ld\b|van phong chinh phu|bo\b(?!\s+chi\s+huy)|cac bo|tinh uy|hdnd|doan dbqh|cong bao"
    r"|cong thong tin|trung tam|chuyen vien|cv\b|vt\b|bao\b|dai\b|website)")


@dataclass
class Recipients:
    refs: list[str] = field(default_factory=list)        # "@so-nganh", "so-tc" in the order written
    unresolved: list[str] = field(default_factory=list)  # the words that named nobody known
    quote: str = ""


def _variants(name: str) -> set[str]:
    key = name_key(name)
    out = {key}
    for long, short in _ABBREVIATIONS:
        for k in list(out):
            out.add(k.replace(long, short))
            out.add(re.sub(rf"\b{re.escape(short)}\b", long, k))
    # "Các sở, ban, ngành tỉnh" is also written "... thuộc tỉnh", "... trên địa bàn tỉnh", or
    # without the place word
    for k in list(out):
        for tail in (" tinh", " thanh pho"):
            if k.endswith(tail):
                base = k[: -len(tail)]
                out |= {base, base + " thuoc" + tail, base + " tren dia ban" + tail}
    return {v for v in out if v}


class Names:
    """Every group's and unit's name as compared (with its variants), longest first: built once
    per draft, asked of every sentence."""

    def __init__(self, book: Rulebook):
        pairs: dict[str, set[str]] = {}
        for gid, gname in book.groups.items():
            for v in _variants(gname):
                pairs.setdefault(v, set()).add(f"@{gid}")
        for unit in book.units.values():
            for name in (unit.name, *unit.aliases, *unit.former_names):
                for v in _variants(name):
                    pairs.setdefault(v, set()).add(unit.id)
        # a name two units share names neither
        unique = [(k, next(iter(refs))) for k, refs in sorted(pairs.items(), key=lambda kv: -len(kv[0]))
                  if len(refs) == 1]
        self.patterns = [(re.compile(rf"(?<![\w&]){re.escape(k)}(?![\w&])"), ref) for k, ref in unique]
        # letters only, for names OCR damaged ("ban quan iy duan" for "ban quan ly du an")
        self.letters = [(k.replace(" ", ""), ref) for k, ref in unique
                        if len(k.replace(" ", "")) >= _NEAR_MIN]

    def _found(self, key: str) -> list[tuple[int, int, str]]:
        """(start, end, reference) of each name in ``key``, longest first, no word used twice."""
        out: list[tuple[int, int, str]] = []
        taken = [False] * len(key)
        for pattern, ref in self.patterns:
            for m in pattern.finditer(key):
                if not any(taken[m.start():m.end()]):
                    taken[m.start():m.end()] = [True] * (m.end() - m.start())
                    out.append((m.start(), m.end(), ref))
        masked = "".join(" " if t else c for c, t in zip(key, taken))
        return sorted(out + self._near(masked))

    def _near(self, key: str) -> list[tuple[int, int, str]]:
        """Names read with an OCR error or two: a run of whole words whose letters (spaces
        ignored, as OCR drops and adds them) are at least 90 % like a long name's."""
        words = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\s&]+", key)]
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(words):
            best: tuple[float, int, str] | None = None
            for name, ref in self.letters:
                run = ""
                for j in range(i, len(words)):
                    run += words[j][2]
                    if len(run) > len(name) + 3:
                        break
                    if len(run) < len(name) - 3:
                        continue
                    m = SequenceMatcher(None, run, name, autojunk=False)
                    if m.quick_ratio() >= _NEAR and (r := m.ratio()) >= _NEAR \
                            and (best is None or r > best[0]):
                        best = (r, j, ref)
            if best is None:
                i += 1
                continue
            out.append((words[i][0], words[best[1]][1], best[2]))
            i = best[1] + 1
        return out

    def resolve(self, text: str) -> tuple[list[str], list[str]]:
        """The groups and units ``text`` names, in the order written, and the pieces of text
        left over that name nobody known."""
        key = _TITLES.sub("", name_key(text))
        found = self._found(key)
        left = list(key)
        for start, end, _ in found:
            left[start:end] = " " * (end - start)
        leftover = [" ".join(w for w in piece.split() if w not in _FILLER)
                    for piece in re.split(r"\s{2,}", "".join(left))]
        return list(dict.fromkeys(ref for _, _, ref in found)), [p for p in leftover if len(p) > 2]

    def words_before(self, text: str) -> int:
        """How many words of ``text`` come before the first name it holds (after its first
        word: a title "Báo cáo Sở …" is not a name); all of them when it holds none."""
        key = name_key(text)
        starts = [s for s, _, _ in self._found(key) if s > 0]
        return len(key[:min(starts)].split()) if starts else len(key.split())


def _items(block: str) -> list[str]:
    """A list as offices write it: one item a line (``- Sở Tài chính;``), or several on the
    line after ``Kính gửi:``, separated by ``;``."""
    items = []
    for line in block.splitlines():
        line = line.strip().lstrip("-–+•*").strip()
        items.extend(p.strip(" .,;") for p in line.split(";") if p.strip(" .,;"))
    return items


def read_recipients(kinh_gui: str | None, noi_nhan: str | None, names: Names) -> Recipients:
    """``kinh_gui``/``noi_nhan``: the text of each block without its label (None when absent)."""
    if kinh_gui and kinh_gui.strip():
        items, quote = _items(kinh_gui), "Kính gửi: " + " ".join(kinh_gui.split())
    elif noi_nhan:
        items = [i for i in _items(noi_nhan) if not _COPY_ONLY.match(name_key(i))]
        quote = "Nơi nhận: " + " ".join(noi_nhan.split())
    else:
        return Recipients()
    out = Recipients(quote=quote[:300])
    for item in items:
        refs, left = names.resolve(item)
        out.refs.extend(r for r in refs if r not in out.refs)
        if left or not refs:
            out.unresolved.append(item)
    return out
