"""Forms of the results blueprint (CSRF on every one). Ticked names come from request.form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from ..auth.forms import options
from ..models import EntryMode


class FinaliseForm(FlaskForm):
    acknowledge_checks = BooleanField("Ban kiểm phiếu đã xem xét các điểm số liệu chưa khớp nêu trên")


class ReopenForm(FlaskForm):
    reason = TextAreaField("Lý do mở lại", validators=[DataRequired("Cần ghi lý do mở lại vòng bầu."),
                                                       Length(max=2000)])


class NextRoundForm(FlaskForm):
    seats = IntegerField("Số lượng cần bầu ở vòng sau", validators=[DataRequired(), NumberRange(min=1)])
    entry_mode = SelectField("Cách nhập phiếu", choices=options((m.value, m.label) for m in EntryMode))


class SignForm(FlaskForm):
    """No fields: the CSRF token of the office's "sign the minutes" button."""
