"""SECRET_KEY: from configuration; generated locally only for a single SQLite server."""

from __future__ import annotations

import stat

import pytest

from kiemphieu import create_app
from kiemphieu.factory import ConfigurationError

POSTGRES = "postgresql+psycopg://kiemphieu@/kiemphieu?host=/nonexistent"


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)


def test_a_postgresql_node_refuses_a_locally_generated_key(tmp_path):
    instance = tmp_path / "instance"
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": POSTGRES})
    assert not (instance / "secret_key").exists()


def test_a_postgresql_node_takes_the_key_from_the_environment_or_instance_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "shared-by-every-node")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "SQLALCHEMY_DATABASE_URI": POSTGRES})
    assert app.config["SECRET_KEY"] == "shared-by-every-node"
    monkeypatch.delenv("SECRET_KEY")
    instance = tmp_path / "b"
    instance.mkdir()
    (instance / "config.py").write_text('SECRET_KEY = "from-config-file"\n', encoding="utf-8")
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": POSTGRES})
    assert app.config["SECRET_KEY"] == "from-config-file"


def test_a_single_sqlite_server_generates_its_key_once_privately(tmp_path):
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    again = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"] and len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
