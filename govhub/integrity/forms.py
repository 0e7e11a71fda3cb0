"""The reviewer's decision on an item of the integrity review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from govhub.forms import BaseForm


class DecisionForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "Required to reject; kept in the audit trail and shown beside the attendance."
        ),
    )
