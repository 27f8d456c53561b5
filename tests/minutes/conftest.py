"""Fixtures of the minutes tests; the builders live in minutes_support.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests/throwaway_ca.py

from minutes_support import SCENARIOS  # noqa: E402


@pytest.fixture(scope="session")
def rendered():
    """Each scenario rendered once for the whole session: name -> (election, ballots, pdf)."""
    from kiemphieu.minutes import render_minutes

    cache = {}

    def get(name):
        if name not in cache:
            election, ballots = SCENARIOS[name]()
            cache[name] = (election, ballots, render_minutes(election, ballots, ended_at="16:45"))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def throwaway_ca(tmp_path_factory):
    """A root CA, a signer certificate (PKCS#12) and an unrelated root, made for this run."""
    from throwaway_ca import make_ca

    return make_ca(tmp_path_factory.mktemp("ca"))
