"""The request class: scan uploads spooled to disk in the instance folder, with their own limit.

Werkzeug's form parser writes each uploaded file to the stream ``_get_file_stream`` returns:
here an anonymous temporary file in ``uploads/incoming`` (on the instance's disk, not /tmp,
which may be memory; gone when closed, even after a crash). The scan upload routes get the
deployment's upload limit (``SCAN_UPLOAD_MAX_BYTES``) and room for a congress's files as form
parts; every other route keeps ``MAX_CONTENT_LENGTH``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Request, current_app

SCAN_UPLOAD_ENDPOINTS = frozenset({"scanning.round_scans", "scanning.api_upload"})


def is_scan_upload(request: Request) -> bool:
    rule = request.url_rule
    return rule is not None and rule.endpoint in SCAN_UPLOAD_ENDPOINTS and request.method == "POST"


def scan_upload_limit() -> int:
    return int(current_app.config["SCAN_UPLOAD_MAX_BYTES"])


class SpoolingRequest(Request):
    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and is_scan_upload(self):
            return scan_upload_limit()
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_parts(self) -> int | None:
        if self._max_form_parts is None and current_app and is_scan_upload(self):
            return int(current_app.config.get("SCAN_ZIP_MAX_MEMBERS", 2000)) + 20
        return super().max_form_parts

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        folder = Path(current_app.config["UPLOAD_FOLDER"]) / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryFile(dir=folder, prefix=".upload-")


def human_size(size: int) -> str:
    """1073741824 -> '1 GB', 67108864 -> '64 MB' (binary units, as the limits are set)."""
    if size >= 1024**3 and size % (1024**3) == 0:
        return f"{size // 1024**3} GB"
    if size >= 1024**3:
        return f"{size / 1024**3:.1f} GB".replace(".", ",")
    return f"{max(1, round(size / 1024**2))} MB"
