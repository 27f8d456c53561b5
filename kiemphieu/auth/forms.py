"""Forms for login and user administration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ..models import ROLE_LABELS, Role


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


# The roles held within a congress or an organisation (no global-only role).
SCOPED_ROLE_CHOICES = options((r.value, ROLE_LABELS[r]) for r in (Role.COUNTER, Role.VIEWER, Role.ORGANISER))
# The server-wide role; "counter" grants nothing beyond the user's grants and assignments.
GLOBAL_ROLE_CHOICES = options([
    (Role.COUNTER.value, "Không có (chỉ theo tổ chức và phân công)"),
    (Role.VIEWER.value, "Người xem mọi đại hội"),
    (Role.ORGANISER.value, "Người tổ chức mọi đại hội"),
    (Role.ADMIN.value, ROLE_LABELS[Role.ADMIN]),
])
ROLE_CHOICE_LABELS = {choice.value: choice.label for choice in GLOBAL_ROLE_CHOICES}


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Nhập tên đăng nhập."), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Nhập mật khẩu."), Length(max=200)])
    remember = BooleanField("Ghi nhớ trên máy này")
    submit = SubmitField("Đăng nhập")


class UserForm(FlaskForm):
    username = StringField(
        "Tên đăng nhập",
        validators=[
            DataRequired("Nhập tên đăng nhập."),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="Chỉ dùng chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang."),
        ],
    )
    full_name = StringField("Họ và tên", validators=[Optional(), Length(max=200)])
    # A global viewer or organiser sees every congress of the server: never the default, so an
    # administrator creating a district organiser does not open the whole province by mistake.
    role = SelectField("Vai trò chung (mọi đại hội)", default=Role.COUNTER.value, choices=GLOBAL_ROLE_CHOICES)
    password = PasswordField(
        "Mật khẩu", validators=[DataRequired("Nhập mật khẩu."), Length(min=8, message="Mật khẩu ít nhất 8 ký tự.")]
    )
    organisation_id = SelectField("Giao vai trò trên tổ chức đảng", coerce=int, default=0,
                                  description="Vai trò có hiệu lực với tổ chức này và mọi tổ chức, đại hội cấp dưới.")
    org_role = SelectField("Vai trò trên tổ chức", default=Role.COUNTER.value,
                           choices=SCOPED_ROLE_CHOICES)
    submit = SubmitField("Tạo người dùng")


class GrantForm(FlaskForm):
    user_id = SelectField("Người dùng", coerce=int)
    organisation_id = SelectField("Tổ chức đảng (và mọi cấp dưới)", coerce=int)
    role = SelectField("Vai trò", choices=SCOPED_ROLE_CHOICES)
    submit = SubmitField("Giao vai trò")


class AssignmentForm(FlaskForm):
    user_id = SelectField("Người dùng", coerce=int)
    congress_id = SelectField("Đại hội", coerce=int)
    role = SelectField("Vai trò trong đại hội", choices=SCOPED_ROLE_CHOICES)
    submit = SubmitField("Phân công")


NEW_PASSWORD = [
    DataRequired("Nhập mật khẩu mới."),
    Length(min=8, max=200, message="Mật khẩu từ 8 đến 200 ký tự."),
]


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Mật khẩu hiện tại", validators=[DataRequired("Nhập mật khẩu hiện tại."), Length(max=200)])
    new = PasswordField("Mật khẩu mới", validators=NEW_PASSWORD)
    confirm = PasswordField(
        "Nhập lại mật khẩu mới", validators=[DataRequired("Nhập lại mật khẩu mới."),
                                             EqualTo("new", message="Hai lần nhập mật khẩu mới không khớp.")]
    )
    submit = SubmitField("Đổi mật khẩu")


class PasswordResetForm(FlaskForm):
    """An administrator (or an organiser over their subtree) sets another user's password."""

    password = PasswordField("Mật khẩu mới", validators=NEW_PASSWORD)
    submit = SubmitField("Đặt mật khẩu")
