"""Forms of the scanning pages (Flask-WTF: every POST carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..auth.forms import options
from .services import DEFAULT_PROFILE


def profile_choices() -> list[tuple[str, str]]:
    """The scanner profiles in scanner_profiles/ ('' = the default one)."""
    from ..ocr.profiles import PROFILE_DIR

    names = sorted(p.stem for p in PROFILE_DIR.glob("*.toml")) if PROFILE_DIR.is_dir() else []
    choices = [("", f"Mặc định ({DEFAULT_PROFILE})")]
    return choices + [(n, n) for n in names if n != DEFAULT_PROFILE]


class UploadForm(FlaskForm):
    files = MultipleFileField(
        "Ảnh phiếu đã quét",
        description="Nhiều ảnh JPEG/PNG, tệp PDF hoặc TIFF nhiều trang, hoặc một tệp zip chứa ảnh.",
    )
    profile = SelectField("Cấu hình máy quét", choices=[], validate_choice=True)
    submit = SubmitField("Tải lên")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile.choices = profile_choices()


class RulingForm(FlaskForm):
    """Only the CSRF token: the rulings (one radio group per row) are checked by the service."""

    submit = SubmitField("Lưu phân xử")


class ReopenForm(FlaskForm):
    reason = StringField("Lý do mở lại", validators=[DataRequired("Ghi lý do mở lại."), Length(max=500)])
    submit = SubmitField("Mở lại phân xử")


class RequeueForm(FlaskForm):
    profile = SelectField("Cấu hình máy quét", choices=[], validate_choice=True)
    submit = SubmitField("Đọc lại")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile.choices = profile_choices()


class StationTokenForm(FlaskForm):
    submit = SubmitField("Tạo mã cho máy trạm quét")


class RejectedRulingForm(FlaskForm):
    """The committee's conclusion on rejected images (the ticked ``scan_ids`` come with it)."""

    ruling = SelectField("Kết luận", choices=options([("not_ballot", "Không phải phiếu bầu"),
                                                       ("rescanned", "Đã quét lại hoặc nhập tay tờ phiếu này")]))
    submit = SubmitField("Ghi kết luận")
