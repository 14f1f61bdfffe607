"""Passwords, server-side sessions, CSRF tokens and login throttling of the advisor console.

* Passwords: Argon2id through pwdlib (`PasswordHash.recommended()`); hashes are upgraded on login when the
  recommended parameters change. An unknown e-mail address is checked against a dummy hash, so a failed
  login takes the same time whether or not the account exists.
* Sessions: the cookie `navi_session` holds `secrets.token_urlsafe(32)`; the database keeps only its
  sha256 (`login_session.id`), so a leaked table cannot be replayed. Sessions last 8 hours from login,
  are replaced on every login and password change, and are deleted on logout.
* CSRF: every session has its own random `csrf_token`, sent back as a hidden field by every POST form;
  the login form (no session yet) uses a double-submit cookie `navi_login_csrf`.
* Throttling: every attempt is a `login_attempt` row, so several app servers share the count; after 5
  failures for one e-mail address or one IP address within 15 minutes, logins are refused (429). The row is
  written and committed before the count (`claim_attempt`), so concurrent attempts cannot all pass the check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select
from sqlmodel import Session, col
from starlette.requests import Request
from starlette.responses import Response

from app.config import Settings
from app.store.base import utcnow
from app.store.console import LoginAttempt, LoginSession, User

SESSION_COOKIE = "navi_session"
LOGIN_CSRF_COOKIE = "navi_login_csrf"
COOKIE_PATH = "/console"
SESSION_TTL = dt.timedelta(hours=8)
LAST_SEEN_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often
THROTTLE_LIMIT = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)
ATTEMPTS_KEPT = dt.timedelta(days=1)
PASSWORD_MIN = 10
PASSWORD_MAX = 256
TOKEN_MAX = 128  # longer cookie or form values are never ours


@lru_cache(maxsize=1)
def hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one should be upgraded). Without a hash a dummy is checked."""
    if not password_hash:
        hasher().verify(password, _dummy_hash())
        return False, None
    try:
        return hasher().verify_and_update(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a server error
        return False, None


def password_problem(password: str, email: str | None = None) -> tuple[str, str] | None:
    """Why a new password is refused (Japanese, English), or None.

    >>> password_problem("short")[1]
    'Use at least 10 characters'
    >>> password_problem("aaaaaaaaaaaa")[1]
    'Do not repeat a single character'
    >>> password_problem("demo-password-2025") is None
    True
    """
    if len(password) < PASSWORD_MIN:
        return (f"パスワードは{PASSWORD_MIN}文字以上にしてください", f"Use at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        return (f"パスワードは{PASSWORD_MAX}文字以内にしてください", f"Use at most {PASSWORD_MAX} characters")
    if len(set(password)) == 1:
        return ("同じ文字だけのパスワードは使えません", "Do not repeat a single character")
    if email and password.strip().lower() in (email.lower(), email.split("@")[0].lower()):
        return ("メールアドレスと同じパスワードは使えません", "Do not use your e-mail address as the password")
    return None


def normalize_email(email: str) -> str:
    """The login id: trimmed and lower case.

    >>> normalize_email("  Advisor.Tokyo@Example.JP ")
    'advisor.tokyo@example.jp'
    """
    return email.strip().lower()[:254]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False if either is missing)."""
    if not a or not b or len(a) > TOKEN_MAX or len(b) > TOKEN_MAX:
        return False
    return secrets.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes (stored in UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# ------------------------------------------------------------------ sessions


def create_session(db: Session, user: User, ip: str | None, user_agent: str | None) -> tuple[str, LoginSession]:
    """A new session for `user` (added to `db`, not committed). Returns (cookie token, row)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(id=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                       expires_at=now + SESSION_TTL, csrf_token=secrets.token_urlsafe(32),
                       ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None)
    db.add(row)
    return token, row


def load_session(db: Session, token: str | None) -> tuple[LoginSession, User] | None:
    """The live session of a cookie token and its (active) user; expired sessions are deleted."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = db.get(LoginSession, token_hash(token))
    if row is None:
        return None
    now = utcnow()
    if aware(row.expires_at) <= now:
        db.delete(row)
        db.commit()
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - aware(row.last_seen_at) >= LAST_SEEN_EVERY:
        row.last_seen_at = now
        db.add(row)
        db.commit()
        db.refresh(row)
        db.refresh(user)
    return row, user


def end_session(db: Session, token: str | None) -> None:
    if token and len(token) <= TOKEN_MAX:
        db.exec(delete(LoginSession).where(col(LoginSession.id) == token_hash(token)))  # type: ignore[call-overload]


def end_user_sessions(db: Session, user_id: str, keep: str | None = None) -> None:
    """Delete every session of a user (but `keep`, a session id), e.g. after a password change."""
    stmt = delete(LoginSession).where(col(LoginSession.user_id) == user_id)
    if keep is not None:
        stmt = stmt.where(col(LoginSession.id) != keep)
    db.exec(stmt)  # type: ignore[call-overload]


def purge_expired_sessions(db: Session) -> None:
    db.exec(delete(LoginSession).where(col(LoginSession.expires_at) < utcnow()))  # type: ignore[call-overload]


# ------------------------------------------------------------------ throttling


def _failures(db: Session, since: dt.datetime, **where: str) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(
        col(LoginAttempt.at) >= since, col(LoginAttempt.success).is_(False))
    for name, value in where.items():
        query = query.where(col(getattr(LoginAttempt, name)) == value)
    return int(db.scalar(query) or 0)


def throttled(db: Session, email: str, ip: str, now: dt.datetime | None = None) -> bool:
    """Five failed attempts for this e-mail address or from this IP address within 15 minutes (a read only:
    a password is checked only after `claim_attempt`)."""
    since = (now or utcnow()) - THROTTLE_WINDOW
    return _failures(db, since, email=email) >= THROTTLE_LIMIT or _failures(db, since, ip=ip) >= THROTTLE_LIMIT


def claim_attempt(db: Session, email: str, ip: str) -> LoginAttempt | None:
    """Record the attempt first (committed, as a failure), then count the failures including it: the k-th
    attempt to commit sees at least k rows, so however many arrive at once (several app servers on PostgreSQL
    included) at most THROTTLE_LIMIT passwords are checked (issue 16, finding 2). None when throttled: the
    row is removed again, so refused attempts do not extend the wait. `settle_attempt` records the outcome."""
    db.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < utcnow() - ATTEMPTS_KEPT))  # type: ignore[call-overload]
    row = LoginAttempt(email=email[:254], ip=ip[:64], success=False)
    db.add(row)
    db.commit()
    since = utcnow() - THROTTLE_WINDOW
    if _failures(db, since, email=row.email) > THROTTLE_LIMIT or _failures(db, since, ip=row.ip) > THROTTLE_LIMIT:
        db.delete(row)
        db.commit()
        return None
    return row


def settle_attempt(db: Session, row: LoginAttempt, success: bool) -> None:
    """The claimed attempt's outcome (not committed)."""
    row.success = success
    db.add(row)


# ------------------------------------------------------------------ cookies and requests


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with --proxy-headers and --forwarded-allow-ips)."""
    return (request.client.host if request.client else "unknown")[:64]


def is_secure(request: Request, settings: Settings) -> bool:
    return settings.cookie_secure or request.url.scheme == "https"


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_TTL.total_seconds()), path=COOKIE_PATH,
                        httponly=True, samesite="lax", secure=secure)


def clear_session_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure)


def login_csrf(request: Request) -> str:
    """The double-submit token of the login form: the cookie's value if it looks like ours, else a new one."""
    value = request.cookies.get(LOGIN_CSRF_COOKIE)
    if value and 32 <= len(value) <= TOKEN_MAX and value.replace("-", "").replace("_", "").isalnum():
        return value
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=2 * 3600, path=COOKIE_PATH, httponly=True,
                        samesite="lax", secure=secure)
