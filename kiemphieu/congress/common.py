"""What every set-up service shares: the refusal shown to the user, and required names."""

from __future__ import annotations

from ..tally import normalize_name


class SetupError(ValueError):
    """A refused set-up operation; the message is shown to the user as is."""


def required_name(value: str | None, label: str) -> str:
    name = normalize_name(value or "")
    if not name:
        raise SetupError(f"{label} không được để trống.")
    return name
