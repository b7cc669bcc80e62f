"""Legacy Vietnamese 8-bit encodings still found in government files: TCVN3 (ABC; .VnTime
fonts) and VNI-Windows. Such text arrives as Latin-1-looking characters (``B¸o c¸o``,
``Baùo caùo``); ``to_unicode`` detects which one it is and converts it.

The tables are built from the structure of each encoding rather than typed out by hand.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ingestd.read.vntext import fold, has_vietnamese

# Tone order used below: none, grave, acute, hook, tilde, dot.
_TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
# TCVN3 (lower case): base vowel -> codes for the six tones.
_TCVN3_VOWELS = {
    "a": "aµ¸¶·¹", "ă": "¨»¾¼½Æ", "â": "©ÇÊÈÉË", "e": "eÌÐÎÏÑ", "ê": "ªÒÕÓÔÖ",
    "i": "i×ÝØÜÞ", "o": "oßãáâä", "ô": "«åèæçé", "ơ": "¬êíëìî", "u": "uïóñòô",
    "ư": "\u00adõøö÷ù", "y": "yúýûüþ",
}
_TCVN3_OTHER = {"đ": "®", "Ă": "¡", "Â": "¢", "Đ": "§", "Ê": "£", "Ô": "¤", "Ơ": "¥", "Ư": "¦"}

# VNI-Windows: marks after an ASCII base letter. Lower-case forms; upper case uses the
# upper-case Latin-1 letter at the same position.
_VNI_TONE = {"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRC = {"": "â", "\u0300": "à", "\u0301": "á", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0300": "è", "\u0301": "é", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
               "ỵ": "î"}


def _compose(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


@lru_cache(maxsize=1)
def tcvn3_decode_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for base, codes in _TCVN3_VOWELS.items():
        for tone, code in zip(_TONES, codes):
            if code.isascii():
                continue
            table[code] = _compose(base, tone)
    for uni, code in _TCVN3_OTHER.items():
        table[code] = uni
    return table


def _vni_encode_char(ch: str) -> str | None:
    lower = ch.lower()
    upper = ch != lower
    if lower in _VNI_SINGLE:
        out = _VNI_SINGLE[lower]
        return out.upper() if upper else out
    decomposed = unicodedata.normalize("NFD", lower)
    base, marks = decomposed[0], decomposed[1:]
    if base not in "aeiouy" or not marks:
        return None
    tone = next((m for m in marks if m in _VNI_TONE), "")
    shape = next((m for m in marks if m not in _VNI_TONE), "")
    if shape == "\u0302":        # circumflex
        mark = _VNI_CIRC[tone]
    elif shape == "\u0306":      # breve
        mark = _VNI_BREVE[tone]
    elif shape == "\u031b":      # horn: ơ, ư carry their tone after the single char
        head = _VNI_SINGLE["ơ" if base == "o" else "ư"]
        mark = _VNI_TONE[tone] if tone else ""
        out = head + mark
        return out.upper() if upper else out
    elif not shape:
        mark = _VNI_TONE[tone]
    else:
        return None
    out = base + mark
    return out.upper() if upper else out


@lru_cache(maxsize=1)
def vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(unicode -> VNI, VNI sequence -> unicode)."""
    enc: dict[str, str] = {}
    for cp in list(range(0xC0, 0x1B1)) + list(range(0x1EA0, 0x1EFA)):
        ch = chr(cp)
        code = _vni_encode_char(ch)
        if code and code != ch:
            enc[ch] = code
    dec = {v: k for k, v in enc.items()}
    return enc, dec


def encode_vni(text: str) -> str:
    enc, _ = vni_tables()
    return "".join(enc.get(c, c) for c in unicodedata.normalize("NFC", text))


def encode_tcvn3(text: str) -> str:
    inverse = {v: k for k, v in tcvn3_decode_table().items()}
    out = []
    for c in unicodedata.normalize("NFC", text):
        if c in inverse:
            out.append(inverse[c])
        elif c.lower() in inverse and c not in _TCVN3_OTHER:
            out.append(inverse[c.lower()])     # .VnTime has no upper-case toned letters
        else:
            out.append(c)
    return "".join(out)


def decode_tcvn3(text: str) -> str:
    return text.translate(str.maketrans(tcvn3_decode_table()))


@lru_cache(maxsize=1)
def _vni_pattern() -> re.Pattern[str]:
    _, dec = vni_tables()
    keys = sorted(dec, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys))


def decode_vni(text: str) -> str:
    _, dec = vni_tables()
    return _vni_pattern().sub(lambda m: dec[m.group(0)], text)


_COMMON = re.compile(
    r"\b(cua|va|cac|bao cao|thuc hien|ngay|thang|nam|so|tinh|uy ban|nhan dan|ve viec|"
    r"duoc|trong|theo|den|nguoi|nhung|cong|dong|chi|kinh te|xa hoi)\b")


def _score(text: str) -> int:
    """How Vietnamese a text looks: common Vietnamese words written with their diacritics
    (a Latin-1 text decoded by mistake yields letters, but not words)."""
    words = 0
    for m in _COMMON.finditer(fold(text)):
        if m.group(0) in ("va", "so", "nam", "chi"):
            continue
        if text[m.start():m.end()].lower() != m.group(0):      # it had diacritics
            words += 1
    return words


_LATIN1_HIGH = re.compile("[\u00a0-\u00ff]")


def detect_legacy(text: str, font: str | None = None) -> str | None:
    """'tcvn3', 'vni' or None. A font name (.VnTime, VNI-Times) decides when given."""
    if font:
        f = font.lower()
        if f.startswith(".vn"):
            return "tcvn3"
        if f.startswith("vni"):
            return "vni"
    if has_vietnamese(text) or not _LATIN1_HIGH.search(text):
        return None
    sample = text[:20000]
    base = _score(sample)
    candidates = {"tcvn3": _score(decode_tcvn3(sample)), "vni": _score(decode_vni(sample))}
    best = max(candidates, key=lambda k: candidates[k])
    return best if candidates[best] >= max(2, base + 2) else None


def to_unicode(text: str, font: str | None = None) -> tuple[str, str | None]:
    """Convert legacy-encoded text; returns (text, encoding found or None)."""
    kind = detect_legacy(text, font)
    if kind == "tcvn3":
        return decode_tcvn3(text), kind
    if kind == "vni":
        return decode_vni(text), kind
    return text, None


def encode_cp1258(text: str) -> bytes:
    """Encode as windows-1258 the way Windows does: precomposed base letters (â, ơ, ư, ...)
    followed by a combining tone mark. Used to produce test and sample data."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in decomposed[1:] if m in _VNI_TONE)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _VNI_TONE))
        out += base.encode("cp1258", errors="replace") + tones.encode("cp1258")
    return bytes(out)
