"""Drawing the ballot of a `Layout`: a vector PDF and rasters of that very PDF.

The PDF is HTML laid out by WeasyPrint with every element absolutely positioned in millimetres
from the layout (text placed by its baseline, no kerning, fonts embedded, text extractable).
The raster the reader uses as its template is the same PDF rasterised by PDFium, so what is
printed and what the reader expects are the same pixels.
"""

from __future__ import annotations

import html
import io
import threading
from collections import OrderedDict

import numpy as np

from kiemphieu.tally import Election

from .fonts import font_path, metrics
from .geometry import QR_VERSION, Box, Layout, TextItem, layout_for

BORDER_MM = 0.3  # printed box outline

_lock = threading.Lock()
_pdf_cache: dict[str, bytes] = {}
_raster_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
RASTER_CACHE_SIZE = 16


def _f(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _text_html(item: TextItem) -> str:
    font = metrics(item.style)
    weight = "bold" if item.style == "bold" else "normal"
    style = "italic" if item.style == "italic" else "normal"
    top = item.baseline - font.ascent * item.size
    return (f'<div class="t" style="left:{_f(item.x)}mm;top:{_f(top)}mm;font-size:{_f(item.size)}mm;'
            f'line-height:{_f((font.ascent + font.descent) * item.size)}mm;'
            f'font-weight:{weight};font-style:{style}">{html.escape(item.text)}</div>')


def _rect_html(box: Box, css_class: str) -> str:
    x, y, w, h = box
    return (f'<div class="{css_class}" style="left:{_f(x)}mm;top:{_f(y)}mm;'
            f'width:{_f(w)}mm;height:{_f(h)}mm"></div>')


def _cells_svg(cells: list[list[bool]], box: Box) -> str:
    """A grid of black cells as one SVG path (markers and the QR code)."""
    x, y, w, h = box
    n = len(cells)
    path = "".join(f"M{c} {r}h1v1h-1z" for r, row in enumerate(cells) for c, black in enumerate(row) if black)
    return (f'<svg class="g" style="left:{_f(x)}mm;top:{_f(y)}mm" width="{_f(w)}mm" height="{_f(h)}mm" '
            f'viewBox="0 0 {n} {n}" shape-rendering="crispEdges">'
            f'<path d="{path}" fill="#000"/></svg>')


def marker_cells(marker_id: int) -> list[list[bool]]:
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, 6, borderBits=1)
    return [[bool(v < 128) for v in row] for row in image]


def qr_cells(payload: str) -> list[list[bool]]:
    import segno

    qr = segno.make(payload, version=QR_VERSION, error="m", mode="alphanumeric", boost_error=False)
    return [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=0)]


def ballot_html(layout: Layout) -> str:
    width, height = layout.page_size
    faces = "".join(
        f'@font-face{{font-family:KP;src:url("{font_path(style).as_uri()}");'
        f'font-weight:{"bold" if style == "bold" else "normal"};'
        f'font-style:{"italic" if style == "italic" else "normal"}}}'
        for style in ("regular", "bold", "italic")
    )
    css = (
        f"@page{{size:{_f(width)}mm {_f(height)}mm;margin:0}}{faces}"
        "html,body{margin:0;padding:0}"
        "body{font-family:KP;font-kerning:none;font-variant-ligatures:none;font-synthesis:none;color:#000}"
        ".t{position:absolute;white-space:pre;margin:0;padding:0}"
        ".r{position:absolute;background:#000}"
        f".b{{position:absolute;box-sizing:border-box;border:{_f(BORDER_MM)}mm solid #000}}"
        ".g{position:absolute;display:block}"
    )
    parts = [_text_html(t) for t in layout.texts]
    for row in layout.rows:
        parts.append(_text_html(row.number))
        parts.append(_text_html(row.name))
        if row.note:
            parts.append(_text_html(row.note))
        for box in (row.agree_mm, row.disagree_mm):
            if box:
                parts.append(_rect_html(box, "b"))
    parts += [_rect_html(rule, "r") for rule in layout.rules]
    parts += [_cells_svg(marker_cells(mid), box) for mid, box in layout.markers]
    # The QR code, and on current layouts its second copy in the opposite corner.
    parts += [_cells_svg(qr_cells(layout.qr_payload), box) for box in layout.code_boxes]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Phiếu bầu cử</title>'
            f"<style>{css}</style></head><body>\n{body}\n</body></html>")


def _single_page_pdf(layout: Layout) -> bytes:
    with _lock:
        cached = _pdf_cache.get(layout.digest)
    if cached is None:
        import weasyprint

        cached = weasyprint.HTML(string=ballot_html(layout)).write_pdf()
        with _lock:
            _pdf_cache[layout.digest] = cached
    return cached


def render_layout_pdf(layout: Layout, copies: int = 1) -> bytes:
    """The ballot, `copies` identical pages (they share one content stream), reproducible bytes."""
    import pikepdf

    if copies < 1:
        raise ValueError("copies must be at least 1")
    pdf = pikepdf.open(io.BytesIO(_single_page_pdf(layout)))
    first = pdf.pages[0]
    for _ in range(copies - 1):
        pdf.pages.append(first)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            if key in meta:
                del meta[key]
    for key in ("/CreationDate", "/ModDate"):
        if key in pdf.docinfo:
            del pdf.docinfo[key]
    pdf.docinfo["/Title"] = "Phiếu bầu cử"
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


def render_ballot_pdf(election: Election, copies: int = 1) -> bytes:
    return render_layout_pdf(layout_for(election), copies)


def render_layout_image(layout: Layout, dpi: float = 200, grey: bool = False) -> np.ndarray:
    """The blank ballot rasterised from the PDF (BGR, or one channel when `grey`). Cached; read-only."""
    key = (layout.digest, float(dpi), grey)
    with _lock:
        cached = _raster_cache.get(key)
        if cached is not None:
            _raster_cache.move_to_end(key)
            return cached
    import pypdfium2

    document = pypdfium2.PdfDocument(_single_page_pdf(layout))
    try:
        bitmap = document[0].render(scale=dpi / 72.0, grayscale=grey)
        image = np.array(bitmap.to_numpy(), copy=True)
    finally:
        document.close()
    if grey and image.ndim == 3:
        image = image[..., 0].copy()
    elif not grey and image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3].copy()
    image.setflags(write=False)
    with _lock:
        _raster_cache[key] = image
        while len(_raster_cache) > RASTER_CACHE_SIZE:
            _raster_cache.popitem(last=False)
    return image


def render_ballot_image(election: Election, dpi: float = 200) -> np.ndarray:
    """A blank ballot as a writable BGR image (a fresh copy: mark it freely)."""
    return render_layout_image(layout_for(election), dpi).copy()
