"""Login throttling: bounded guessing without letting anyone lock an account for everybody.

Two counters per window (``LoginThrottle`` rows):
- ``pair:<address>|<name>``: failures of one client address on one user name. After
  ``PAIR_MAX`` that address may not try that name again until the window ends; the real user
  on another machine is not affected.
- ``addr:<address>``: failures of one address on any name (``ADDRESS_MAX``), so one machine
  cannot spray guesses over many names.

An attempt is *reserved* before the password is checked: both counters go up in one write
transaction, each by a conditional single-row ``UPDATE ... WHERE failures < limit``, so a
parallel burst of logins is counted one by one and checks at most ``PAIR_MAX`` guesses. A
right password gives the reservation back. The audit log gets the first failure of a pair in
a window and the moment a limit is reached, not every failure (thousands of anonymous
guesses must not flood the chained log or slow every login).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db, write_operation
from ..models import LoginThrottle, utcnow

PAIR_MAX = 5
ADDRESS_MAX = 30
WINDOW = timedelta(minutes=10)


def _now():
    return utcnow()


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    pair_key: str
    address_key: str
    minutes_left: int = 0
    pair_failures: int = 0  # after this attempt was counted
    address_failures: int = 0


def pair_key(username: str, address: str | None) -> str:
    return f"pair:{address or '-'}|{username.strip()[:64]}"


def address_key(address: str | None) -> str:
    return f"addr:{address or '-'}"


def _ensure_row(key: str, now) -> None:
    """The key's row exists and its window is current (an expired window starts again)."""
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(key=key, failures=0, window_start=now))
        except IntegrityError:  # another request created it meanwhile
            pass
        return
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.window_start < now - WINDOW)
        .values(failures=0, window_start=now)
        .execution_options(synchronize_session=False)
    )


def _count_attempt(key: str, limit: int) -> int | None:
    """Add this attempt to the key's failures unless it is at its limit (None: at the limit)."""
    return db.session.scalar(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.failures < limit)
        .values(failures=LoginThrottle.failures + 1)
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    )


def _minutes_left(keys: list[str], now) -> int:
    starts = db.session.scalars(select(LoginThrottle.window_start).where(LoginThrottle.key.in_(keys))).all()
    remaining = max((start + WINDOW - now for start in starts), default=timedelta(0))
    return max(1, -(-int(remaining.total_seconds()) // 60))


@write_operation
def reserve(username: str, address: str | None) -> Reservation:
    """Count this login attempt before the password is checked, or refuse it."""
    now = _now()
    keys = (pair_key(username, address), address_key(address))
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.window_start < now - 2 * WINDOW))
    for key in keys:
        _ensure_row(key, now)
    pair_failures = _count_attempt(keys[0], PAIR_MAX)
    address_failures = _count_attempt(keys[1], ADDRESS_MAX) if pair_failures is not None else None
    if pair_failures is None or address_failures is None:
        db.session.rollback()
        return Reservation(False, *keys, minutes_left=_minutes_left(list(keys), now))
    db.session.commit()
    return Reservation(True, *keys, pair_failures=pair_failures, address_failures=address_failures)


@write_operation
def succeeded(reservation: Reservation) -> None:
    """The password was right: the pair starts again, the address gets its attempt back."""
    db.session.execute(
        update(LoginThrottle).where(LoginThrottle.key == reservation.pair_key).values(failures=0)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(LoginThrottle).where(LoginThrottle.key == reservation.address_key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@write_operation
def failed(reservation: Reservation, username: str, address: str | None) -> None:
    """Log a failure when it says something new: a pair's first, or a limit reached."""
    detail = {"username": username.strip()[:80], "remote_addr": address or ""}
    if reservation.pair_failures == 1:
        audit.record("auth.login_failed", **detail)
    if reservation.pair_failures == PAIR_MAX:
        audit.record("auth.login_locked", scope="user_from_address", failures=PAIR_MAX, **detail)
    if reservation.address_failures == ADDRESS_MAX:
        audit.record("auth.login_locked", scope="address", failures=ADDRESS_MAX, **detail)
    db.session.commit()


def minutes_locked(username: str, address: str | None) -> int:
    """0 when this address may try this name now, else the minutes left (for tests and pages)."""
    now = _now()
    rows = db.session.scalars(
        select(LoginThrottle).where(LoginThrottle.key.in_([pair_key(username, address), address_key(address)]))
    ).all()
    limits = {pair_key(username, address): PAIR_MAX, address_key(address): ADDRESS_MAX}
    blocking = [r.key for r in rows if r.window_start >= now - WINDOW and r.failures >= limits[r.key]]
    return _minutes_left(blocking, now) if blocking else 0
