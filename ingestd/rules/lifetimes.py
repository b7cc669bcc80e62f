"""Units over time, checked as a whole: successors that exist and do not loop, dates in order,
and an address (or gateway identifier) held by two units only when they never exist at the
same time — an address may move from a unit to its successor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ingestd.rules.model import Unit

Report = Callable[[str, str, str, str], None]     # (unit id, key, message, hint)


def _overlap(a: Unit, b: Unit) -> bool:
    start = max(a.valid_from or date.min, b.valid_from or date.min)
    end = min(a.valid_until or date.max, b.valid_until or date.max)
    return start <= end


def check_lifetimes(units: dict[str, Unit], problem: Report) -> None:
    for u in units.values():
        if u.valid_from and u.valid_until and u.valid_from > u.valid_until:
            problem(u.id, "valid_from", f"đơn vị {u.id}: valid_from {u.valid_from:%d/%m/%Y} sau "
                    f"valid_until {u.valid_until:%d/%m/%Y}", "đổi lại cho đúng thứ tự ngày")
        if u.successor is not None:
            if u.successor not in units:
                problem(u.id, "successor", f'đơn vị {u.id}: đơn vị kế thừa "{u.successor}" không có '
                        "trong units.toml", "khai báo đơn vị kế thừa, hoặc sửa mã")
            elif u.valid_until is None:
                problem(u.id, "successor", f"đơn vị {u.id} có successor nhưng không có valid_until",
                        "ghi ngày cuối cùng đơn vị còn tồn tại: valid_until = 2025-06-30")
        seen, cur = {u.id}, u
        while cur.successor and cur.successor in units:
            if cur.successor in seen:
                problem(u.id, "successor", f"đơn vị kế thừa của {u.id} lặp vòng ("
                        + " → ".join([*seen, cur.successor]) + ")", "mỗi chuỗi kế thừa phải có điểm cuối")
                break
            seen.add(cur.successor)
            cur = units[cur.successor]
    for key, what in (("emails", "địa chỉ"), ("organ_ids", "mã định danh")):
        holders: dict[str, list[Unit]] = {}
        written: dict[str, str] = {}
        for u in units.values():
            for value in getattr(u, key):
                holders.setdefault(value.lower(), []).append(u)
                written.setdefault(value.lower(), value)
        for lowered, us in holders.items():
            value = written[lowered]
            for i, a in enumerate(us):
                for b in us[i + 1:]:
                    if _overlap(a, b):
                        problem(b.id, "emails" if key == "emails" else "organ_id",
                                f'{what} "{value}" có ở cả đơn vị "{a.id}" và "{b.id}" trong cùng '
                                "thời gian", "mỗi địa chỉ chỉ thuộc một đơn vị tại một thời điểm "
                                "(một đơn vị kế thừa có thể nhận địa chỉ của đơn vị cũ sau ngày "
                                "valid_until của nó)")
