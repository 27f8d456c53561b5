"""The Flask application factory (flaskr/microblog style)."""

from __future__ import annotations

import hmac
import importlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template

from .config import MIGRATIONS_DIR, TEMPLATES_DIR, default_config, instance_path, load_secret_key, secure_instance
from .extensions import csrf, db, login_manager, migrate
from . import pool_ping
from . import sqlite_engine  # also registers its engine events: WAL, the write lock
from .localtime import to_local
from .security import init_security

# Each module defines a blueprint named ``bp``. Add a feature by adding its module here;
# every view in it needs @public or @require_role (check_access_rules enforces it).
BLUEPRINT_MODULES = [
    "kiemphieu.auth.routes",
    "kiemphieu.congress.routes",
    "kiemphieu.scanning.routes",
    "kiemphieu.entry.routes", "kiemphieu.results.routes",
    "kiemphieu.documents.routes",
    "kiemphieu.season.routes",
    "kiemphieu.hall.routes",
    "kiemphieu.jobs.routes",
]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    instance = instance_path(config)
    app = Flask(
        "kiemphieu",
        instance_path=str(instance),
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(Path(__file__).parent / "static"),
    )
    app.config.update(default_config(instance))
    from .scanning.spooling import SpoolingRequest

    app.request_class = SpoolingRequest  # scan uploads spooled to the instance's disk
    # The office's own settings (instance/config.py, never committed), then the caller's.
    app.config.from_pyfile(str(instance / "config.py"), silent=True)
    if config:
        app.config.update(config)
    secure_instance(instance, app.config["SQLALCHEMY_DATABASE_URI"])
    os.makedirs(app.config["UPLOAD_FOLDER"], mode=0o700, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _local_secret_key(app, instance)

    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    options = sqlite_engine.engine_options(uri, app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"], ping_after = pool_ping.engine_options(uri, options)
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            sqlite_engine.install_wal_sync(engine)
            if ping_after:
                pool_ping.install_idle_ping(engine, ping_after)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    _init_login(app)
    init_security(app)

    for name in app.config.get("BLUEPRINT_MODULES", BLUEPRINT_MODULES):
        app.register_blueprint(importlib.import_module(name).bp)

    _init_templates(app)
    _init_errors(app)
    _warn_if_storage_is_local(app, instance)

    from .auth.access import check_access_rules

    check_access_rules(app)
    return app


class ConfigurationError(RuntimeError):
    """A node that must not start as configured (the message says what to set)."""


def _local_secret_key(app: Flask, instance: Path) -> str:
    """instance/secret_key, generated on first start: fine for one server on SQLite. On
    PostgreSQL several nodes serve one database, and sessions, CSRF tokens and station
    tokens signed by one node must verify on the others: the key must come from configuration."""
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        raise ConfigurationError(
            "DATABASE_URL là PostgreSQL: mọi máy chủ phải dùng chung một SECRET_KEY. Đặt biến môi trường "
            "SECRET_KEY (hoặc SECRET_KEY = \"...\" trong instance/config.py) giống nhau trên mọi máy; máy chủ "
            "không tự tạo khóa riêng. / With PostgreSQL every node needs the same configured SECRET_KEY."
        )
    return load_secret_key(instance)


def _warn_if_storage_is_local(app: Flask, instance: Path) -> None:
    """On PostgreSQL other nodes may serve this database: scans and documents kept in this
    node's own instance folder would be missing on them (README: Deployment on PostgreSQL)."""
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    if Path(app.config["UPLOAD_FOLDER"]).resolve().is_relative_to(instance.resolve()):
        app.logger.warning("UPLOAD_FOLDER is inside this node's instance folder: with several nodes set "
                           "KIEMPHIEU_UPLOAD_FOLDER to one folder they all share.")


def compile_templates(app: Flask) -> int:
    """Compile every page template now (gunicorn's master, before forking): a worker's first
    hit of each page otherwise compiles it (the dashboard's first answer 66 ms, then 5)."""
    names = [name for name in app.jinja_env.list_templates() if name.endswith((".html", ".txt", ".xml"))]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def _init_login(app: Flask) -> None:
    from flask import current_app, has_request_context, request
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from .auth.access import is_lean_view
    from .auth.lean import load_lean_user
    from .models import User

    # The user and their scopes (assignments, grants) in one query: every page checks a role.
    # Built once: building the statement and its loader options cost as much as running it.
    user_with_scopes = (select(User).options(joinedload(User.assignments), joinedload(User.grants))
                        .where(User.id == bindparam("user_id")))

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """``<id>.<session token>`` (User.get_id): a token that changed ends the session."""
        user_id, _, token = (session_id or "").partition(".")
        if not user_id.isdigit() or not token:
            return None
        if has_request_context() and is_lean_view(current_app.view_functions.get(request.endpoint)):
            return load_lean_user(int(user_id), token)  # the ballot save: plain rows (auth.lean)
        user = db.session.execute(user_with_scopes, {"user_id": int(user_id)}).unique().scalar_one_or_none()
        if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
            return None
        return user


def _init_templates(app: Flask) -> None:
    from . import models
    from .auth.access import can

    from . import labels

    def vn_date(value) -> str:
        return labels.date_short(value)

    def vn_datetime(value) -> str:
        return labels.datetime_short(to_local(value)) if value else ""

    app.jinja_env.filters["vn_date"] = vn_date
    app.jinja_env.filters["vn_datetime"] = vn_datetime
    app.jinja_env.globals.update(
        can=can,
        has_endpoint=lambda name: name in app.view_functions,
        Role=models.Role,
        RoundStatus=models.RoundStatus,
        KIND_LABELS=models.KIND_LABELS,
        date_long=labels.date_long,
        percent_vi=labels.percent_vi,
    )


def _init_errors(app: Flask) -> None:
    messages = {
        400: "Yêu cầu không hợp lệ (có thể phiên làm việc đã hết hạn, hãy tải lại trang).",
        401: "Phiên đăng nhập đã hết: hãy đăng nhập lại.",
        403: "Bạn không có quyền truy cập trang này.",
        404: "Không tìm thấy trang hoặc dữ liệu được yêu cầu.",
        413: "Tệp tải lên quá lớn.",
    }
    for code, message in messages.items():

        def handler(error, code=code, message=message):
            if code == 413:
                message = _too_large_message()
            return render_template("error.html", code=code, message=message), code

        app.register_error_handler(code, handler)

    app.register_error_handler(500, _internal_error)


def _too_large_message() -> str:
    from flask import request

    from .scanning.spooling import human_size

    limit = request.max_content_length
    if not limit:
        return "Tệp tải lên quá lớn."
    return (f"Tệp tải lên quá lớn: mỗi lần tải lên tối đa {human_size(limit)}. "
            "Hãy chia thành nhiều lần tải lên (hoặc nhiều tệp zip nhỏ hơn).")


SERVER_ERROR = ("Máy chủ gặp lỗi ngoài dự kiến: thao tác vừa rồi CHƯA được lưu. Hãy thử lại; nếu lỗi lặp lại, "
                "báo quản trị viên.")
DATABASE_BUSY = "Cơ sở dữ liệu đang bận: thao tác vừa rồi CHƯA được lưu. Hãy thử lại sau ít giây."


def _internal_error(error):
    """Any unhandled exception: nothing half-written is kept, and the answer is Vietnamese
    (a page, or JSON for the entry screen and the station API), never a raw traceback."""
    from flask import jsonify, request
    from sqlalchemy.exc import OperationalError

    db.session.rollback()
    busy = isinstance(getattr(error, "original_exception", None), OperationalError)
    code, message = (503, DATABASE_BUSY) if busy else (500, SERVER_ERROR)
    if request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), code
    return render_template("error.html", code=code, message=message), code
