"""Two nodes on one database and one shared upload folder (KIEMPHIEU_UPLOAD_FOLDER): a scan
stored through node A is read by node B's worker and previewed through node B, and a signed
document written by one node is served by the other. Each node has its own instance folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiemphieu import create_app
from kiemphieu.auth import services as users
from kiemphieu.congress import services as setup
from kiemphieu.extensions import db
from kiemphieu.models import Role, ScanImage
from kiemphieu.scanning import services
from kiemphieu.scanning.intake import Limits, check_scan
from kiemphieu.worker import run_once

from ..conftest import shared_database_url
from .conftest import PASSWORD_FOR_TESTS, png_bytes, reading


def node(tmp_path, name: str, shared):
    return create_app({"TESTING": True, "SECRET_KEY": "same-key-on-every-node", "WTF_CSRF_ENABLED": False,
                       "INSTANCE_PATH": str(tmp_path / name), "SQLALCHEMY_DATABASE_URI": shared_database_url(tmp_path),
                       "UPLOAD_FOLDER": str(shared)})


@pytest.fixture
def two_nodes(tmp_path):
    shared = tmp_path / "shared-storage"
    node_a, node_b = node(tmp_path, "node-a", shared), node(tmp_path, "node-b", shared)
    with node_a.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    yield node_a, node_b
    for app in (node_a, node_b):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def open_round() -> int:
    congress = setup.create_congress(setup.create_organisation("Đảng bộ xã Yên Lập"), convened=150)
    election = setup.create_election(congress, "committee", "Bầu Ban Chấp hành", 2, entry_mode="single")
    setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None), ("Lê Văn Cường", None)])
    round_ = election.rounds[0]
    setup.set_round_numbers(round_, 140, 140)
    setup.start_entry(round_)
    users.assign(users.create_user("nhap", PASSWORD_FOR_TESTS, Role.COUNTER), congress, Role.COUNTER)
    return round_.id


def test_a_scan_stored_on_one_node_is_read_and_previewed_on_another(two_nodes, fake_reader):
    node_a, node_b = two_nodes
    data = png_bytes(7)
    fake_reader.set(data, reading("review", {"c01": "uncertain", "c02": "kept", "c03": "kept"}))
    with node_a.app_context():
        from kiemphieu.models import Round

        round_id = open_round()
        [scan] = services.store_scan(db.session.get(Round, round_id), check_scan(data, "a.png", Limits()),
                                     user=None).scans
        scan_id = scan.id
        db.session.remove()
    assert not list(Path(node_b.instance_path).rglob("*.png"))  # node B's own folder holds no copy

    with node_b.app_context():
        assert run_once() == 1  # node B's worker reads the file node A stored
        scan = db.session.get(ScanImage, scan_id)
        assert scan.status == "review" and scan.preview_name
        db.session.remove()

    for app in (node_a, node_b):
        client = app.test_client()
        assert client.post("/login", data={"username": "nhap", "password": PASSWORD_FOR_TESTS}).status_code == 302
        response = client.get(f"/scans/{scan_id}/preview.jpg")
        assert response.status_code == 200 and response.data.startswith(b"\xff\xd8")


def test_a_signed_document_kept_by_one_node_is_found_by_the_other(two_nodes):
    from kiemphieu.models import ResultVersion, Round
    from kiemphieu.results import signing

    node_a, node_b = two_nodes
    with node_a.app_context():
        round_id = open_round()
        round_ = db.session.get(Round, round_id)
        version = ResultVersion(round_id=round_id, version=1)
        path = signing.signed_path(round_, version)
        path.parent.mkdir(parents=True)
        path.write_bytes(b"%PDF-1.7 signed by node A")
        assert path.is_relative_to(node_a.config["UPLOAD_FOLDER"])  # not node A's instance folder
        db.session.remove()
    with node_b.app_context():
        round_ = db.session.get(Round, round_id)
        assert signing.signed_minutes(round_, ResultVersion(round_id=round_id, version=1)) == b"%PDF-1.7 signed by node A"
        db.session.remove()


def test_a_season_file_previewed_on_one_node_is_confirmed_on_another(two_nodes):
    import io
    import re
    import sys

    from sqlalchemy import func, select

    from kiemphieu.models import Congress

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "season"))
    from season_support import csv_bytes, season_rows

    node_a, node_b = two_nodes
    with node_a.app_context():
        users.create_user("tochuc", PASSWORD_FOR_TESTS, Role.ORGANISER)
        db.session.remove()
    client_a, client_b = node_a.test_client(), node_b.test_client()
    for client in (client_a, client_b):
        assert client.post("/login", data={"username": "tochuc", "password": PASSWORD_FOR_TESTS}).status_code == 302
    page = client_a.post("/season/import", data={"file": (io.BytesIO(csv_bytes(season_rows())), "mua.csv")},
                         content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert client_b.post("/season/import/confirm", data={"token": token, "name": "mua.csv"}).status_code == 302
    with node_b.app_context():
        assert db.session.scalar(select(func.count()).select_from(Congress)) == 1
        db.session.remove()
