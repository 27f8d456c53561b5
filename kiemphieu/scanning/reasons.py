"""Why a scan was refused or flagged, in Vietnamese: one table for the pages and the station.

Keyed by the reader's string codes (``kiemphieu.ocr`` reasons and flags; a StrEnum of the same
values maps the same way). Pure Python: the scanner station imports it without Flask.
"""

from __future__ import annotations

import re

REJECT_LABELS = {
    "unreadable_file": "Tệp ảnh không đọc được",
    "blank_page": "Trang trắng",
    "no_markers": "Không tìm thấy dấu định vị ở bốn góc",
    "bad_geometry": "Các dấu định vị không tạo thành một trang phiếu (ảnh bị cắt, gập hoặc méo)",
    "qr_unreadable": "Không đọc được mã QR của phiếu",
    "codes_disagree": "Hai mã QR trên phiếu không khớp nhau",
    "wrong_election": "Phiếu của cuộc bầu hoặc vòng bầu khác",
    "wrong_layout": "Phiếu in theo mẫu khác của cuộc bầu này",
    "upside_down": "Ảnh lộn ngược không xoay được",
    "worker_error": "Lỗi khi đọc ảnh",
    "worker_crashed": "Ảnh làm chương trình đọc phiếu dừng đột ngột",
    "page_missing": "Không đọc được trang này",
}
FLAG_LABELS = {
    "no_stamp": "Không thấy dấu đỏ trên phiếu",
    "extra_writing": "Có chữ viết hoặc ký hiệu ngoài chỗ quy định",
    "streak": "Có vệt bẩn của máy quét",
    "low_quality": "Ảnh chất lượng kém",
    "no_marks": "Không thấy nét gạch nào (quét đen trắng có thể làm mất nét bút mờ)",
    "few_marks": "Giữ lại nhiều tên hơn số cần bầu (quét đen trắng có thể làm mất nét bút mờ)",
    "seal_unchecked": "Ảnh không màu: không kiểm tra được dấu đỏ, Ban kiểm phiếu xem dấu trên phiếu giấy",
    "station_mismatch": "Máy trạm quét và máy chủ đọc khác nhau",
    "reading_mismatch": "Kết quả đọc không khớp danh sách ứng cử viên",
}
STATUS_LABELS = {
    "pending": "Chờ đọc",
    "processing": "Đang đọc",
    "read": "Đọc được",
    "review": "Cần phân xử",
    "adjudicated": "Đã phân xử",
    "rejected": "Bị từ chối",
}

# The reader's English details that carry something the committee needs, said in Vietnamese.
_DETAILS = (
    (re.compile(r"another election or round \(its round: (\d+)\)"), "phiếu in cho vòng {0}"),
    (re.compile(r"not a kiemphieu ballot"), "không phải phiếu do chương trình in ra"),
    (re.compile(r"corner markers found: none"), "không thấy dấu góc nào"),
    (re.compile(r"corner markers found: (.+)"), "chỉ thấy dấu góc {0}"),
)


def reject_label(reason: object) -> str:
    code = str(reason or "")
    return REJECT_LABELS.get(code, code or "Không rõ lý do")


def flag_label(flag: object) -> str:
    return FLAG_LABELS.get(str(flag), str(flag))


def reject_text(reason: object, detail: str | None = None) -> str:
    """"Phiếu của cuộc bầu hoặc vòng bầu khác (phiếu in cho vòng 1)"."""
    text = reject_label(reason)
    for pattern, words in _DETAILS:
        match = pattern.search(detail or "")
        if match:
            return f"{text} ({words.format(*match.groups())})"
    return text


def reading_note(reading: dict | None) -> str:
    """The refusal or the flags of a reading, in words."""
    if not reading:
        return ""
    if reading.get("status") == "rejected" or reading.get("reason"):
        return reject_text(reading.get("reason"), reading.get("detail"))
    return "; ".join(flag_label(f) for f in reading.get("flags") or [])
