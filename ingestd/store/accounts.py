"""Accounts of the web console: users (argon2 hashes), server-side sessions, failed logins.

A session cookie holds a random token; the database keeps only its sha256, the account and a
CSRF token, so a stolen database does not yield live sessions, and changing a password or
disabling an account ends that account's sessions at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ingestd.backoff import backoff_seconds
from ingestd.errors import DecisionError, NotFoundError
from ingestd.store.db import from_db, utcnow
from ingestd.store.models import LoginFailure, User, WebSecret, WebSession
from ingestd.store.repo import Store

ROLES = ("viewer", "clerk", "admin")
MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_HASHER = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified for unknown names: equal work, so timing does not tell who exists. Made on
    first use, not on import (hashing costs ~0.1 s, which every CLI command would pay)."""
    return _HASHER.hash("not a password of anyone")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def role_at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class LoggedIn:
    user: User
    csrf: str
    expires_at: datetime


class TooManyAttempts(Exception):
    """Too many failed logins for this account: it waits for the rest of the window."""


def address_delay(failures: int, allowed: int) -> float:
    return 0.0 if failures < allowed else backoff_seconds(failures - allowed + 1, 0.25, 8.0)


class Accounts:
    def __init__(self, store: Store):
        self.store = store

    # -- users --------------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str) -> User:
        name = name.strip().lower()
        if not _NAME.match(name):
            raise DecisionError(f'tên tài khoản "{name}" không hợp lệ: dùng chữ thường không dấu, '
                                "số, dấu chấm, gạch ngang (2–64 ký tự)")
        if role not in ROLES:
            raise DecisionError(f'vai trò "{role}" không có; chọn viewer, clerk hoặc admin')
        self._check_password(password)
        now = utcnow()
        with self.store.session() as s:
            if s.get(User, name) is not None:
                raise DecisionError(f'tài khoản "{name}" đã có; đổi mật khẩu bằng ingestd user '
                                    f"passwd {name}")
            user = User(name=name, role=role, password_hash=_HASHER.hash(password),
                        created_at=now, changed_at=now)
            s.add(user)
            s.commit()
            return user

    def set_password(self, name: str, password: str) -> None:
        self._check_password(password)
        self._change(name, password_hash=_HASHER.hash(password))

    def disable(self, name: str) -> None:
        self._change(name, disabled=True)

    def enable(self, name: str) -> None:
        self._change(name, disabled=False)

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise DecisionError(f'vai trò "{role}" không có; chọn viewer, clerk hoặc admin')
        self._change(name, role=role)

    def _change(self, name: str, **values: object) -> None:
        with self.store.session() as s:
            user = s.get(User, name.strip().lower())
            if user is None:
                raise NotFoundError(f'không có tài khoản "{name}"; xem: ingestd user list')
            for k, v in values.items():
                setattr(user, k, v)
            user.changed_at = utcnow()
            s.add(user)
            s.exec(delete(WebSession).where(WebSession.user == user.name))   # sessions end
            s.commit()

    def users(self) -> list[User]:
        with self.store.session() as s:
            return list(s.exec(select(User).order_by(col(User.name))))

    def get(self, name: str) -> User | None:
        with self.store.session() as s:
            return s.get(User, name.strip().lower())

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise DecisionError(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")

    # -- logging in ---------------------------------------------------------------------------
    def authenticate(self, name: str, password: str, address: str, attempts: int,
                     window: timedelta) -> User | None:
        """The user, or None. Raises TooManyAttempts when this name failed ``attempts`` times
        within ``window`` (checked before the password, so guessing one account stops). Failures
        from one address never refuse a login: behind a proxy or a NAT a whole office shares
        one; they slow it down instead (``address_delay``)."""
        name = name.strip().lower()[:100]
        since = utcnow() - window
        with self.store.session() as s:
            by_name = s.exec(select(func.count()).select_from(LoginFailure).where(
                LoginFailure.username == name, LoginFailure.at >= since)).one()
            if by_name >= attempts:
                raise TooManyAttempts()
            user = s.get(User, name)
            ok = False
            try:
                ok = _HASHER.verify(user.password_hash if user else _dummy_hash(), password)
            except (VerificationError, InvalidHashError):
                ok = False
            if not ok or user is None or user.disabled:
                s.add(LoginFailure(username=name, address=address[:100], at=utcnow()))
                s.exec(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(days=1)))
                s.commit()
                return None
            if _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = _HASHER.hash(password)
                s.add(user)
            s.exec(delete(LoginFailure).where(LoginFailure.username == name))
            s.commit()
            return user

    def address_delay(self, address: str, allowed: int, window: timedelta) -> float:
        """Seconds to wait before trying a login from ``address``: none while it failed fewer
        than ``allowed`` times within ``window``, then doubling from 0.25 s up to 8 s."""
        with self.store.session() as s:
            failures = s.exec(select(func.count()).select_from(LoginFailure).where(
                LoginFailure.address == address[:100], LoginFailure.at >= utcnow() - window)).one()
        return address_delay(failures, allowed)

    def start_session(self, user: User, hours: float) -> tuple[str, LoggedIn]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = utcnow()
        expires = now + timedelta(hours=hours)
        with self.store.session() as s:
            s.add(WebSession(token_hash=_token_hash(token), user=user.name, csrf=csrf,
                             created_at=now, expires_at=expires))
            s.exec(delete(WebSession).where(WebSession.expires_at < now))
            s.commit()
        return token, LoggedIn(user, csrf, expires)

    def session(self, token: str | None) -> LoggedIn | None:
        if not token or len(token) > 100:
            return None
        with self.store.session() as s:
            row = s.get(WebSession, _token_hash(token))
            if row is None or from_db(row.expires_at) < utcnow():
                return None
            user = s.get(User, row.user)
            if user is None or user.disabled:
                return None
            return LoggedIn(user, row.csrf, from_db(row.expires_at))

    def end_session(self, token: str | None) -> None:
        if not token:
            return
        with self.store.session() as s:
            s.exec(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))
            s.commit()

    def secret(self) -> str:
        """The console's signing key, made once and shared by every web process."""
        with self.store.session() as s:
            row = s.get(WebSecret, 1)
            if row is None:
                row = WebSecret(id=1, key=secrets.token_hex(32))
                s.add(row)
                try:
                    s.commit()
                except IntegrityError:          # another process made it first
                    s.rollback()
                    row = s.get(WebSecret, 1)
                    assert row is not None
            return row.key
