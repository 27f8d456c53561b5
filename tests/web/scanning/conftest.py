"""Fixtures for the scanning tests: a round in entry, a logged-in counter, scan files, a fake reader."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from kiemphieu.models import Role

PASSWORD_FOR_TESTS = "matkhau-thu-nghiem"
STRUCK_C01 = {"c01": "struck", "c02": "kept", "c03": "kept"}


def png_bytes(seed: int = 0, size: int = 40) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (size, size), ((seed * 37) % 256, (seed * 91) % 256, (seed * 13 + 7) % 256))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes(pages: int) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 280))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def tiff_bytes(pages: int) -> bytes:
    from PIL import Image

    frames = [Image.new("L", (50, 70), 40 * i) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reading(status="read", marks=None, *, flags=(), scores=None, reason=None, form="strike") -> dict:
    marks = dict(STRUCK_C01 if marks is None else marks)
    if status == "rejected":
        return {"file": "", "page": 0, "status": "rejected", "marks": None, "boxes": None, "flags": [],
                "scores": {}, "reason": reason or "no_markers"}
    default_scores = {c: (0.9 if m in ("struck", "agree") else 0.4 if m == "uncertain" else 0.02)
                      for c, m in marks.items()}
    return {
        "file": "", "page": 0, "status": status,
        "marks": marks if form == "strike" else None, "boxes": marks if form == "boxes" else None,
        "flags": list(flags), "scores": scores or default_scores, "reason": reason,
    }


class FakeReader:
    """Stands in for kiemphieu.ocr.reader: a reading per page, chosen by the file's SHA-256."""

    def __init__(self):
        self.by_sha: dict[str, list[dict] | Exception] = {}
        self.calls: list[str] = []

    def set(self, data: bytes, *readings: dict | Exception) -> None:
        self.by_sha[sha(data)] = list(readings) if not isinstance(readings[0], Exception) else readings[0]

    def __call__(self, data, election, profile_name, file_name):
        self.calls.append(sha(data))
        found = self.by_sha.get(sha(data))
        if isinstance(found, Exception):
            raise found
        found = found or [reading()]
        return [{**r, "page": i} for i, r in enumerate(found)]


@pytest.fixture
def fake_reader(monkeypatch):
    import kiemphieu.worker as worker

    reader = FakeReader()

    def read_pages(path, election, profile_name, file_name, wanted):
        # No OpenCV in these tests: a preview is any small JPEG-looking file.
        for page, found in enumerate(reader(path.read_bytes(), election, profile_name, file_name)):
            if page in wanted:
                preview = b"\xff\xd8\xff\xe0preview" if found.get("status") != "read" else None
                yield worker.PageResult(page, found, preview, aligned=preview is not None)

    monkeypatch.setattr(worker, "read_pages", read_pages)
    monkeypatch.setattr(worker, "warm_reader", lambda election, profile_name: None)  # no real reader to prepare
    return reader


@pytest.fixture
def make_scan_round(make_election):
    """make_scan_round() -> round 1 of a new strike-form election (3 candidates c01-c03,
    2 seats), entry started."""
    from kiemphieu.congress import services

    def make():
        election = make_election(seats=2, present=140, issued=140, entry_mode="single")
        round_ = election.rounds[0]
        services.start_entry(round_)
        return round_
    return make


@pytest.fixture
def scan_round(make_scan_round):
    """Round 1 of a strike-form election (3 candidates c01-c03, 2 seats), entry started."""
    return make_scan_round()


@pytest.fixture
def counter(auth, scan_round):
    congress = scan_round.election.congress
    return auth.as_role(Role.COUNTER, congresses={congress: Role.COUNTER})


def upload(client, round_, *files, profile=""):
    data = {"files": [(io.BytesIO(content), name) for name, content in files], "profile": profile}
    return client.post(f"/rounds/{round_.id}/scans", data=data, content_type="multipart/form-data")


def flashes(response) -> str:
    return response.get_data(as_text=True)
