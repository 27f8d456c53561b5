"""kiemphieu: ballot counting for Party congresses.

``create_app`` is imported lazily so that ``kiemphieu tally`` and the other pure commands
never pay for Flask and SQLAlchemy. gunicorn runs ``"kiemphieu:create_app()"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> "Flask":
    from .factory import create_app as _create_app

    return _create_app(config)
