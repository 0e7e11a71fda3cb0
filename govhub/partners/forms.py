from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from govhub.accounts.forms import PHONE_KW, valid_phone
from govhub.forms import BaseForm
from govhub.orgs.forms import PlaceFields
from govhub.partners.models import PartnerKind


class ApplyForm(PlaceFields, BaseForm):
    kind = RadioField(
        _l("We are a"),
        choices=PartnerKind.choices(),
        default=PartnerKind.business.value,
        validators=[DataRequired(_l("Choose one."))],
    )
    name = StringField(
        _l("Name of the unit or business"),
        validators=[DataRequired(_l("Enter the name of the unit or business.")), Length(max=80)],
    )
    address = StringField(
        _l("Address"), validators=[DataRequired(_l("Enter the address.")), Length(max=200)]
    )
    contact_name = StringField(
        _l("Contact person"),
        validators=[DataRequired(_l("Enter a contact person.")), Length(max=40)],
    )
    contact_phone = StringField(
        _l("Contact mobile number"),
        validators=[DataRequired(_l("Enter a mobile number.")), valid_phone],
        **PHONE_KW,
    )
    description = TextAreaField(
        _l("What you would like to offer"),
        validators=[Optional(), Length(max=2000)],
        description=_l("For example: rewards for volunteers, a venue, skills, goods."),
    )


class DecisionForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=500)],
        description=_l("Required for a rejection; the applicant sees it."),
    )


class StaffForm(BaseForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter a mobile number.")), valid_phone],
        description=_l("They need a govhub account with this number."),
        **PHONE_KW,
    )


class SuspendForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the suspension"),
        validators=[DataRequired(_l("Give a reason for the suspension.")), Length(max=500)],
    )
