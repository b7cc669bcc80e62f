"""The quarterly report as a daemon job: after a quarter ends, on the configured working day of
the following month, build it (``reports.quarterly``) and mail the three files once. The
renderer knows nothing of mail; this job knows nothing of layout."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ingestd.notify.outbox import enqueue_mail, send_outbox
from ingestd.reports.quarterly import build, render
from ingestd.services import Services
from ingestd.statusview import Ledger
from ingestd.store.outbox_repo import OutboxRepo
from ingestd.vocabulary import period_vi


def due_date(svc: Services, quarter_end: date) -> date:
    """The ``day``-th working day of the month after the quarter."""
    first = quarter_end + timedelta(days=1)
    day = svc.calendar.roll_forward(first)
    return svc.calendar.add_working_days(day, svc.settings.quarterly.day - 1)


def last_quarter(svc: Services, at: datetime) -> tuple[str, date, date]:
    """The quarter that ended before ``at``: (label, first day, last day)."""
    local = at.astimezone(svc.settings.timezone).date()
    end = date(local.year, ((local.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}", date(end.year, end.month - 2, 1), end


def quarterly_job(svc: Services, at: datetime, transport=None,  # type: ignore[no-untyped-def]
                  quarter: tuple[str, date, date] | None = None,
                  ledger: Ledger | None = None) -> str | None:
    """Build and mail the report of ``quarter`` once (key ``quarterly:LABEL``). Without one
    (the daemon), the quarter that ended, and only from the configured working day of the
    following month. Returns the label when it was queued now."""
    q = svc.settings.quarterly
    if not q.to:
        return None
    if quarter is None:
        quarter = last_quarter(svc, at)
        if at.astimezone(svc.settings.timezone).date() < due_date(svc, quarter[2]):
            return None
    label, start, end = quarter
    key = f"quarterly:{label}"
    repo = OutboxRepo(svc.store)
    if repo.exists(key):
        send_outbox(svc, at, transport, kinds=("report",))
        return None
    c = build(svc, start, end, label, at, ledger)
    if not c.reports:
        return None                     # nothing was due that quarter: nothing to report
    files = render(svc, c, at)
    subject = f"Báo cáo kết quả thực hiện chế độ thông tin, báo cáo {period_vi(label)}"
    text = (f"Kính gửi: Lãnh đạo Văn phòng\n\nVăn phòng (bộ phận tổng hợp) gửi kèm dự thảo báo cáo "
            f"kết quả thực hiện chế độ thông tin, báo cáo {period_vi(label)} và bảng điểm của các "
            "đơn vị (CSV, XLSX) để xem xét, ký ban hành và gửi Ban Thi đua – Khen thưởng.\n")
    name = f"bao-cao-che-do-bao-cao-{label}"
    enqueue_mail(svc, key, "report", list(q.to), [], subject, text, None, at, [
        (f"{name}.docx", files.docx,
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (f"{name}.csv", files.csv, "text/csv"),
        (f"{name}.xlsx", files.xlsx,
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    send_outbox(svc, at, transport, kinds=("report",))
    return label
