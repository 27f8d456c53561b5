"""A live kiemphieu server for the station and browser tests (werkzeug in a thread, SQLite file)."""

from __future__ import annotations

import io
import socket
import threading

import pytest
from werkzeug.serving import make_server

from kiemphieu import create_app
from kiemphieu.extensions import db
from kiemphieu.models import Role

PASSWORD = "mat-khau-tram-quet"


def png_bytes(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), (seed * 40 % 256, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server_app(tmp_path):
    """An app on a database file (threads share it) with a round in entry and a counter."""
    from kiemphieu.auth import services as users
    from kiemphieu.congress import services as setup
    from kiemphieu.tally import Kind

    app = create_app({
        "TESTING": True, "SECRET_KEY": "station-test", "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'station.sqlite'}",
    })
    with app.app_context():
        db.create_all()
        organisation = setup.create_organisation("Đảng bộ xã Yên Lập")
        congress = setup.create_congress(organisation, name="Đại hội đại biểu", convened=100)
        election = setup.create_election(congress, Kind.COMMITTEE, "Bầu Ban Chấp hành", 2)
        setup.add_candidates(election, [("Nguyễn Văn An", None), ("Trần Thị Bình", None), ("Lê Văn Cường", None)])
        round_ = election.rounds[0]
        setup.set_round_numbers(round_, 90, 90)
        setup.start_entry(round_)
        user = users.create_user("tram1", PASSWORD, Role.COUNTER)
        users.assign(user, congress, Role.COUNTER)
        app.config["ROUND_ID"] = round_.id
        db.session.remove()
    return app


class LiveServer:
    def __init__(self, app, port: int):
        self.app, self.port = app, port
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def live(server_app):
    server = LiveServer(server_app, free_port())
    server.start()
    yield server
    server.stop()


