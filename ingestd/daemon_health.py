"""Health of each source: last successful poll, last error, stale or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ingestd.services import Services
from ingestd.sources.kinds import source_keys
from ingestd.store.db import from_db


def source_health(svc: Services, at: datetime | None = None) -> list[dict[str, Any]]:
    """Staleness is judged against the real clock: a digest rendered ``--at`` a past moment
    still tells whether polling works now."""
    now = datetime.now(UTC)
    tz = svc.settings.timezone
    limit = timedelta(minutes=svc.settings.heartbeat_minutes)
    states = {s.key: s for s in svc.store.health.source_states()}
    out = []
    for key in source_keys(svc.settings):
        st = states.get(key)
        last_ok = from_db(st.last_ok_at) if st and st.last_ok_at else None
        last_err_at = from_db(st.last_error_at) if st and st.last_error_at else None
        out.append({
            "source": key,
            "last_ok": last_ok.astimezone(tz).strftime("%d/%m/%Y %H:%M") if last_ok else None,
            "last_error": st.last_error if st and last_err_at and (
                not last_ok or last_err_at > last_ok) else None,
            "stale": last_ok is None or now - last_ok > limit,
        })
    return out


def fault_summary(svc: Services) -> dict[str, Any]:
    """Receipts that could not be read for reasons that are not the message's (the store is
    unreadable, a reader crashed): waiting for a retry, and those set aside (quarantined)."""
    faults = svc.store.faults()
    waiting = [f for f in faults if not f.quarantined]
    return {
        "retrying": len(waiting),
        "storage": sum(1 for f in waiting if f.kind == "storage"),
        "quarantined": sum(1 for f in faults if f.quarantined),
        "last_error": waiting[0].last_error if waiting else None,
    }


def fault_line(faults: dict[str, Any]) -> str | None:
    """The faults in one Vietnamese sentence for health and the digest; None when there are
    none waiting."""
    if not faults["retrying"]:
        return None
    text = f"{faults['retrying']} thư chưa đọc được do sự cố hệ thống, đang thử lại"
    if faults["storage"]:
        text += f" ({faults['storage']} do không đọc được kho lưu thư: kiểm tra store_dir)"
    return text + (f"; lỗi gần nhất: {faults['last_error']}" if faults["last_error"] else "")
