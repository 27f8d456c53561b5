"""Checking uploaded scan files before anything is stored: type by content, zip safety, pages.

No Flask, no database, no OpenCV: only magic bytes, the zip directory, image headers and the
page count of a PDF or TIFF are looked at. Files are never held in memory: an upload arrives
spooled to disk, a zip member is copied out in chunks (its size and compression ratio checked
while copying) to a ``.part`` file in the spool folder, hashed on the way. Any failure removes
the ``.part`` files it made; a full disk is a clear message, not a crash.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Extension used for the stored file, by detected type.
EXTENSIONS = {"jpeg": "jpg", "png": "png", "tiff": "tif", "pdf": "pdf"}
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf\x27\x1c", b"BZh")
IGNORED_MEMBERS = ("__MACOSX/", ".DS_Store", "Thumbs.db")
CHUNK = 1024 * 1024
RATIO_SLACK = 64 * 1024  # bytes a tiny member may expand beyond the ratio (headers, a blank strip)
DISK_FULL = "Ổ đĩa của máy chủ đã đầy: không lưu được tệp. Hãy giải phóng dung lượng rồi tải lên lại."


class IntakeError(ValueError):
    """A refused file; the message (Vietnamese) is shown to the user as is."""


@dataclass(frozen=True)
class Limits:
    max_pages: int = 1000  # pages of one PDF or TIFF
    max_pixels: int = 80_000_000  # pixels of one image or TIFF page (A4 at 600 dpi: 35 million)
    max_file_bytes: int = 200_000_000  # one scan file (the reader's own limit)
    zip_max_members: int = 2000
    zip_max_total: int = 1024 * 1024 * 1024  # uncompressed bytes of all members
    zip_max_ratio: int = 200  # uncompressed / compressed beyond which a member is a bomb


@dataclass(frozen=True)
class ScanFile:
    """One checked scan file: spooled on disk (``path``, moved into place when stored) or,
    for callers that already hold it, in memory (``data``)."""

    name: str  # for display only: never used to build a path
    kind: str  # jpeg | png | tiff | pdf
    pages: int
    sha256: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes (never from its name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    return None


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(1024)


# ------------------------------------------------------------------ spooling


def _part_path(folder: Path) -> Path:
    return Path(folder) / f".{uuid.uuid4().hex}.part"


def disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def spool(stream: BinaryIO, folder: Path, *, limit: int | None = None, too_big: str = "",
          check: Callable[[int], None] | None = None) -> tuple[Path, str, int]:
    """Copy a stream to a ``.part`` file in chunks: (path, SHA-256, size). Removed on failure.
    ``check(size so far)`` may stop the copy by raising IntakeError."""
    path = _part_path(folder)
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise IntakeError(too_big or "Tệp quá lớn.")
                if check is not None:
                    check(size)
                digest.update(chunk)
                out.write(chunk)
    except BaseException as exc:
        path.unlink(missing_ok=True)
        if disk_full(exc):
            raise IntakeError(DISK_FULL) from None
        raise
    return path, digest.hexdigest(), size


# ------------------------------------------------------------------ one scan file


def count_pages(source: Path | bytes, kind: str, limits: Limits) -> int:
    """Pages of a PDF or TIFF, each within the pixel limit (headers only: nothing is decoded)."""
    if kind == "pdf":
        pages = _pdf_pages(source)
    elif kind in ("tiff", "jpeg", "png"):
        pages = _image_pages(source, kind, limits)
    else:
        return 1
    if pages < 1:
        raise IntakeError("Tệp không có trang nào.")
    return pages


def _pdf_pages(source) -> int:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(source) if isinstance(source, Path) else source)
    except Exception:  # PdfiumError and friends: a corrupt file
        raise IntakeError("Tệp PDF bị hỏng, không đọc được.") from None
    try:
        return len(document)
    finally:
        document.close()


def _image_pages(source, kind: str, limits: Limits) -> int:
    """Walk the pages' headers (one frame at a time: a 1,000-page TIFF costs one header)."""
    from PIL import Image

    label = {"tiff": "TIFF", "jpeg": "JPEG", "png": "PNG"}[kind]
    try:
        with Image.open(source if isinstance(source, Path) else io.BytesIO(source)) as image:
            pages = 0
            while True:
                pages += 1
                if pages > limits.max_pages:
                    raise IntakeError(f"Tệp có hơn {limits.max_pages} trang, vượt quá giới hạn {limits.max_pages} trang.")
                width, height = image.size
                if width * height > limits.max_pixels:
                    raise IntakeError(f"Ảnh quá lớn ({width}×{height} điểm ảnh ở trang {pages}; "
                                      f"giới hạn {limits.max_pixels // 1_000_000} triệu điểm ảnh).")
                if kind != "tiff":
                    return 1
                try:
                    image.seek(pages)
                except EOFError:
                    return pages
    except IntakeError:
        raise
    except Exception:
        raise IntakeError(f"Tệp {label} bị hỏng, không đọc được.") from None


def _check_pages(kind: str, pages: int, limits: Limits) -> None:
    if pages > limits.max_pages:
        raise IntakeError(f"Tệp có {pages} trang, vượt quá giới hạn {limits.max_pages} trang.")


def check_scan(data: bytes | Path, name: str, limits: Limits) -> ScanFile:
    """One image, PDF or TIFF file (bytes, or a spooled path), checked by content."""
    path = data if isinstance(data, Path) else None
    size = path.stat().st_size if path else len(data)
    head = _head(path) if path else data[:1024]
    if not size:
        raise IntakeError("Tệp rỗng.")
    kind = sniff(head)
    if kind == "zip":
        raise IntakeError("Tệp zip lồng trong tệp zip: không chấp nhận.")
    if kind is None:
        raise IntakeError("Không phải ảnh JPEG, PNG, TIFF hay tệp PDF (kiểm tra theo nội dung tệp).")
    if size > limits.max_file_bytes:
        raise IntakeError(f"Tệp quá lớn ({_mb(size)}; mỗi tệp ảnh tối đa {_mb(limits.max_file_bytes)}).")
    pages = count_pages(path or data, kind, limits)
    _check_pages(kind, pages, limits)
    if path is not None:
        return ScanFile(name=name, kind=kind, pages=pages, sha256=_sha_of(path), size=size, path=path)
    return ScanFile(name=name, kind=kind, pages=pages, sha256=hashlib.sha256(data).hexdigest(), size=size, data=data)


def _sha_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB".replace(",", ".") if size >= 1_000_000 else f"{size:,} byte".replace(",", ".")


# ------------------------------------------------------------------ zips


def _safe_member_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"))


def _check_directory(archive: zipfile.ZipFile, archive_size: int, limits: Limits) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.zip_max_members:
        raise IntakeError(f"Tệp zip có {len(members)} tệp, vượt quá giới hạn {limits.zip_max_members}.")
    for info in members:
        if not _safe_member_name(info.filename):
            raise IntakeError(f"Tệp zip chứa đường dẫn không hợp lệ: “{info.filename}”.")
    files = [m for m in members if not m.is_dir() and not any(x in m.filename for x in IGNORED_MEMBERS)]
    for info in files:
        if _inflated(info.file_size, info.compress_size, limits):
            raise IntakeError(f"Tệp zip có tỷ lệ nén bất thường (“{info.filename}”): bị từ chối.")
        if info.filename.lower().endswith((".zip", ".rar", ".7z", ".gz", ".tar", ".bz2", ".xz")):
            raise IntakeError(f"Tệp zip chứa một tệp nén khác (“{info.filename}”): không chấp nhận.")
    total = sum(m.file_size for m in files)
    if total > limits.zip_max_total or total > limits.zip_max_ratio * archive_size + RATIO_SLACK:
        raise IntakeError(f"Tệp zip giải nén ra quá lớn (giới hạn {_mb(limits.zip_max_total)}).")
    return files


def _inflated(size: int, compressed: int, limits: Limits) -> bool:
    """A member expanding beyond the ratio, whatever its size (a 9 MB one as much as a 1 GB one)."""
    return size > limits.zip_max_ratio * max(compressed, 1) + RATIO_SLACK


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, limits: Limits,
             budget: int) -> tuple[Path, str, int]:
    """Copy one member out in chunks, stopping the moment it outgrows what its entry declared,
    the ratio or the zip's remaining budget."""
    def within_bounds(size: int) -> None:
        if size > info.file_size or size > budget:
            raise IntakeError(f"Tệp zip giải nén ra quá lớn (giới hạn {_mb(limits.zip_max_total)}).")
        if _inflated(size, info.compress_size, limits):
            raise IntakeError(f"Tệp zip có tỷ lệ nén bất thường (“{info.filename}”): bị từ chối.")

    try:
        with archive.open(info) as member:
            return spool(member, folder, check=within_bounds)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        if disk_full(exc):
            raise IntakeError(DISK_FULL) from None
        raise IntakeError(f"Tệp zip bị hỏng (“{info.filename}”).") from None


def expand_zip(source: BinaryIO | bytes, limits: Limits, folder: Path) -> tuple[list[ScanFile], list[str]]:
    """The scan files inside a zip (spooled to ``folder``), and messages for skipped members.

    The whole zip is refused when any member name climbs out (``../``, absolute paths), when
    it holds another archive, too many members, more uncompressed data than allowed or a member
    compressed beyond the ratio (a zip bomb; checked from the directory and again while
    copying). On refusal every file already copied out is removed.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        archive = zipfile.ZipFile(stream)
        stream.seek(0, os.SEEK_END)
        files = _check_directory(archive, stream.tell(), limits)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        if isinstance(exc, IntakeError):
            raise
        raise IntakeError("Tệp zip bị hỏng, không đọc được.") from None
    found: list[ScanFile] = []
    skipped: list[str] = []
    budget = limits.zip_max_total
    try:
        for info in sorted(files, key=lambda m: m.filename):
            path, digest, size = _extract(archive, info, folder, limits, budget)
            budget -= size
            display = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            head = _head(path)
            if head.startswith(ARCHIVE_MAGIC):
                path.unlink(missing_ok=True)
                raise IntakeError(f"Tệp zip chứa một tệp nén khác (“{info.filename}”): không chấp nhận.")
            try:
                found.append(_checked_member(path, display, digest, size, limits, head))
            except IntakeError as exc:
                path.unlink(missing_ok=True)
                skipped.append(f"{display}: {exc}")
    except BaseException:
        for scan_file in found:
            scan_file.discard()
        raise
    return found, skipped


def _checked_member(path: Path, name: str, digest: str, size: int, limits: Limits,
                    head: bytes | None = None) -> ScanFile:
    kind = sniff(head if head is not None else _head(path))
    if not size:
        raise IntakeError("Tệp rỗng.")
    if kind is None:
        raise IntakeError("Không phải ảnh JPEG, PNG, TIFF hay tệp PDF (kiểm tra theo nội dung tệp).")
    if size > limits.max_file_bytes:
        raise IntakeError(f"Tệp quá lớn ({_mb(size)}; mỗi tệp ảnh tối đa {_mb(limits.max_file_bytes)}).")
    pages = count_pages(path, kind, limits)
    _check_pages(kind, pages, limits)
    return ScanFile(name=name, kind=kind, pages=pages, sha256=digest, size=size, path=path)


# ------------------------------------------------------------------ an upload


def unpack_upload(stream: BinaryIO, name: str, limits: Limits, folder: Path) -> tuple[list[ScanFile], list[str]]:
    """An uploaded file (a seekable stream, already on disk): a zip gives its members, anything
    else itself, spooled to ``folder``. The caller stores or discards every ScanFile returned."""
    head = stream.read(1024)
    stream.seek(0)
    if sniff(head) == "zip":
        return expand_zip(stream, limits, folder)
    path, digest, size = spool(stream, folder, limit=limits.max_file_bytes,
                               too_big=f"Tệp quá lớn (mỗi tệp ảnh tối đa {_mb(limits.max_file_bytes)}).")
    try:
        return [_checked_member(path, name, digest, size, limits)], []
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def move_into_place(scan_file: ScanFile, target: Path, sync: bool = True) -> None:
    """The spooled file becomes the stored one (fsynced, renamed: never half a file).
    ``sync=False``: the caller makes a batch durable at once (storage.sync_folder)."""
    if sync:
        with open(scan_file.path, "rb+") as handle:
            os.fsync(handle.fileno())
    try:
        os.replace(scan_file.path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copyfile(scan_file.path, target)
        scan_file.discard()

