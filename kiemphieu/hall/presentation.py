"""The congress's finalised results as a presentation file: PPTX (python-pptx) and a 16:9 PDF.

Both are drawn from the same pages (``presentation_pages``), built from the hall's slides,
so the file shown on the hall computer says exactly what the projector page said.
The PDF embeds Liberation Sans from its files; the PPTX names Arial, which every hall
computer has with Vietnamese glyphs (LibreOffice substitutes the metric-identical Liberation Sans).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markupsafe

from .services import ElectedRow, Slide

# An election that elects few people is announced on one page; longer lists get pages of rows.
SHORT_LIST = 5
ROWS_PER_PAGE = 12  # 13 table rows of 0.42 in under the heading
PPTX_FONT = "Arial"
SANS_FILES = {
    ("normal", "normal"): "LiberationSans-Regular.ttf",
    ("bold", "normal"): "LiberationSans-Bold.ttf",
}


@dataclass(frozen=True)
class Page:
    slide: Slide
    figures: bool  # base, majority, ballots, outcome
    rows: list[ElectedRow]
    part: int = 1
    parts: int = 1

    @property
    def heading(self) -> str:
        text = self.slide.title + (f" — lần {self.slide.round}" if self.slide.round > 1 else "")
        return text + (f" ({self.part}/{self.parts})" if self.parts > 1 else "")


def presentation_pages(slides: list[Slide]) -> list[Page]:
    pages = []
    for slide in slides:
        if len(slide.elected) <= SHORT_LIST:
            pages.append(Page(slide, True, list(slide.elected)))
            continue
        chunks = [slide.elected[i:i + ROWS_PER_PAGE] for i in range(0, len(slide.elected), ROWS_PER_PAGE)]
        parts = len(chunks) + 1
        pages.append(Page(slide, True, [], 1, parts))
        pages.extend(Page(slide, False, chunk, i, parts) for i, chunk in enumerate(chunks, start=2))
    return pages


def figure_lines(slide: Slide) -> list[str]:
    """The figures the head of the committee reads out, in the minutes' terms."""
    lines = [f"Số lượng cần bầu: {slide.seats} đồng chí",
             f"Tổng số làm căn cứ tính kết quả: {slide.base}",
             f"Số phiếu tối thiểu để trúng cử (quá một nửa): {slide.majority} phiếu"]
    issued = f" / {slide.issued} phiếu phát ra" if slide.issued is not None else ""
    lines.append(f"Số phiếu thu về: {slide.counted}{issued}; hợp lệ: {slide.valid}; không hợp lệ: {slide.invalid}")
    return lines


# ------------------------------------------------------------------ PPTX


def render_pptx(congress_name: str, slides: list[Slide]) -> bytes:
    from pptx import Presentation
    from pptx.util import Emu, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(12192000), Emu(6858000)  # 16:9, 13.33 × 7.5 in
    blank = deck.slide_layouts[6]
    _title_slide(deck.slides.add_slide(blank), congress_name, Pt)
    for page in presentation_pages(slides):
        _page_slide(deck.slides.add_slide(blank), page, Pt)
    deck.core_properties.title = f"Kết quả bầu cử: {congress_name}"
    deck.core_properties.author = "Ban kiểm phiếu"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _text_box(slide, left_in, top_in, width_in, height_in):
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(left_in), Inches(top_in), Inches(width_in), Inches(height_in))
    box.text_frame.word_wrap = True
    return box.text_frame


def _paragraph(frame, text: str, size, *, bold: bool = False, first: bool = False):
    paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = size, bold, PPTX_FONT
    return paragraph


def _title_slide(slide, congress_name: str, Pt) -> None:
    frame = _text_box(slide, 0.8, 2.2, 11.7, 3.2)
    _paragraph(frame, "KẾT QUẢ BẦU CỬ", Pt(54), bold=True, first=True)
    _paragraph(frame, congress_name, Pt(32))


ROW_IN = 0.42  # table row height, inches (22 pt names)


def _page_slide(slide, page: Page, Pt) -> None:
    """Top to bottom on a 13.33 × 7.5 in slide: heading, figures, the elected, the outcome."""
    frame = _text_box(slide, 0.5, 0.3, 12.3, 0.9)
    _paragraph(frame, page.heading, Pt(30), bold=True, first=True)
    top = 1.25
    if page.figures:
        body = _text_box(slide, 0.5, top, 12.3, 1.5)
        for i, line in enumerate(figure_lines(page.slide)):
            _paragraph(body, line, Pt(20), first=i == 0)
        top += 1.55
    if page.rows:
        heading = _text_box(slide, 0.5, top, 12.3, 0.5)
        _paragraph(heading, page.slide.elected_heading + ":", Pt(20), bold=True, first=True)
        _rows_table(slide, page.rows, top + 0.5, Pt)
        top += 0.5 + ROW_IN * (len(page.rows) + 1) + 0.1
    elif page.figures and not page.slide.elected:
        note = _text_box(slide, 0.5, top, 12.3, 0.5)
        _paragraph(note, "Không có đồng chí nào trúng cử.", Pt(22), bold=True, first=True)
        top += 0.6
    if page.figures and page.slide.outcome:
        outcome = _text_box(slide, 0.5, top, 12.3, max(7.4 - top, 0.8))
        for i, text in enumerate(page.slide.outcome):
            _paragraph(outcome, text, Pt(18), first=i == 0)


def _rows_table(slide, rows: list[ElectedRow], top_in: float, Pt) -> None:
    from pptx.util import Inches

    table = slide.shapes.add_table(len(rows) + 1, 4, Inches(0.5), Inches(top_in), Inches(12.3),
                                   Inches(ROW_IN * (len(rows) + 1))).table
    widths = (1.0, 7.3, 2.0, 2.0)
    for column, width in enumerate(widths):
        table.columns[column].width = Inches(width)
    for column, text in enumerate(("TT", "Họ và tên", "Số phiếu", "Tỷ lệ %")):
        _cell(table.cell(0, column), text, Pt(20), bold=True)
    for i, row in enumerate(rows, start=1):
        for column, text in enumerate((str(row.rank), row.name, str(row.votes), row.percent)):
            _cell(table.cell(i, column), text, Pt(22))


def _cell(cell, text: str, size, *, bold: bool = False) -> None:
    frame = cell.text_frame
    frame.paragraphs[0].text = ""
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = size, bold, PPTX_FONT


# ------------------------------------------------------------------ PDF (16:9)


@lru_cache(maxsize=1)
def sans_font_faces() -> str:
    from ..minutes.render import FONT_DIRS

    folder = next((d for d in FONT_DIRS if (d / SANS_FILES["normal", "normal"]).is_file()), None)
    if folder is None:
        return ""
    return "\n".join(
        f'@font-face {{ font-family: "Liberation Sans"; src: url("{(folder / name).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for (weight, style), name in SANS_FILES.items()
    )


def render_slides_pdf(congress_name: str, slides: list[Slide]) -> bytes:
    from ..minutes.render import _RENDER_LOCK, _weasy, jinja_env

    html = jinja_env().get_template("minutes/hall_slides.html").render(
        congress_name=congress_name, pages=presentation_pages(slides), figure_lines=figure_lines,
        font_faces=markupsafe.Markup(sans_font_faces()),
    )
    weasyprint, font_config = _weasy()
    with _RENDER_LOCK:
        return weasyprint.HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf(font_config=font_config)
