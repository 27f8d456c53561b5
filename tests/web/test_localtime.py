"""Stored UTC timestamps are shown in the congress's local time (Asia/Ho_Chi_Minh by default)."""

from datetime import datetime

from kiemphieu.localtime import to_local


def test_timestamps_are_shown_in_vietnam_time(app):
    stored = datetime(2025, 6, 20, 16, 45)  # naive UTC, as the models store it
    assert app.jinja_env.filters["vn_datetime"](stored) == "20/06/2025 23:45"
    assert to_local(datetime(2025, 6, 20, 17, 5)).strftime("%d/%m %H:%M") == "21/06 00:05"


def test_display_time_zone_is_a_setting(app):
    app.config["DISPLAY_TIMEZONE"] = "UTC"
    assert to_local(datetime(2025, 6, 20, 16, 45)).strftime("%H:%M") == "16:45"
