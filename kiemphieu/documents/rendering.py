"""Rendering PDFs without starving ballot entry.

A PDF (minutes, a summary, a stack of ballots) takes a CPU core for up to seconds. Rendering
happens after the request has gathered its data and ended its database transaction (so no
lock or snapshot is held meanwhile), and only ``PDF_RENDER_SLOTS`` renders run at once in a
web process (default 1): the other threads stay free for ballot saves. A request that cannot
get a slot within ``PDF_RENDER_WAIT`` seconds is told to retry (503 with Retry-After) instead
of holding a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from ..extensions import db

T = TypeVar("T")

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    count = max(1, int(current_app.config.get("PDF_RENDER_SLOTS", 1)))
    with _slots_lock:
        key = id(current_app._get_current_object())
        if key not in _slots:
            _slots[key] = threading.BoundedSemaphore(count)
        return _slots[key]


class Busy(Exception):
    """Every render slot is taken; the route answers 503."""


def render_outside_transaction(render: Callable[[], T]) -> T:
    """End the request's database transaction, then render in a slot (or raise Busy).

    ``render`` must use only data already gathered (engine objects, plain values): touching
    a model attribute now would start a new transaction.
    """
    db.session.rollback()  # ends the read transaction; objects stay attached (reloaded if touched)
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=float(current_app.config.get("PDF_RENDER_WAIT", 2.0))):
        raise Busy()
    try:
        return render()
    finally:
        semaphore.release()


def busy_response():
    """503 in Vietnamese, with a Retry-After the browser or a script can follow."""
    from flask import make_response, render_template

    response = make_response(render_template(
        "error.html", code=503,
        message="Máy chủ đang tạo tài liệu khác. Vui lòng thử lại sau ít giây."), 503)
    response.headers["Retry-After"] = "5"
    return response

