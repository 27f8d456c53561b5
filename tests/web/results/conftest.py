"""Shared by the results tests: logging in with a role, and a counted round."""

from __future__ import annotations

import pytest

from kiemphieu.models import Role

from ..conftest import enter


def login_as(make_user, auth, name, role, congress=None):
    make_user(name, role, congresses={congress: role} if congress is not None and role is not Role.ADMIN else None)
    auth.logout()
    auth.login(name)


@pytest.fixture
def counted_round(make_round, make_user, auth, post, codes):
    """Double entry of 5 ballots, 2 seats of 4 (convened 12): An 5, Bình 4, Cường 1, Dung 0 valid votes."""
    round_ = make_round(seats=2, present=6, issued=6)
    login_as(make_user, auth, "totruong", Role.ORGANISER, round_.congress)
    c = codes(round_)
    stack = [{"struck": [c[2], c[3]]}] * 4 + [{"struck": [c[1], c[3]]}] + [{"invalid": "no_stamp"}]
    enter(post, round_, "A", stack)
    enter(post, round_, "B", stack)
    return round_
