"""Numbers that OCR (or a hurried typist) got one character wrong: ``1285/UBND-VX ngày
14/3/2021`` where a tracked directive is ``1235/UBND-VX`` of that very day. Such a reference is
never counted silently; it sends the receipt to review with the directive suggested, for a
clerk to confirm in one click. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from ingestd.read.refs import Ref
from ingestd.rules.model import Directive

# digits a scanner or a phone photo turns into one another
CONFUSABLE = ({"3", "8"}, {"1", "7"}, {"0", "6", "9"}, {"5", "6"})


def _confusable(a: str, b: str) -> bool:
    return any(a in group and b in group for group in CONFUSABLE)


def one_confusable_apart(a: int, b: int) -> bool:
    """The two numbers, written out, differ in exactly one digit, and those two digits are
    easily mistaken for each other."""
    x, y = str(a), str(b)
    if len(x) != len(y):
        return False
    diffs = [(p, q) for p, q in zip(x, y) if p != q]
    return len(diffs) == 1 and _confusable(*diffs[0])


def _notation(ref: Ref) -> str:
    return ref.doc.key.split("/", 1)[1] if not ref.doc.party else ref.doc.key.split("-", 1)[1]


def near_misses(refs: Iterable[Ref], directives: Iterable[Directive]) -> list[tuple[Ref, Directive]]:
    """(reference as read, the tracked directive it may stand for): same notation and the same
    written date, the number one confusable digit apart. A reference without a written date is
    never a near miss: numbers restart every year, and the date is what makes the guess safe."""
    tracked = list(directives)
    out = []
    for ref in refs:
        if ref.own or ref.date is None:
            continue
        for d in tracked:
            same_kind = d.doc.party == ref.doc.party and d.doc.year == ref.doc.year
            if (same_kind and d.date == ref.date and _notation(ref) == d.doc.key.split(
                    "-" if d.doc.party else "/", 1)[1]
                    and one_confusable_apart(ref.doc.number, d.doc.number)):
                out.append((ref, d))
    return out
