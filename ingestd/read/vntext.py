"""Vietnamese text: NFC normalisation and a diacritics-folded form for matching.

``fold`` maps each character of NFC text to one character (``Văn bản`` -> ``van ban``,
``Đ``/``Ð`` -> ``d``), so positions in the folded text are positions in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPECIAL = {"đ": "d", "Đ": "d", "Ð": "d", "ð": "d", "\u00a0": " ", "\u2013": "-", "\u2014": "-",
            "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00ad": "-"}


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, 0x2020):
        ch = chr(cp)
        if ch in _SPECIAL:
            table[cp] = _SPECIAL[ch]
            continue
        base = unicodedata.normalize("NFD", ch)
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if len(stripped) == 1 and stripped != ch and stripped.isascii():
            table[cp] = stripped.lower()
    for ch, rep in _SPECIAL.items():
        table[ord(ch)] = rep
    return table


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, diacritics removed, dashes unified; one output char per input char."""
    return text.translate(_fold_table()).lower()


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_VIETNAMESE = re.compile("[\u1ea0-\u1ef9ăĂơƠưƯđĐ]")


def clean(text: str) -> str:
    """NFC, without NULs and other control characters except newline and tab."""
    text = _CONTROL.sub("", nfc(text))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def has_vietnamese(text: str) -> bool:
    """True when the text holds letters only Vietnamese uses (ă, ơ, ư, đ, tone-marked vowels)."""
    return _VIETNAMESE.search(text) is not None


_WORD = re.compile(r"[^\W\d_]+")
_MARKED = re.compile("[\u00c0-\u1ef9ăĂơƠưƯđĐ]")


def reads_as_vietnamese(text: str) -> bool:
    """False for the garbage a scanner's own recognition writes over a Vietnamese page
    (``CONG Hcok xA HQI CHiJ NGHiA ... s6 76O/UBND-TII ngay IO/5/2OI9``): few syllables carry
    the diacritics Vietnamese needs, and many tokens are not words — cased at random, or
    letters standing for digits. Prose in another language (an English PDF) has no diacritics
    but real words, and passes; so do short texts."""
    words = _WORD.findall(text)
    if len(words) < 12:
        return True
    marked = sum(1 for w in words if _MARKED.search(w)) / len(words)
    if marked >= 0.15:
        return True
    tokens = text.split()
    odd = sum(1 for w in words if _odd_case(w)) / len(words)
    mixed = sum(1 for t in tokens if _MIXED.search(t)) / max(1, len(tokens))
    return odd + mixed < 0.08


_MIXED = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]")        # "76O", "2OI9", "s6"; not "760/UBND"


def _odd_case(word: str) -> bool:
    """A lower-case letter followed by an upper-case one: "Hcok" is fine, "CHiJ" and "xA" are not."""
    return any(a.islower() and b.isupper() for a, b in zip(word, word[1:]))
