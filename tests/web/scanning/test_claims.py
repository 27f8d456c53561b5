"""Scan claims: fair across rounds; on PostgreSQL rows another worker holds are skipped."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from kiemphieu.extensions import db
from kiemphieu.scanning import services
from kiemphieu.scanning.intake import Limits, check_scan

from .conftest import png_bytes


def store(round_, seed):
    return services.store_scan(round_, check_scan(png_bytes(seed), f"{seed}.png", Limits()), user=None).scans[0]


@pytest.fixture
def second_round(make_scan_round):
    return make_scan_round()


def test_a_large_upload_does_not_hold_back_another_round(app, scan_round, second_round):
    big = [store(scan_round, seed).id for seed in (1, 2, 3)]
    small = store(second_round, 4).id
    order = [scan.id for _ in range(4) for scan in services.claim_next()]
    assert order == [big[0], small, big[1], big[2]]
    assert services.claim_next() == []


def test_a_scan_locked_by_another_worker_is_skipped(app, scan_round, second_round):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises claims with its write lock)")
    first, other = store(scan_round, 5).id, store(second_round, 6).id
    db.session.commit()
    holder = create_engine(db.engine.url)
    with holder.connect() as conn:  # another node's worker in the middle of its claim
        conn.execute(text("SELECT id FROM scan_image WHERE id = :i FOR UPDATE"), {"i": first})
        claimed = [s.id for s in services.claim_next()]  # must not wait for that lock
        conn.rollback()
    holder.dispose()
    assert claimed == [other]
    assert [s.id for s in services.claim_next()] == [first]
