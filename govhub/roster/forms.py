from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from govhub.accounts.forms import PHONE_KW, strong_password, valid_phone
from govhub.forms import BaseForm


class UploadForm(BaseForm):
    file = FileField(
        _l("Roster (.xlsx)"),
        validators=[
            FileRequired(_l("Choose the roster's .xlsx file.")),
            FileAllowed(["xlsx"], _l("Choose an Excel .xlsx file.")),
        ],
        description=_l("At most 2 MB and 5,000 rows. Nothing is imported before you confirm."),
    )


class ActionForm(BaseForm):
    """Confirm an import, print slips: a button with its CSRF token."""


class ActivateForm(BaseForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number.")), valid_phone],
        **PHONE_KW,
    )
    code = StringField(
        _l("Activation code"),
        validators=[DataRequired(_l("Enter the code on your slip.")), Length(max=32)],
        description=_l("The 8 letters and digits on the slip your community gave you."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"},
    )
    password = PasswordField(
        _l("Choose a password"),
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
