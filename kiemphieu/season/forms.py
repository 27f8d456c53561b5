"""Forms of the season import pages (every POST carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired, Regexp

TOKEN = r"^[0-9a-f]{32}$"


class SeasonUploadForm(FlaskForm):
    file = FileField("Tệp danh sách (XLSX hoặc CSV UTF-8)", validators=[FileRequired("Hãy chọn một tệp.")],
                     description="Mỗi dòng một người ứng cử; các dòng của một cuộc bầu ghi cùng đại hội và cuộc bầu.")
    submit = SubmitField("Kiểm tra tệp")


class SeasonConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN)])
    name = HiddenField()
    submit = SubmitField("Xác nhận nhập")
