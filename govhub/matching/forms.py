"""The forms of invitations and resource requests. The invite and request forms are
rendered on the matching page (``matching.need``) and posted to ``invitations.invite`` and
``invitations.request_resource``: their field names are part of that contract."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from govhub.forms import BaseForm, IntegerField, KeyedForm, id_value
from govhub.matching import invitations, resource_requests
from govhub.resources.models import Resource


class InviteForm(KeyedForm):
    """Fields: ``volunteer`` (repeated), ``message``, ``key``, ``next``, csrf."""

    volunteer = SelectMultipleField(
        _l("Volunteers"),
        coerce=id_value,
        validate_choice=False,
        validators=[DataRequired(_l("Choose at least one volunteer."))],
    )
    message = StringField(
        _l("A word to them (optional)"),
        validators=[Optional(), Length(max=invitations.MAX_MESSAGE)],
    )
    next = HiddenField()


class RequestResourceForm(KeyedForm):
    """Fields: ``resource_id``, ``quantity``, ``note``, ``key``, ``next``, csrf."""

    resource_id = IntegerField(_l("Resource"), validators=[InputRequired(_l("Choose a resource."))])
    quantity = IntegerField(
        _l("How much to ask for"),
        validators=[
            InputRequired(_l("Enter how much to ask for.")),
            NumberRange(1, Resource.MAX_QUANTITY, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    note = StringField(
        _l("Note (optional)"), validators=[Optional(), Length(max=resource_requests.MAX_NOTE)]
    )
    next = HiddenField()


class AnswerForm(BaseForm):
    """The invitee's answer: the buttons are ``answer`` = accept / waitlist / decline."""

    reason = TextAreaField(
        _l("Why you cannot come (optional)"),
        validators=[Optional(), Length(max=invitations.MAX_REASON)],
    )


class DecisionForm(BaseForm):
    """The provider side's decision: ``answer`` = accept / decline (reason required)."""

    reason = TextAreaField(
        _l("Reason (needed to decline)"),
        validators=[Optional(), Length(max=resource_requests.MAX_REASON)],
    )


class EmptyForm(BaseForm):
    """A button alone (withdraw), with its CSRF token."""
