"""The web commands (db-upgrade, demo, user create) and the demo congress."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from kiemphieu import create_app, tally
from kiemphieu.cli import main
from kiemphieu.extensions import db
from kiemphieu.models import Ballot, Congress, Role, User


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_db_upgrade_builds_the_models_schema_and_is_idempotent(instance, capsys):
    assert main(["db-upgrade"]) == 0
    assert main(["db-upgrade"]) == 0
    assert "phiên bản mới nhất" in capsys.readouterr().out
    app = create_app()
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            triggers = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
            assert set(triggers) == {"audit_entry_no_update", "audit_entry_no_delete"}
        db.session.remove()
        db.engine.dispose()
    tables = set(inspect(create_engine(f"sqlite:///{instance / 'kiemphieu.sqlite'}")).get_table_names())
    assert {"ballot", "round", "audit_entry", "result_version", "scan_image", "alembic_version"} <= tables


def test_demo_command_prints_logins_once_and_is_idempotent(instance, capsys):
    main(["db-upgrade"])
    capsys.readouterr()
    assert main(["demo", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "Đã tạo đại hội mẫu." in out and "admin" in out and "http://" in out
    password = out.split("admin", 1)[1].split()[0]
    assert main(["demo", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "không tạo dữ liệu mẫu" in out and password not in out
    assert main(["demo"]) == 0
    assert "Dữ liệu mẫu đã có sẵn." in capsys.readouterr().out
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Congress)) == 1
        client = app.test_client()
        assert client.post("/login", data={"username": "admin", "password": password}).status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_user_create_with_and_without_password(instance, monkeypatch, capsys):
    main(["db-upgrade"])
    assert main(["user", "create", "lan", "--role", "counter", "--password", "mat-khau-dai"]) == 0
    answers = iter(["mat-khau-khac", "mat-khau-khac"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "create", "binh", "--role", "organiser"]) == 0
    assert main(["user", "create", "lan", "--role", "viewer", "--password", "mat-khau-dai"]) == 2
    assert "đã có" in capsys.readouterr().err
    mismatched = iter(["mot-mat-khau", "hai-mat-khau"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(mismatched))
    assert main(["user", "create", "cuong", "--role", "viewer"]) == 2
    app = create_app()
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        assert set(users) == {"lan", "binh"}
        assert users["lan"].role == "counter" and users["lan"].check_password("mat-khau-dai")
        assert users["binh"].role == "organiser" and users["binh"].check_password("mat-khau-khac")
        db.session.remove()
        db.engine.dispose()
    assert main(["audit-check"]) == 0
    assert "Nhật ký toàn vẹn" in capsys.readouterr().out


def test_demo_congress_is_realistic_and_counts(demo):
    congress = demo.congress
    assert demo.created and set(demo.passwords) == {"admin", "tochuc", "nhapphieu1", "nhapphieu2"}
    assert congress.convened == 150 and len(congress.exclusions_for("congress")) == 2 and congress.base == 148
    assert len(congress.committee) == 5 and congress.committee[0].role == "Trưởng ban"
    shapes = [(e.kind, e.seats, len(e.candidates), e.body) for e in congress.elections]
    assert shapes == [("committee", 15, 17, "congress"), ("secretary", 1, 1, "committee"),
                      ("delegates", 9, 11, "congress"), ("alternates", 2, 3, "congress")]
    forms = []
    for election in congress.elections:
        round_ = election.rounds[0]
        present = 14 if election.body == "committee" else 146
        assert round_.status == "entry" and round_.present == present and round_.issued == present
        engine = round_.to_election()
        forms.append(str(engine.form))
        result = tally.tally(engine, round_.engine_ballots())
        assert result.counted == present and result.outcome is tally.Outcome.COMPLETE
        assert result.seats_filled == election.seats and not result.checks
    assert forms == ["strike", "boxes", "strike", "strike"]
    # The secretary is elected by the new committee: its 15 members, one excluded.
    secretary = congress.elections[1].rounds[0].to_election()
    assert (secretary.convened, secretary.excluded, secretary.base, secretary.majority) == (15, 1, 14, 8)


def test_demo_double_entry_has_differences_to_settle(demo):
    round_ = demo.congress.elections[0].rounds[0]
    first, second = round_.active_ballots("A"), round_.active_ballots("B")
    assert len(first) == len(second) == 146
    # The demo's committee round is entered in two batches of 73 (tệp phiếu), numbered from 1 each.
    assert round_.batches == 2 and [b.batch for b in first].count(2) == 73
    differing = [(a.batch, a.sequence) for a, b in zip(first, second) if a.marks != b.marks]
    assert differing == [(1, 18), (2, 16)]


def test_demo_gives_counters_their_congress(demo):
    counter = db.session.scalar(db.select(User).where(User.username == "nhapphieu1"))
    assert counter.role_in(demo.congress.id) is Role.COUNTER
    assert counter.role_in(demo.congress.id + 1) is None


def test_demo_twice_changes_nothing(demo):
    from kiemphieu.demo import load_demo

    before = db.session.scalar(db.select(db.func.count()).select_from(Ballot))
    again = load_demo()
    assert not again.created and again.passwords == {}
    assert db.session.scalar(db.select(db.func.count()).select_from(Ballot)) == before


def test_every_set_up_page_of_the_demo_renders(client, demo, auth):
    auth.login("tochuc", demo.passwords["tochuc"])
    congress = demo.congress
    urls = ["/", "/organisations", f"/congresses/{congress.id}", f"/congresses/{congress.id}/audit"]
    for election in congress.elections:
        urls += [f"/elections/{election.id}", f"/rounds/{election.rounds[0].id}",
                 f"/rounds/{election.rounds[0].id}/ballot"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get(f"/congresses/{congress.id}").get_data(as_text=True)
    assert "Đại hội đại biểu Đảng bộ xã Hưng Long lần thứ XXI, nhiệm kỳ 2025 - 2030" in html
    assert "Đang nhập phiếu" in html
