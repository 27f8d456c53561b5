"""The season template to download: the contract's columns, example rows and a help sheet."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from ..models import KIND_LABELS
from .columns import COLUMNS
from .importing import template_rows


def template_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(template_rows())
    # With a BOM, Excel opens the file as UTF-8 (the importer accepts either).
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    for row in template_rows():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, column in zip("ABCDEFGHIJK", COLUMNS):
        sheet.column_dimensions[letter].width = max(12, min(60, len(column.example) + 4))
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("Hướng dẫn")
    help_sheet.append(["Cột", "Mã cột", "Bắt buộc", "Ví dụ"])
    for column in COLUMNS:
        help_sheet.append([column.heading, column.key, "có" if column.required else "không", column.example])
    help_sheet.append([])
    help_sheet.append(["Loại cuộc bầu", "Mã"])
    for kind, label in KIND_LABELS.items():
        help_sheet.append([label, kind.value])
    help_sheet.append([])
    help_sheet.append(["Chỉ trang đầu tiên được nhập; trang này chỉ để hướng dẫn."])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
