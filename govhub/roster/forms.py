from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from govhub.accounts.forms import PHONE_KW, new_password_fields, valid_phone
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
    password, confirm = new_password_fields(_l("Choose a password"))
