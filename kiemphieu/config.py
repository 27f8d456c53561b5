"""Configuration: defaults, the instance folder, the generated secret key, the database URL."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = REPO_ROOT / "instance"
MIGRATIONS_DIR = REPO_ROOT / "migrations"
TEMPLATES_DIR = REPO_ROOT / "templates"

# Any request body (forms, a station's single image). Scan uploads have their own limit.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
# One scan upload (many files or one zip), spooled to disk: a congress's whole stack, e.g. 2,000
# A4 ballots at 200 dpi (JPEG ~366 KB: 0.75 GB) or at 300 dpi colour (~1 MB: 2 GB).
SCAN_UPLOAD_MAX_BYTES = 2 * 1024 * 1024 * 1024


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
        "SCAN_UPLOAD_MAX_BYTES": SCAN_UPLOAD_MAX_BYTES,
        "SCAN_ZIP_MAX_TOTAL": SCAN_UPLOAD_MAX_BYTES,  # uncompressed bytes of one zip
        # Scan files, previews and signed documents. Several nodes on one PostgreSQL point it at
        # one shared folder (KIEMPHIEU_UPLOAD_FOLDER, e.g. an NFS mount): see README, Deployment.
        "UPLOAD_FOLDER": os.environ.get("KIEMPHIEU_UPLOAD_FOLDER", "").strip() or str(instance / "uploads"),
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


def secure_instance(instance: Path, database_uri: str) -> None:
    """The instance folder holds the secret key, password hashes and ballot images: readable
    by the server's account only. A new folder is made 0700; the SQLite file (and its WAL
    files, which SQLite creates with the database's mode) is created 0600, and an existing one
    that others could read is tightened."""
    if not instance.exists():
        instance.mkdir(parents=True, mode=0o700)
        instance.chmod(0o700)  # mkdir's mode is masked by the umask
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix) or database_uri == prefix or ":memory:" in database_uri:
        return
    path = Path(database_uri[len(prefix):])
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:  # a folder we cannot write: the database layer will say so
        return
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists() and candidate.stat().st_mode & 0o077:
            candidate.chmod(0o600)
