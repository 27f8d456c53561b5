"""The app factory: instance folder, secret key, the start-up access check (SQLite: test_sqlite_engine)."""

import os
import stat

import pytest
from flask import Blueprint

from kiemphieu import create_app, factory
from kiemphieu.auth.access import AccessRuleMissing, public, require_role
from kiemphieu.config import TEMPLATES_DIR, database_url
from kiemphieu.extensions import db
from kiemphieu.models import Role


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)})
    key_file = instance / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app({"INSTANCE_PATH": str(instance)})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert (instance / "uploads").is_dir()


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kiemphieu.sqlite'}"
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024
    assert app.template_folder == str(TEMPLATES_DIR)


def test_database_url_selects_postgresql(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://kp:secret@db.lan/kiemphieu")
    assert database_url(tmp_path) == "postgresql+psycopg://kp:secret@db.lan/kiemphieu"


def test_a_route_without_an_access_rule_stops_the_app(tmp_path, monkeypatch):
    careless = Blueprint("careless", __name__)

    @careless.route("/forgotten")
    def forgotten():
        return "no guard"

    import sys
    import types

    module = types.ModuleType("kiemphieu_test_careless")
    module.bp = careless
    monkeypatch.setitem(sys.modules, "kiemphieu_test_careless", module)
    monkeypatch.setattr(factory, "BLUEPRINT_MODULES", [*factory.BLUEPRINT_MODULES, "kiemphieu_test_careless"])
    with pytest.raises(AccessRuleMissing, match="careless.forgotten"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_guarded_routes_pass_the_check(tmp_path, monkeypatch):
    careful = Blueprint("careful", __name__)

    @careful.route("/open")
    @public
    def opened():
        return "ok"

    @careful.route("/closed")
    @require_role(Role.VIEWER)
    def closed():
        return "ok"

    import sys
    import types

    module = types.ModuleType("kiemphieu_test_careful")
    module.bp = careful
    monkeypatch.setitem(sys.modules, "kiemphieu_test_careful", module)
    monkeypatch.setattr(factory, "BLUEPRINT_MODULES", [*factory.BLUEPRINT_MODULES, "kiemphieu_test_careful"])
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.test_client().get("/open").data == b"ok"
    assert app.test_client().get("/closed").status_code == 302  # to the login page


def test_every_registered_view_has_a_rule(app):
    from kiemphieu.auth.access import ACCESS_ATTR, PUBLIC_ENDPOINTS

    for endpoint, view in app.view_functions.items():
        assert endpoint in PUBLIC_ENDPOINTS or hasattr(view, ACCESS_ATTR), endpoint


def test_every_page_template_can_be_compiled_ahead_and_is_then_cached(tmp_path):
    """gunicorn's master compiles them before forking, so workers inherit them compiled."""
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    count = factory.compile_templates(app)
    assert count >= 20
    cached = {key[1] for key in app.jinja_env.cache.keys()}
    assert "base.html" in cached or any(name.endswith("base.html") for name in cached)
    assert len(cached) >= count
