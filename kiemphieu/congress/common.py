"""What every set-up service shares: the refusal shown to the user, and accepted names."""

from __future__ import annotations

from ..tally import InvalidName, clean_name


class SetupError(ValueError):
    """A refused set-up operation; the message is shown to the user as is."""


def clean(value: str | None, label: str, kind: str, required: bool = True) -> str:
    """``tally.clean_name`` (the one normaliser of every accepted name), as a SetupError."""
    try:
        return clean_name(value or "", label=label, kind=kind, required=required)
    except InvalidName as exc:
        raise SetupError(str(exc)) from None


def required_name(value: str | None, label: str, kind: str = "title") -> str:
    return clean(value, label, kind)
