"""Turning a scan file into page images, refusing what is corrupt or enormous with a reason.

JPEG and PNG are decoded by OpenCV, reduced by the decoder itself (JPEG's DCT scaling) when
the scan is finer than the reader needs; TIFF (multi-page, bitonal G4 too) by Pillow; PDF pages
by PDFium. Image sizes are checked from the header before any pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .profiles import Profile

A4_LONG_INCH = 297.0 / 25.4
A5_LONG_INCH = 210.0 / 25.4


class Unreadable(Exception):
    """The file or page cannot be read; the message says why."""


@dataclass
class Page:
    index: int
    image: np.ndarray | None  # BGR (colour) or 2-D grey, uint8
    colour: bool
    reduction: int = 1  # the decoder's downscale factor
    error: str | None = None  # set instead of image when this page alone is unreadable
    # Set when the page was decoded reduced on the guess that it is A5: the same page decoded
    # as finely as an A4 page needs (the reader calls it when the markers say A4, or say nothing).
    finer: Callable[[], Page] | None = None
    largest_mm: float = 297.0  # the longest paper side the decoded resolution suffices for
    bitonal: bool = False  # the file is black and white only (1 bit a pixel), before any reduction
    # The same page decoded for another profile (a finer working resolution: the reader's second
    # look), or None where the decoder cannot give it.
    decode_for: Callable[[Profile], Page] | None = None

    @property
    def grey(self) -> np.ndarray:
        if self.image.ndim == 2:
            return self.image
        return cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY)


def sniff(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return "pdf"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return "unknown"


def reduction_for(width: int, height: int, profile: Profile, allowed=(8, 4, 2), long_inch: float = A4_LONG_INCH) -> int:
    """The largest decoder downscale keeping at least the working resolution.

    Assumes conservatively that the image's long side is at most an A4 page long (or
    `long_inch`).
    """
    estimated_dpi = max(width, height) / long_inch
    for factor in allowed:
        if estimated_dpi / factor >= 0.95 * profile.scan.work_dpi:
            return factor
    return 1


def _pillow_header(data: bytes, profile: Profile):
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # corrupt EXIF and the like: the decode decides
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise Unreadable("image too large (pixel count)") from None
    except Exception as exc:  # Pillow raises many kinds on corrupt headers
        raise Unreadable(f"not a readable image ({type(exc).__name__})") from None
    _check_pixels(image.size, profile)
    return image


def _check_pixels(size: tuple[int, int], profile: Profile) -> None:
    width, height = size
    if width < 16 or height < 16:
        raise Unreadable(f"image too small ({width}x{height})")
    if width * height > profile.scan.max_pixels:
        raise Unreadable(f"image too large ({width}x{height} pixels, limit {profile.scan.max_pixels})")


def _decode_raster(data: bytes, profile: Profile, half_if_a5: bool = False) -> Page:
    page = _decode_raster_once(data, profile, half_if_a5)

    def decode_for(other: Profile) -> Page:
        if page.finer is None and reduction_for(*page_size(data, profile), other) == page.reduction:
            return page  # decoded as finely already (a scan coarser than the reader's reduction needs)
        return _decode_raster_once(data, other)

    page.decode_for = decode_for
    return page


def page_size(data: bytes, profile: Profile) -> tuple[int, int]:
    """(width, height) of a raster file's image, from its header."""
    return _pillow_header(data, profile).size


def _decode_raster_once(data: bytes, profile: Profile, half_if_a5: bool = False) -> Page:
    header = _pillow_header(data, profile)
    colour = header.mode not in ("1", "L", "I;16", "I", "LA")
    bitonal = header.mode == "1"
    factor = reduction_for(*header.size, profile)
    if half_if_a5 and factor == 1 and reduction_for(*header.size, profile, long_inch=A5_LONG_INCH) == 2:
        # As large as an A5 page at 200 dpi (or an A4 at 134-190 dpi: the size cannot tell):
        # decoded at half size by the JPEG decoder itself (about half the cost), enough for an
        # A5 page; an A4 page is decoded again in full.
        page = _imdecode(data, colour, 2, bitonal)
        page.finer, page.largest_mm = (lambda: _imdecode(data, colour, 1, bitonal)), 210.0
        return page
    return _imdecode(data, colour, factor, bitonal)


def half_if_a5(layout) -> bool:
    """Whether a ballot of this layout may be decoded at half size when A5-sized (see decode_pages).

    An A5 boxes ballot: its marks are judged by their shape at 8 px/mm from the decoded scan
    (boxes._fine_box), which at half size (100 dpi) still tells a cancelled X from an X (no
    generated cancelled mark read `both`); an A5 strike ballot's thin lines through the letters
    lose contrast when halved and keep the full decode."""
    return layout.paper.name == "A5" and str(layout.form) == "boxes"


def _imdecode(data: bytes, colour: bool, factor: int, bitonal: bool = False) -> Page:
    flags = {
        (True, 1): cv2.IMREAD_COLOR, (True, 2): cv2.IMREAD_REDUCED_COLOR_2,
        (True, 4): cv2.IMREAD_REDUCED_COLOR_4, (True, 8): cv2.IMREAD_REDUCED_COLOR_8,
        (False, 1): cv2.IMREAD_GRAYSCALE, (False, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
        (False, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4, (False, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
    }[(colour, factor)]
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        raise Unreadable("corrupt image data")
    return Page(0, image, colour, factor, bitonal=bitonal)


def _tiff_pages(data: bytes, profile: Profile) -> Iterator[Page]:
    from PIL import Image, ImageSequence

    header = _pillow_header(data, profile)
    for index, frame in enumerate(ImageSequence.Iterator(header)):
        if index >= profile.scan.max_pages:
            break
        try:
            _check_pixels(frame.size, profile)
            colour = frame.mode not in ("1", "L", "I;16", "I", "LA")
            converted = frame.convert("RGB" if colour else "L")
            array = np.asarray(converted)
            if colour:
                array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
            page = _reduced_frame(index, array, colour, frame.mode == "1", profile)
            page.decode_for = lambda other, i=index, a=array, c=colour, b=frame.mode == "1": _reduced_frame(i, a, c, b, other)
            yield page
        except Unreadable as exc:
            yield Page(index, None, False, error=str(exc))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            yield Page(index, None, False, error=f"corrupt TIFF page ({type(exc).__name__})")
            return


def _reduced_frame(index: int, array: np.ndarray, colour: bool, bitonal: bool, profile: Profile) -> Page:
    """A TIFF frame reduced for the profile's working resolution (by area, 2 or 4 times)."""
    factor = reduction_for(array.shape[1], array.shape[0], profile, allowed=(4, 2))
    if factor > 1:
        array = cv2.resize(array, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    return Page(index, np.ascontiguousarray(array), colour, factor, bitonal=bitonal)


def _pdf_pages(data: bytes, profile: Profile) -> Iterator[Page]:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as exc:  # PdfiumError and friends
        raise Unreadable(f"corrupt PDF ({type(exc).__name__})") from None
    try:
        for index in range(min(len(document), profile.scan.max_pages)):
            try:
                page = document[index]
                width_pt, height_pt = page.get_size()
                scale = profile.scan.pdf_dpi / 72.0
                pixels = width_pt * height_pt * scale * scale
                if pixels > profile.scan.max_pixels:
                    scale *= (profile.scan.max_pixels / pixels) ** 0.5
                if width_pt * scale < 16 or height_pt * scale < 16:
                    raise Unreadable("page too small")
                bitmap = page.render(scale=scale)
                image = np.array(bitmap.to_numpy()[..., :3], copy=True)
                rendered = Page(index, image, True, 1)
                rendered.decode_for = lambda other, same=rendered: same  # at pdf_dpi whatever the profile
                yield rendered
            except Unreadable as exc:
                yield Page(index, None, False, error=str(exc))
            except Exception as exc:
                yield Page(index, None, False, error=f"corrupt PDF page ({type(exc).__name__})")
    finally:
        document.close()


def decode_pages(data: bytes, profile: Profile, half_if_a5: bool = False) -> Iterator[Page]:
    """Every page of a scan file; raises Unreadable when the file as a whole cannot be read.

    ``half_if_a5``: the ballot expected is an A5 boxes ballot (its marks are bold crosses): a
    JPEG of an A5 page at 200 dpi is decoded at half size, as an A4 page at 200 dpi always is
    (a strike ballot's thin pen lines keep the full decode on A5).
    """
    if len(data) > profile.scan.max_file_mb * 1_000_000:
        raise Unreadable(f"file too large ({len(data)} bytes)")
    kind = sniff(data)
    if kind == "pdf":
        yield from _pdf_pages(data, profile)
    elif kind == "tiff":
        yield from _tiff_pages(data, profile)
    elif kind in ("jpeg", "png"):
        yield _decode_raster(data, profile, half_if_a5=half_if_a5 and kind == "jpeg")
    else:
        raise Unreadable("not a PNG, JPEG, TIFF or PDF file")
