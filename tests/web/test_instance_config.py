"""An office sets its own rules in instance/config.py (flaskr style)."""

from kiemphieu import create_app


def test_instance_config_file_overrides_the_defaults(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "DOUBLE_ENTRY_SEPARATE_CLERKS = False\nSURPLUS_WARNING_RATIO = 0.15\n", encoding="utf-8")
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] is False
    assert app.config["SURPLUS_WARNING_RATIO"] == 0.15


def test_without_a_config_file_the_defaults_hold(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["DOUBLE_ENTRY_SEPARATE_CLERKS"] is True
    assert app.config["DISPLAY_TIMEZONE"] == "Asia/Ho_Chi_Minh"
