"""Forms of the set-up pages (labels and messages in Vietnamese)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..auth.forms import options
from ..models import BODY_LABELS, COMMITTEE_ROLES, KIND_LABELS, CongressKind, EntryMode, OrganisationLevel
from ..tally import PLENUM_KINDS
from .services import SetupError, parse_vn_date

REQUIRED = "Trường này không được để trống."
BODY_HINT = (
    "Mặc định: " + ", ".join(KIND_LABELS[k] for k in KIND_LABELS if k in PLENUM_KINDS)
    + " do Hội nghị lần thứ nhất Ban Chấp hành khóa mới bầu (chi bộ: Đại hội bầu bí thư, phó bí thư);"
    " các cuộc bầu khác do Đại hội bầu."
)


class OrganisationForm(FlaskForm):
    name = StringField("Tên tổ chức đảng", validators=[DataRequired(REQUIRED), Length(max=200)],
                       description="Ví dụ: Đảng bộ xã Yên Lập")
    parent_id = SelectField("Tổ chức cấp trên", coerce=int, default=0)
    level = SelectField("Cấp", choices=options((lv.value, lv.label) for lv in OrganisationLevel),
                        default=OrganisationLevel.GRASSROOTS.value)
    submit = SubmitField("Lưu")


class CongressForm(FlaskForm):
    organisation_id = SelectField("Tổ chức đảng", coerce=int)
    kind = SelectField("Loại đại hội", choices=options((k.value, k.label) for k in CongressKind),
                       default=CongressKind.DELEGATES.value)
    name = StringField("Tên đại hội", validators=[Optional(), Length(max=300)],
                       description="Để trống: “Đại hội đại biểu” + tên tổ chức.")
    number = StringField("Lần thứ", validators=[Optional(), Length(max=50)], description="Ví dụ: lần thứ XXI")
    term = StringField("Nhiệm kỳ", validators=[Optional(), Length(max=50)], description="Ví dụ: 2025 - 2030")
    place = StringField("Địa điểm", validators=[Optional(), Length(max=200)],
                        description="Nơi họp, ví dụ: Hội trường Ủy ban nhân dân xã Hưng Long")
    locality = StringField("Địa danh ghi trên văn bản", validators=[Optional(), Length(max=200)],
                           description="Dòng “…, ngày … tháng … năm …” của phiếu bầu và biên bản; để trống: lấy từ "
                                       "tên tổ chức đảng (ví dụ “Hưng Long”).")
    presidium_signer = StringField("Người ký thay mặt Đoàn Chủ tịch", validators=[Optional(), Length(max=200)],
                                   description="Ký bản tổng hợp kết quả bầu cử (TM. ĐOÀN CHỦ TỊCH).")
    start_date = DateField("Ngày khai mạc", validators=[Optional()])
    end_date = DateField("Ngày bế mạc", validators=[Optional()])
    convened = IntegerField(
        "Số đảng viên chính thức / đại biểu chính thức được triệu tập",
        validators=[InputRequired(REQUIRED), NumberRange(min=1, message="Phải ít nhất là 1.")],
    )
    submit = SubmitField("Lưu")


class ExclusionForm(FlaskForm):
    count = IntegerField("Số người", validators=[InputRequired(REQUIRED), NumberRange(min=1, message="Phải ít nhất là 1.")])
    reason = StringField("Lý do loại trừ", validators=[DataRequired(REQUIRED), Length(max=300)],
                         description="Ví dụ: Vắng mặt cả kỳ đại hội, không có đại biểu dự khuyết thay thế")
    submit = SubmitField("Thêm")


class CommitteeConvenedForm(FlaskForm):
    committee_convened = IntegerField(
        "Số ủy viên Ban Chấp hành được triệu tập",
        validators=[Optional(), NumberRange(min=1, message="Phải ít nhất là 1.")],
        description="Để trống: bằng số đồng chí Đại hội đã bầu vào Ban Chấp hành khóa mới.",
    )
    submit = SubmitField("Lưu")


class CommitteeMemberForm(FlaskForm):
    name = StringField("Họ và tên", validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField("Chức danh", choices=options((r, r) for r in COMMITTEE_ROLES), default="Ủy viên")
    submit = SubmitField("Thêm")


class ElectionForm(FlaskForm):
    kind = SelectField("Loại bầu cử", choices=options((k.value, label) for k, label in KIND_LABELS.items()))
    title = StringField("Tên cuộc bầu (in trên phiếu)", validators=[DataRequired(REQUIRED), Length(max=300)],
                        description="Ví dụ: Bầu Ban Chấp hành Đảng bộ xã khóa XXI, nhiệm kỳ 2025 - 2030")
    seats = IntegerField("Số lượng cần bầu", validators=[
        InputRequired(REQUIRED), NumberRange(min=1, message="Số lượng cần bầu phải ít nhất là 1.")])
    body = SelectField(
        "Cơ quan bầu",
        choices=options([("", "Theo loại bầu cử (mặc định)")] + [(b.value, label) for b, label in BODY_LABELS.items()]),
        default="",
        description=BODY_HINT,
    )
    entry_mode = RadioField("Cách nhập phiếu", choices=options((m.value, m.label) for m in EntryMode),
                            default=EntryMode.DOUBLE.value)
    submit = SubmitField("Lưu")


def _vn_date(form, field) -> None:
    if field.data and field.data.strip():
        try:
            field.parsed = parse_vn_date(field.data)
        except SetupError as exc:
            # Shown under the field's own label: do not name the field twice.
            raise ValidationError(str(exc).removeprefix(f"{field.label.text} ")) from None
    else:
        field.parsed = None


class CandidateForm(FlaskForm):
    name = StringField("Họ và tên", validators=[DataRequired(REQUIRED), Length(max=200)])
    born = StringField("Ngày sinh", validators=[_vn_date], description="ngày/tháng/năm, không bắt buộc")
    note = StringField("Ghi chú", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Thêm người ứng cử")


class PasteCandidatesForm(FlaskForm):
    text = TextAreaField(
        "Dán danh sách (mỗi dòng một người)",
        validators=[DataRequired("Chưa có tên nào trong danh sách.")],
        description="Ví dụ: Nguyễn Văn An, 02/04/1975 — ngày sinh không bắt buộc.",
        render_kw={"rows": 8},
    )
    submit = SubmitField("Thêm cả danh sách")


class RoundNumbersForm(FlaskForm):
    # Required: saving two empty boxes must not answer "Đã lưu".
    present = IntegerField("Số đại biểu có mặt lúc bầu cử",
                           validators=[InputRequired("Nhập số có mặt."), NumberRange(min=0, message="Không thể âm.")])
    issued = IntegerField("Số phiếu phát ra", validators=[InputRequired("Nhập số phiếu phát ra."),
                                                          NumberRange(min=0, message="Không thể âm.")])
    voted_on = DateField("Ngày bầu", validators=[Optional()])
    submit = SubmitField("Lưu số liệu")


class BatchesForm(FlaskForm):
    batches = IntegerField("Số tệp phiếu", validators=[InputRequired("Nhập số tệp phiếu."),
                                                       NumberRange(min=1, max=50, message="Từ 1 đến 50 tệp.")])
    submit = SubmitField("Lưu số tệp phiếu")


class EntryModeForm(FlaskForm):
    entry_mode = RadioField("Cách nhập phiếu", choices=options((m.value, m.label) for m in EntryMode))
    submit = SubmitField("Đổi cách nhập")
