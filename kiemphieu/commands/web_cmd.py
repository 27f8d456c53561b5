"""Placeholder: the web commands are being built (see the open issues)."""


def register(subparsers) -> None:
    pass
