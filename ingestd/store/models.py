"""SQLModel tables. Only ``ingestd.store`` imports them. Times are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Receipt(SQLModel, table=True):
    """One stored message: the incoming register (sổ văn bản đến)."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("source", "sha256", name="uq_receipt_source_sha"),
                      Index("ix_receipt_state_id", "state", "id"))
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    sha256: str = Field(max_length=64, index=True)
    message_id: str | None = Field(default=None, max_length=998, index=True)
    received_at: datetime = Field(index=True)
    stored_at: datetime
    source_ref: str | None = Field(default=None, max_length=500)
    size: int = 0
    sender: str | None = Field(default=None, max_length=320)
    subject: str | None = Field(default=None, sa_column=Column(Text))
    date_header: str | None = Field(default=None, max_length=200)
    own_number: str | None = Field(default=None, max_length=100)
    unit: str | None = Field(default=None, max_length=100, index=True)
    state: str = Field(default="new", max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    document: str | None = Field(default=None, sa_column=Column(Text))
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    read_at: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=100)       # schema v2
    lease_until: datetime | None = None                                  # schema v2


class ReceiptMatch(SQLModel, table=True):
    """A (report, period, unit) a matched receipt counts for. Rebuilt by reprocess."""

    __tablename__ = "receipt_match"
    __table_args__ = (Index("ix_match_report_period_unit", "report", "period", "unit"),)
    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="receipt.id", index=True)
    report: str = Field(max_length=100)
    period: str | None = Field(default=None, max_length=20)
    unit: str = Field(max_length=100)
    confidence: float = 1.0


class Assignment(SQLModel, table=True):
    """A clerk's decision (audit trail): accept a review item for a unit and report, exempt a
    unit, or ignore a receipt. Never deleted: undoing one records who undid it, when, why."""

    __tablename__ = "assignment"
    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int | None = Field(default=None, foreign_key="receipt.id", index=True)
    unit: str = Field(max_length=100)
    report: str = Field(max_length=100)
    period: str | None = Field(default=None, max_length=20)
    exempt: bool = False
    reason: str | None = Field(default=None, sa_column=Column(Text))
    actor: str = Field(max_length=100)
    created_at: datetime
    kind: str | None = Field(default=None, max_length=20)        # schema v3: ignore; else by exempt
    undone_at: datetime | None = None                             # schema v3
    undone_by: str | None = Field(default=None, max_length=100)   # schema v3
    undo_reason: str | None = Field(default=None, sa_column=Column(Text))  # schema v3
    extended_until: date | None = None                            # schema v4: kind "extend"

    @property
    def action(self) -> str:
        """assign | exempt | ignore | extend"""
        return self.kind or ("exempt" if self.exempt else "assign")

    @property
    def active(self) -> bool:
        return self.undone_at is None


class User(SQLModel, table=True):
    """An account of the web console. The password is kept as an argon2 hash only."""

    __tablename__ = "web_user"
    name: str = Field(primary_key=True, max_length=100)
    role: str = Field(max_length=20)                 # viewer | clerk | admin
    password_hash: str = Field(max_length=300)
    disabled: bool = False
    created_at: datetime
    changed_at: datetime


class WebSession(SQLModel, table=True):
    """A logged-in browser. The cookie holds a random token; only its sha256 is stored."""

    __tablename__ = "web_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    user: str = Field(max_length=100, index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime


class LoginFailure(SQLModel, table=True):
    """Failed logins, for rate limiting across web processes."""

    __tablename__ = "web_login_failure"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, index=True)
    address: str = Field(max_length=100, index=True)
    at: datetime = Field(index=True)


class WebSecret(SQLModel, table=True):
    """The key that signs the console's pre-login CSRF cookie, shared by every web process."""

    __tablename__ = "web_secret"
    id: int = Field(default=1, primary_key=True)
    key: str = Field(max_length=128)


class ReceiptFault(SQLModel, table=True):
    """An infrastructure failure while reading a receipt (blob unreadable, reader crashed):
    never a verdict about the message. Retried with backoff; a message that keeps crashing the
    reader is quarantined (state failed) after a few attempts. Gone once it reads."""

    __tablename__ = "receipt_fault"
    receipt_id: int = Field(foreign_key="receipt.id", primary_key=True)
    kind: str = Field(max_length=20)            # storage | reader
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    first_at: datetime
    last_at: datetime
    quarantined: bool = False


class SourceState(SQLModel, table=True):
    """Per source (and IMAP folder): where fetching stands and how healthy it is."""

    __tablename__ = "source_state"
    key: str = Field(primary_key=True, max_length=300)
    uidvalidity: int | None = None
    last_uid: int | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = None


class Outbox(SQLModel, table=True):
    """Every outgoing mail (reminder, digest, report) with a stable key: never queued twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=20)
    message_id: str = Field(max_length=300)
    recipients: str = Field(sa_column=Column(Text))
    subject: str = Field(sa_column=Column(Text))
    raw: bytes = Field(sa_column=Column(LargeBinary))
    state: str = Field(default="queued", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    sent_at: datetime | None = None
    report: str | None = Field(default=None, max_length=100)
    period: str | None = Field(default=None, max_length=20)
    unit: str | None = Field(default=None, max_length=100)
    step: str | None = Field(default=None, max_length=40)
    stale_at: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = None


class Event(SQLModel, table=True):
    """Things staff should hear about in the digest (a rules reload that failed, ...)."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    kind: str = Field(max_length=40)
    message: str = Field(sa_column=Column(Text))


class DirectiveDraft(SQLModel, table=True):
    """A document the Office itself sent (an ``outgoing`` source): never a receipt. Raw bytes
    in the blob store; if it is a directive that asks for reports and is not yet in the rules,
    its drafted TOML waits here for an admin to save it (schema v5)."""

    __tablename__ = "directive_draft"
    __table_args__ = (UniqueConstraint("source", "sha256", name="uq_draft_source_sha"),
                      Index("ix_draft_state", "state", "id"))
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    source_ref: str | None = Field(default=None, max_length=500)
    received_at: datetime
    stored_at: datetime
    # new | offered | duplicate | known | not_directive | saved (a fault leaves it new, with
    # the reason and one more attempt)
    state: str = Field(default="new", max_length=20)
    number: str | None = Field(default=None, max_length=100)
    doc_date: date | None = None
    title: str | None = Field(default=None, sa_column=Column(Text))
    toml: str | None = Field(default=None, sa_column=Column(Text))
    evidence: str | None = Field(default=None, sa_column=Column(Text))   # JSON: what it was read from
    reason: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    saved_file: str | None = Field(default=None, max_length=300)
    saved_by: str | None = Field(default=None, max_length=100)
    saved_at: datetime | None = None
