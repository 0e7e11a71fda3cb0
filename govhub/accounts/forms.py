from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from govhub.accounts.models import Role
from govhub.accounts.services import ROLE_LEVELS
from govhub.accounts.validation import normalize_phone, password_error, phone_error
from govhub.forms import BaseForm, id_value, int_in
from govhub.orgs.forms import PlaceFields


def valid_phone(_form, field) -> None:
    field.data = normalize_phone(field.data)
    if error := phone_error(field.data):
        raise ValidationError(error)


def strong_password(form, field) -> None:
    phone = getattr(form, "phone", None)
    if error := password_error(field.data or "", phone.data if phone else None):
        raise ValidationError(error)


PHONE_KW = {"render_kw": {"inputmode": "numeric", "autocomplete": "tel", "maxlength": 13}}


def new_password_fields(label) -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition (registering, activating an imported account)."""
    password = PasswordField(
        label,
        validators=[DataRequired(_l("Enter a password.")), strong_password],
        description=_l("At least 8 characters, with letters and digits."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Enter the password again.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegisterForm(PlaceFields, BaseForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number.")), valid_phone],
        **PHONE_KW,
    )
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=40)],
        render_kw={"autocomplete": "name"},
    )
    password, confirm = new_password_fields(_l("Password"))
    next = HiddenField()  # where to go once registered (a scanned QR's page), if safe


class LoginForm(BaseForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number.")), valid_phone],
        **PHONE_KW,
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class PasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a password.")), strong_password],
        description=_l("At least 8 characters, with letters and digits."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Enter the password again.")),
            EqualTo("new_password", _l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(PlaceFields, BaseForm):
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter your name.")), Length(max=40)]
    )
    skills = SelectMultipleField(
        _l("Skills"),
        coerce=id_value,
        validate_choice=False,
        description=_l(
            "What you are good at; needs that want these skills are shown to you first."
        ),
    )
    is_party_member = BooleanField(_l("I am a Party member"))
    employer_unit = StringField(
        _l("Employer unit (in-service Party members)"),
        validators=[Optional(), Length(max=80)],
        description=_l("Party members employed elsewhere who report to their home community."),
    )
    availability = TextAreaField(
        _l("When you are usually available"),
        validators=[Optional(), Length(max=200)],
        description=_l("For example: weekday evenings, Saturday mornings."),
    )
    # Matching: the weekly grid (bit weekday * 3 + part), rendered by accounts/profile.html.
    weekly = SelectMultipleField(
        _l("When you are free each week"),
        coerce=int_in(0, 20),
        validate_choice=False,
        description=_l(
            "Tick the times you can usually help. Nothing ticked: any time. Invitations and "
            "recommendations leave out the times you did not tick."
        ),
    )

    def set_weekly(self, mask: int | None) -> None:
        self.weekly.data = [bit for bit in range(21) if mask and mask >> bit & 1]


class AssignRoleForm(BaseForm):
    phone = StringField(
        _l("Mobile number of the person"),
        validators=[DataRequired(_l("Enter a mobile number.")), valid_phone],
        **PHONE_KW,
    )
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])

    def fill_roles_for(self, unit) -> None:
        self.role.choices = [
            (role.value, role.label) for role, levels in ROLE_LEVELS.items() if unit.level in levels
        ]

    def role_value(self) -> Role:
        return Role(self.role.data)


class RevokeForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class SkillForm(BaseForm):
    name = StringField(_l("Skill"), validators=[DataRequired(_l("Enter a skill.")), Length(max=32)])
