"""Checking uploaded scan files before anything is stored: type by content, zip safety, pages.

Pure functions (no Flask, no database, no OpenCV) so the web request stays cheap: only the
magic bytes, the zip directory and the page count of a PDF or TIFF are looked at.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

# Extension used for the stored file, by detected type.
EXTENSIONS = {"jpeg": "jpg", "png": "png", "tiff": "tif", "pdf": "pdf"}
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf\x27\x1c", b"BZh")
IGNORED_MEMBERS = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class IntakeError(ValueError):
    """A refused file; the message (Vietnamese) is shown to the user as is."""


@dataclass(frozen=True)
class Limits:
    max_pages: int = 1000  # pages of one PDF or TIFF
    zip_max_members: int = 2000
    zip_max_total: int = 1024 * 1024 * 1024  # uncompressed bytes of all members
    zip_max_ratio: int = 200  # uncompressed / compressed beyond which a member is a bomb


@dataclass(frozen=True)
class ScanFile:
    name: str  # for display only: never used to build a path
    data: bytes
    kind: str  # jpeg | png | tiff | pdf
    pages: int


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


def count_pages(data: bytes, kind: str, limits: Limits) -> int:
    """Pages of a PDF or TIFF (cheap: no page is rendered); 1 for JPEG and PNG."""
    if kind == "pdf":
        import pypdfium2

        try:
            document = pypdfium2.PdfDocument(data)
        except Exception:  # PdfiumError and friends: a corrupt file
            raise IntakeError("Tệp PDF bị hỏng, không đọc được.") from None
        try:
            pages = len(document)
        finally:
            document.close()
    elif kind == "tiff":
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                pages = getattr(image, "n_frames", 1)
        except Exception:
            raise IntakeError("Tệp TIFF bị hỏng, không đọc được.") from None
    else:
        return 1
    if pages < 1:
        raise IntakeError("Tệp không có trang nào.")
    if pages > limits.max_pages:
        raise IntakeError(f"Tệp có {pages} trang, vượt quá giới hạn {limits.max_pages} trang.")
    return pages


def _safe_member_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"))


def expand_zip(data: bytes, limits: Limits) -> tuple[list[ScanFile], list[str]]:
    """The scan files inside a zip, and messages for members that were skipped.

    The whole zip is refused when any member name climbs out (``../``, absolute paths), when
    it holds another archive, too many members, or more uncompressed data than allowed (a
    zip bomb; the sizes are checked from the directory and again while reading).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise IntakeError("Tệp zip bị hỏng, không đọc được.") from None
    if len(members) > limits.zip_max_members:
        raise IntakeError(f"Tệp zip có {len(members)} tệp, vượt quá giới hạn {limits.zip_max_members}.")
    for info in members:
        if not _safe_member_name(info.filename):
            raise IntakeError(f"Tệp zip chứa đường dẫn không hợp lệ: “{info.filename}”.")
    files = [m for m in members if not m.is_dir() and not any(x in m.filename for x in IGNORED_MEMBERS)]
    total = sum(m.file_size for m in files)
    if total > limits.zip_max_total:
        raise IntakeError("Tệp zip giải nén ra quá lớn.")
    for info in files:
        if info.file_size > 10_000_000 and info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
            raise IntakeError(f"Tệp zip có tỷ lệ nén bất thường (“{info.filename}”): bị từ chối.")
        if info.filename.lower().endswith((".zip", ".rar", ".7z", ".gz", ".tar", ".bz2", ".xz")):
            raise IntakeError(f"Tệp zip chứa một tệp nén khác (“{info.filename}”): không chấp nhận.")

    found: list[ScanFile] = []
    skipped: list[str] = []
    read_so_far = 0
    for info in sorted(files, key=lambda m: m.filename):
        try:
            with archive.open(info) as member:
                content = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            raise IntakeError(f"Tệp zip bị hỏng (“{info.filename}”).") from None
        read_so_far += len(content)
        if len(content) > info.file_size or read_so_far > limits.zip_max_total:
            raise IntakeError("Tệp zip giải nén ra quá lớn.")
        if content.startswith(ARCHIVE_MAGIC):
            raise IntakeError(f"Tệp zip chứa một tệp nén khác (“{info.filename}”): không chấp nhận.")
        display = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
        try:
            found.append(check_scan(content, display, limits))
        except IntakeError as exc:
            skipped.append(f"{display}: {exc}")
    return found, skipped


def check_scan(data: bytes, name: str, limits: Limits) -> ScanFile:
    """One image, PDF or TIFF file, checked by content; raises IntakeError otherwise."""
    if not data:
        raise IntakeError("Tệp rỗng.")
    kind = sniff(data)
    if kind == "zip":
        raise IntakeError("Tệp zip lồng trong tệp zip: không chấp nhận.")
    if kind is None:
        raise IntakeError("Không phải ảnh JPEG, PNG, TIFF hay tệp PDF (kiểm tra theo nội dung tệp).")
    return ScanFile(name=name, data=data, kind=kind, pages=count_pages(data, kind, limits))


def unpack_upload(data: bytes, name: str, limits: Limits) -> tuple[list[ScanFile], list[str]]:
    """An uploaded file: a zip gives its members, anything else itself."""
    if sniff(data) == "zip":
        return expand_zip(data, limits)
    return [check_scan(data, name, limits)], []
