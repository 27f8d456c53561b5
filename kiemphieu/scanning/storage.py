"""Storing uploaded scan files: the folders, the limits, one ScanImage per page, idempotent
by SHA-256 (the file on disk and fsynced before its rows commit; the rows committed before
anything is acknowledged). Re-exported by ``services``."""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db, write_operation
from ..models import Round, RoundStatus, ScanImage, ScanStatus, User
from .intake import DISK_FULL, EXTENSIONS, Limits, ScanFile, disk_full, move_into_place

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|tif|pdf)$")
PREVIEW_NAME = re.compile(r"^[0-9a-f]{32}-p\d{1,5}\.jpg$")
PROFILE_NAME = re.compile(r"^[a-z0-9-]{1,64}$")


class ScanError(ValueError):
    """A refused scanning operation; the message is shown to the user as is."""


class RoundClosed(ScanError):
    """The round takes no ballots now (not started, or finalised)."""


# ------------------------------------------------------------------ storage


def limits() -> Limits:
    config = current_app.config
    return Limits(
        max_pages=config.get("SCAN_MAX_PAGES", 1000),
        max_pixels=config.get("SCAN_MAX_PIXELS", 80_000_000),
        max_file_bytes=config.get("SCAN_MAX_FILE_BYTES", 200_000_000),
        zip_max_members=config.get("SCAN_ZIP_MAX_MEMBERS", 2000),
        zip_max_total=config.get("SCAN_ZIP_MAX_TOTAL", 1024 * 1024 * 1024),
        zip_max_ratio=config.get("SCAN_ZIP_MAX_RATIO", 200),
    )


def incoming_folder() -> Path:
    """Where uploads are spooled before they are checked (same disk as the stored scans)."""
    return _folder("incoming")


def sweep_incoming(older_than: float = 3600.0) -> None:
    """Remove spooled files a crashed request left behind."""
    cutoff = time.time() - older_than
    for part in incoming_folder().glob(".*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except OSError:
            pass


def _folder(kind: str) -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_path(stored_name: str) -> Path:
    """Where a scan file lives. Names are generated here; anything else is refused."""
    if not STORED_NAME.match(stored_name or ""):
        raise ScanError("Tên tệp lưu trữ không hợp lệ.")
    return _folder("scans") / stored_name


def preview_path(preview_name: str) -> Path:
    if not PREVIEW_NAME.match(preview_name or ""):
        raise ScanError("Tên ảnh xem trước không hợp lệ.")
    return _folder("previews") / preview_name


def preview_folder() -> Path:
    return _folder("previews")


def preview_name_for(stored_name: str, page: int) -> str:
    return f"{stored_name.split('.')[0]}-p{page}.jpg"


def new_preview_name(scan: ScanImage) -> str:
    return preview_name_for(scan.stored_name, scan.page)


def write_file_atomically(path: Path, data: bytes, sync: bool = True) -> None:
    """Write, fsync, then rename: a crash never leaves half a file under the final name, and a
    failure (a full disk) leaves no ``.part`` behind. ``sync=False``: the caller makes a batch
    durable at once (``sync_folder``) before it commits what names them."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def page_key(file_sha: str, page: int) -> str:
    """The unique key of one page: the file's SHA-256 for page 0, a derived hash after it."""
    if page == 0:
        return file_sha
    return hashlib.sha256(f"{file_sha}:page:{page}".encode()).hexdigest()


def check_profile_name(name: str | None) -> str:
    name = (name or "").strip()
    if name and not PROFILE_NAME.match(name):
        raise ScanError("Tên cấu hình máy quét không hợp lệ.")
    return name


@dataclass
class StoreResult:
    scans: list[ScanImage]
    created: bool  # False: this exact file was already stored (nothing new was written)

    @property
    def first(self) -> ScanImage:
        return self.scans[0]


def scans_of_file(file_sha: str) -> list[ScanImage]:
    first = db.session.scalar(select(ScanImage).where(ScanImage.sha256 == file_sha))
    if first is None:
        return []
    return list(
        db.session.scalars(
            select(ScanImage).where(ScanImage.stored_name == first.stored_name).order_by(ScanImage.page)
        )
    )


def scans_of_files(file_shas: list[str]) -> dict[str, list[ScanImage]]:
    """``scans_of_file`` of many files at once (two statements): file SHA-256 -> its scans."""
    names = dict(db.session.execute(select(ScanImage.stored_name, ScanImage.sha256)
                                    .where(ScanImage.sha256.in_(file_shas))).all())
    if not names:
        return {}
    found: dict[str, list[ScanImage]] = {}
    for scan in db.session.scalars(select(ScanImage).where(ScanImage.stored_name.in_(names))
                                   .order_by(ScanImage.page)):
        found.setdefault(scan.stored_name, []).append(scan)
    return {sha: found[name] for name, sha in names.items() if name in found}


def check_round_open(round_: Round) -> None:
    if round_.status == RoundStatus.SETUP.value:
        raise RoundClosed("Vòng bầu chưa bắt đầu nhập phiếu: chưa nhận ảnh phiếu quét.")
    if round_.status == RoundStatus.FINALISED.value:
        raise RoundClosed("Vòng bầu đã chốt kết quả: không nhận thêm phiếu.")


def store_scan(
    round_: Round,
    scan_file: ScanFile,
    *,
    user: User | None,
    profile: str = "",
    station_readings: list[dict] | None = None,
) -> StoreResult:
    """Store one checked file (one ScanImage per page) and queue it for the worker.

    Idempotent by SHA-256: the same bytes again return the stored scans with created=False.
    The file is on disk (fsynced) before the rows commit, and the rows commit before the
    caller acknowledges.
    """
    try:
        profile = check_profile_name(profile)
        file_sha = scan_file.sha256
        existing = scans_of_file(file_sha)
        if existing:
            return _existing(existing, round_)
        check_round_open(round_)
    except BaseException:
        scan_file.discard()
        raise
    stored_name = f"{uuid.uuid4().hex}.{EXTENSIONS[scan_file.kind]}"
    path = stored_path(stored_name)
    try:
        if scan_file.path is not None:
            move_into_place(scan_file, path)
        else:
            write_file_atomically(path, scan_file.data)
    except OSError as exc:
        scan_file.discard()
        if disk_full(exc):
            raise ScanError(DISK_FULL) from None
        raise
    try:
        scans = _insert_scans(round_, scan_file, file_sha, stored_name, user, profile, station_readings)
    except IntegrityError:  # the same file arrived twice at once: the other request stored it
        db.session.rollback()
        path.unlink(missing_ok=True)
        return _existing(scans_of_file(file_sha), round_)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoreResult(scans, True)


def store_scans(round_: Round, scan_files: list[ScanFile], *, user: User | None, profile: str = "",
                chunk: int = 32) -> list[tuple[ScanFile, StoreResult | ScanError]]:
    """Store many checked files (an upload's zip) as ``store_scan`` does, but a chunk at a
    time: the chunk's files moved into place, made durable with one filesystem sync, and its
    rows committed in one transaction (the worker starts on a chunk while the next is stored).
    Returns each file's result or refusal, in order."""
    results: dict[int, StoreResult | ScanError] = {}
    for start in range(0, len(scan_files), chunk):
        part = list(enumerate(scan_files[start:start + chunk], start))
        try:
            _store_chunk(round_, part, user, profile, results)
        except BaseException:
            for _, scan_file in enumerate(scan_files[start:], start):
                scan_file.discard()
            raise
    return [(scan_file, results[index]) for index, scan_file in enumerate(scan_files)]


def _store_chunk(round_, part, user, profile, results) -> None:
    profile = check_profile_name(profile)
    fresh, later, seen = [], [], set()
    known = scans_of_files([scan_file.sha256 for _, scan_file in part])
    for index, scan_file in part:
        existing = known.get(scan_file.sha256)
        if existing:
            try:
                results[index] = _existing(existing, round_)
            except ScanError as exc:
                results[index] = exc
            scan_file.discard()
            continue
        if scan_file.sha256 in seen:
            later.append((index, scan_file))  # twice in one upload: stored once, said so after
            continue
        check_round_open(round_)
        seen.add(scan_file.sha256)
        fresh.append((index, scan_file))
    placed = []
    try:
        for index, scan_file in fresh:
            stored_name = f"{uuid.uuid4().hex}.{EXTENSIONS[scan_file.kind]}"
            path = stored_path(stored_name)
            if scan_file.path is not None:
                move_into_place(scan_file, path, sync=False)
            else:
                write_file_atomically(path, scan_file.data)
            placed.append((index, scan_file, stored_name, path))
        sync_folder(_folder("scans"), [path for *_, path in placed])
    except OSError as exc:
        for *_, path in placed:
            path.unlink(missing_ok=True)
        for _, scan_file in fresh:
            scan_file.discard()
        if disk_full(exc):
            raise ScanError(DISK_FULL) from None
        raise
    try:
        stored = _insert_many(round_, [(f, stored_name) for _, f, stored_name, _ in placed], user, profile)
    except IntegrityError:  # another request stored one of these meanwhile: one by one
        db.session.rollback()
        stored = [_insert_one_placed(round_, f, stored_name, path, user, profile) for _, f, stored_name, path in placed]
    except BaseException:
        for *_, path in placed:
            path.unlink(missing_ok=True)
        raise
    for (index, *_), result in zip(placed, stored, strict=True):
        results[index] = result
    for index, scan_file in later:
        try:
            results[index] = _existing(scans_of_file(scan_file.sha256), round_)
        except ScanError as exc:
            results[index] = exc
        scan_file.discard()


def _insert_one_placed(round_, scan_file, stored_name, path, user, profile) -> StoreResult:
    try:
        return StoreResult(_insert_scans(round_, scan_file, scan_file.sha256, stored_name, user, profile, None), True)
    except IntegrityError:
        db.session.rollback()
        path.unlink(missing_ok=True)
        return _existing(scans_of_file(scan_file.sha256), round_)


def sync_folder(folder: Path, paths: list[Path]) -> None:
    """Make the files just written (and their names) durable: one syncfs of the filesystem
    rather than one journal commit per file; fsync of each file and the folder without it."""
    if not paths:
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if _syncfs is not None and _syncfs(descriptor) == 0:
            return
        for path in paths:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _load_syncfs():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()


def _existing(scans: list[ScanImage], round_: Round) -> StoreResult:
    if scans[0].round_id != round_.id:
        other = scans[0].round
        if other.election.congress_id != round_.election.congress_id:
            # Another congress's ballot: the uploader may have no right to know which one.
            raise ScanError("Ảnh này đã được nộp cho một đại hội khác, không phải vòng bầu này.")
        raise ScanError(
            f"Ảnh này đã được nộp cho vòng {other.number} của “{other.election.title}”, không phải vòng này."
        )
    return StoreResult(scans, False)


@write_operation
def _insert_many(round_, files: list[tuple[ScanFile, str]], user, profile) -> list[StoreResult]:
    """Rows of many stored files in one transaction (an audit entry for each file)."""
    check_round_open(db.session.get(Round, round_.id))
    added = [(f, _new_scans(round_, f, f.sha256, name, user, profile, None)) for f, name in files]
    db.session.flush()  # every file's rows in one go, then their audit entries in one statement
    audit.record_many([("scan.upload", round_.election.congress_id, _upload_detail(round_, f, f.sha256, scans, profile, None))
                       for f, scans in added])
    db.session.commit()
    return [StoreResult(scans, True) for _, scans in added]


@write_operation
def _insert_scans(round_, scan_file, file_sha, stored_name, user, profile, station_readings) -> list[ScanImage]:
    check_round_open(db.session.get(Round, round_.id))
    scans = _add_scans(round_, scan_file, file_sha, stored_name, user, profile, station_readings)
    db.session.commit()
    return scans


def _add_scans(round_, scan_file, file_sha, stored_name, user, profile, station_readings) -> list[ScanImage]:
    scans = _new_scans(round_, scan_file, file_sha, stored_name, user, profile, station_readings)
    db.session.flush()
    audit.record("scan.upload", congress=round_.election.congress_id,
                 **_upload_detail(round_, scan_file, file_sha, scans, profile, station_readings))
    return scans


def _new_scans(round_, scan_file, file_sha, stored_name, user, profile, station_readings) -> list[ScanImage]:
    """One file's ScanImage rows, one per page, added to the session (not flushed)."""
    scans = []
    for page in range(scan_file.pages):
        station = None
        if station_readings and page < len(station_readings) and isinstance(station_readings[page], dict):
            station = station_readings[page]
        scan = ScanImage(
            round_id=round_.id,
            sha256=page_key(file_sha, page),
            stored_name=stored_name,
            original_name=(scan_file.name or "")[:255],
            page=page,
            status=ScanStatus.PENDING.value,
            uploaded_by_id=user.id if user else None,
            profile=profile,
            station_reading=station,
        )
        db.session.add(scan)
        scans.append(scan)
    return scans


def _upload_detail(round_, scan_file, file_sha, scans, profile, station_readings) -> dict:
    """The ``scan.upload`` audit entry's detail (the scans flushed: they have their ids)."""
    return dict(round_id=round_.id, sha256=file_sha, scan_ids=[s.id for s in scans], pages=scan_file.pages,
                kind=scan_file.kind, file=scan_file.name, profile=profile, from_station=bool(station_readings))
