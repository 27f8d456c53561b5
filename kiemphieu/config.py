"""Configuration: defaults, the instance folder, the generated secret key, the database URL."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = REPO_ROOT / "instance"
MIGRATIONS_DIR = REPO_ROOT / "migrations"
TEMPLATES_DIR = REPO_ROOT / "templates"

# Scanned ballot pages are the largest uploads: a 300 dpi colour A4 JPEG is 1-3 MB.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def instance_path(config: dict | None) -> Path:
    chosen = (config or {}).get("INSTANCE_PATH") or os.environ.get("KIEMPHIEU_INSTANCE")
    return Path(chosen).resolve() if chosen else DEFAULT_INSTANCE


def database_url(instance: Path) -> str:
    """PostgreSQL when DATABASE_URL says so, else SQLite in the instance folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance / 'kiemphieu.sqlite'}"
    # Heroku-style URLs name the dialect only; we use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance: Path) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first start. Never committed."""
    path = instance / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its key
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def default_config(instance: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": MAX_UPLOAD_BYTES,
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A counting day is long: a form opened at 8:00 must still post at 23:00.
        "WTF_CSRF_TIME_LIMIT": None,
        "PREFERRED_URL_SCHEME": "http",
        # Share of candidates above the seats beyond which the set-up page warns ([I] 30%).
        "SURPLUS_WARNING_RATIO": 0.30,
        # Double entry: passes A and B of a round must be typed by different clerks.
        "DOUBLE_ENTRY_SEPARATE_CLERKS": True,
        # The address printed in the minutes' QR code ({base}/verify/{digest}): the server's LAN
        # name, e.g. "http://kiemphieu.local:8000". Unset: the address the request came in on.
        "VERIFY_URL_BASE": os.environ.get("KIEMPHIEU_VERIFY_URL_BASE", "").strip() or None,
        # Timestamps are stored in UTC and shown in the congress's local time.
        "DISPLAY_TIMEZONE": os.environ.get("KIEMPHIEU_TIMEZONE", "Asia/Ho_Chi_Minh"),
    }
