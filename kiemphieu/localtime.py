"""Timestamps are stored as naive UTC; people read them in the congress's local time."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def to_local(stored_utc: datetime) -> datetime:
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return stored_utc.replace(tzinfo=timezone.utc).astimezone(zone)
