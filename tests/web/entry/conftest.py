"""A round ready for entry, and helpers to post ballots like the entry screen does."""

from __future__ import annotations

import uuid

import pytest

from kiemphieu.congress import services as congress_services
from kiemphieu.models import Role

COMMITTEE = ["Lê Thị Thu", "Hà Văn Tâm", "Đỗ Minh Châu"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]


@pytest.fixture
def make_round(make_congress, make_election):
    """make_round(seats=2, candidates=NAMES, entry_mode="double") -> a round in status entry."""

    def make(*, seats=2, candidates=NAMES, entry_mode="double", present=10, issued=10, committee=COMMITTEE,
             congress=None, **kwargs):
        congress = congress or make_congress(convened=12, committee=committee)
        election = make_election(congress=congress, seats=seats, candidates=candidates, entry_mode=entry_mode,
                                 present=present, issued=issued, **kwargs)
        round_ = election.rounds[0]
        congress_services.start_entry(round_)
        return round_

    return make


@pytest.fixture
def counter(auth):
    """Log in as a counter assigned to the given congress."""

    def login(congress, role=Role.COUNTER):
        return auth.as_role(role, congresses={congress: role} if role is not Role.ADMIN else None)

    return login


class Poster:
    def __init__(self, client):
        self.client = client

    def save(self, round_, entry_pass, marks, key=None, confirm=False):
        return self.client.post(f"/rounds/{round_.id}/entry/{entry_pass}/ballots",
                                json={"key": key or uuid.uuid4().hex, "marks": marks, "confirm_invalid": confirm})

    def undo(self, round_, entry_pass, sequence=None):
        return self.client.post(f"/rounds/{round_.id}/entry/{entry_pass}/undo", json={"sequence": sequence})


@pytest.fixture
def post(client):
    return Poster(client)


@pytest.fixture
def codes():
    """codes(round_) -> the candidate codes in ballot order."""
    return lambda round_: [c.code for c in round_.candidates]
