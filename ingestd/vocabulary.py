"""The words users read for the program's states, in one place: the CLI, the digest, the web
console and the reports all say the same thing."""

from __future__ import annotations

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
