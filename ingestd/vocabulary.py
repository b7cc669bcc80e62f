"""The words users read for the program's states, in one place: the CLI, the digest, the web
console and the reports all say the same thing."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum


class ReceiptState(StrEnum):
    """Where a receipt stands. A str: stored, compared and printed as its value."""

    NEW = "new"              # stored, not yet read and matched
    MATCHED = "matched"      # counts (the engine's matches, or a clerk's assignment)
    REVIEW = "review"        # waiting for a clerk, with the reason
    IGNORED = "ignored"      # kept, counts for nothing (auto-reply, status package, revoked ...)
    FAILED = "failed"        # could not be read, or quarantined after crashing the reader


REVIEW_STATES = (ReceiptState.REVIEW, ReceiptState.FAILED)

STATE_VI = {"new": "chờ đọc", "matched": "đã khớp", "review": "chờ xem xét", "ignored": "bỏ qua",
            "failed": "lỗi"}
ACTION_VI = {"assign": "gán", "exempt": "miễn", "ignore": "bỏ qua", "extend": "gia hạn"}
STEP_VI = {"read": "đọc", "unit": "đơn vị", "trust": "xác thực", "directive": "văn bản",
           "report": "báo cáo", "period": "kỳ", "ignore": "bỏ qua", "signature": "ký số"}
SIGNATURE_VI = {"valid": "hợp lệ", "invalid": "không hợp lệ", "untrusted": "không thuộc gốc tin cậy"}
EVENT_VI = {"rules_reload_failed": "tải lại quy tắc không được (vẫn dùng bộ quy tắc trước)",
            "job_failed": "việc định kỳ bị lỗi"}


# -- dates and periods as Vietnamese readers write them -------------------------------------

_WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


def weekday_vi(d: date) -> str:
    return _WEEKDAYS[d.weekday()]


_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def period_vi(label: str | None) -> str:
    """2019-Q2 -> quý II/2019; 2019-H1 -> 6 tháng đầu năm 2019; 2019-05 -> tháng 5/2019."""
    if not label:
        return ""
    year, _, rest = label.partition("-")
    if not rest:
        return f"năm {year}"
    if rest.startswith("Q"):
        return f"quý {_ROMAN[rest[1]]}/{year}"
    if rest.startswith("H"):
        return f"6 tháng {'đầu' if rest == 'H1' else 'cuối'} năm {year}"
    return f"tháng {int(rest)}/{year}"


def date_vi(d: date | datetime) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def day_vi(d: date | datetime) -> str:
    day = d.date() if isinstance(d, datetime) else d
    return f"{weekday_vi(day)}, ngày {date_vi(day)}"
