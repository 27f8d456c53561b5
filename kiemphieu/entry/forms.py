"""Forms of the entry blueprint. Ballot saves are JSON (fetch + X-CSRFToken); settling is a form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import Length, Optional

from ..auth.forms import options
from ..tally import REASON_LABELS
from .services import COMMITTEE_REASON_ORDER

SETTLE_LABELS = {
    "A": "Theo lượt A",
    "B": "Theo lượt B",
    "C": "Theo lượt C",
    "marks": "Theo cách đọc dưới đây (đối chiếu với phiếu giấy)",
    "absent": "Không có phiếu ở vị trí này",
}


class SettleForm(FlaskForm):
    """One stack position settled against the paper. The reading itself ('marks') comes from
    the candidate checkboxes / box selects of the page, read by the view."""

    # No default: a ruling is a decision, never what the page happened to pre-select.
    choice = RadioField("Kết luận của Ban kiểm phiếu", choices=options(SETTLE_LABELS.items()))
    invalid = SelectField(
        "Phiếu không hợp lệ vì",
        choices=options([("", "— Phiếu hợp lệ về hình thức —")]
                        + [(r.value, REASON_LABELS[r]) for r in COMMITTEE_REASON_ORDER]),
        validators=[Optional()],
        default="",
    )
    note = StringField("Ghi chú", validators=[Optional(), Length(max=300)])
    confirm_invalid = BooleanField("Phiếu giấy đúng là như vậy (phiếu không hợp lệ theo quy định)")
