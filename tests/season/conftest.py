"""Fixtures for the season commands: a file-backed instance driven through `kiemphieu` (cli.main)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kiemphieu.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from season_support import ON_POSTGRESQL, TEST_DATABASE_URL, empty_database  # noqa: E402,F401


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    monkeypatch.setenv("KIEMPHIEU_INSTANCE", str(folder))
    if ON_POSTGRESQL:
        monkeypatch.setenv("DATABASE_URL", TEST_DATABASE_URL)
        monkeypatch.setenv("SECRET_KEY", "season-tests-shared-key")  # required with PostgreSQL
        empty_database()
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db-upgrade"]) == 0
    return folder


class Cli:
    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([str(a) for a in args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def cli(instance, capsys):
    return Cli(capsys)


