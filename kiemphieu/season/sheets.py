"""Reading a season file into its header and rows, whatever it was saved as.

CSV: UTF-8 with or without BOM, comma-separated. Bytes that are not UTF-8 do not stop the
reading: each cell holding one becomes ``BROKEN`` and an issue names its row and column, so
the committee sees every bad cell at once. XLSX: the first sheet, values as Excel stores them
(numbers, dates, text), read with python-calamine (see the README for why).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

XLSX_MAGIC = b"PK\x03\x04"
FILE_COLUMN = "tệp"  # the column named in an issue about the whole file


class _Broken:
    def __repr__(self) -> str:
        return "BROKEN"


BROKEN = _Broken()  # a cell whose bytes were not UTF-8 (already reported)


@dataclass(frozen=True)
class Issue:
    """One error of the file: ``FILE:ROW: column: message`` (the contract's line)."""

    row: int
    column: str
    message: str

    def line(self, file: str) -> str:
        return f"{file}:{self.row}: {self.column}: {self.message}"


@dataclass
class Sheet:
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (spreadsheet row, cells)
    issues: list[Issue] = field(default_factory=list)


def is_xlsx(data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC)


def read_sheet(data: bytes) -> Sheet:
    """The header and the non-empty rows of a CSV or XLSX file (told apart by its bytes)."""
    sheet = _read_xlsx(data) if is_xlsx(data) else _read_csv(data)
    if not sheet.header and not sheet.issues:
        sheet.issues.append(Issue(1, FILE_COLUMN, "tệp trống: dòng đầu tiên phải là tiêu đề các cột"))
    return sheet


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _add_rows(sheet: Sheet, records) -> None:
    """records: (row number, cells) in order; the first non-empty one is the header."""
    for number, cells in records:
        cells = list(cells)
        while cells and _blank(cells[-1]):
            cells.pop()
        if not cells:
            continue
        if number == 1:
            sheet.header = ["" if c is BROKEN else str(c if c is not None else "") for c in cells]
        else:
            sheet.rows.append((number, cells))


def _read_csv(data: bytes) -> Sheet:
    sheet = Sheet()
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    records, broken = [], []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, cells in enumerate(reader, start=1):
            for position, cell in enumerate(cells):
                if any("\udc80" <= ch <= "\udcff" for ch in cell):
                    cells[position] = BROKEN
                    broken.append((number, position))
            records.append((number, cells))
    except csv.Error as exc:
        sheet.issues.append(Issue(reader.line_num, FILE_COLUMN, f"không đọc được dạng CSV: {exc}"))
    _add_rows(sheet, records)
    for number, position in broken:
        named = sheet.header[position] if number > 1 and position < len(sheet.header) else ""
        sheet.issues.append(Issue(
            number, named or f"cột {position + 1}",
            "chữ không đọc được: tệp không phải UTF-8 (hãy lưu lại dạng “CSV UTF-8”)",
        ))
    return sheet


def _read_xlsx(data: bytes) -> Sheet:
    sheet = Sheet()
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        # skip_empty_area=False: the grid starts at A1, so row numbers are the spreadsheet's.
        grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, IndexError, OSError, ValueError) as exc:
        sheet.issues.append(Issue(1, FILE_COLUMN, f"tệp XLSX bị hỏng hoặc không đọc được ({type(exc).__name__})"))
        return sheet
    _add_rows(sheet, enumerate(grid, start=1))
    return sheet
