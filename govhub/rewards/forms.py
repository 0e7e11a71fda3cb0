from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from govhub.forms import BaseForm, IntegerField, KeyedForm, optional_int
from govhub.rewards import catalog, vouchers
from govhub.rewards.models import RewardArea

ACCEPT_PHOTOS = "image/jpeg,image/png,image/webp"


class RewardForm(BaseForm):
    title = StringField(
        _l("Reward"),
        validators=[DataRequired(_l("Enter what the reward is.")), Length(max=catalog.MAX_TITLE)],
        description=_l("For example: 5 kg of rice, one haircut."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=catalog.MAX_DESCRIPTION)],
        description=_l("What exactly the volunteer gets, and anything to bring."),
    )
    photo = FileField(
        _l("Photo (optional)"),
        render_kw={"accept": ACCEPT_PHOTOS},
        description=_l("JPEG, PNG or WebP. We resize it and remove location and camera data."),
    )
    remove_photo = BooleanField(_l("Remove the current photo"))
    price = IntegerField(
        _l("Points"),
        validators=[
            InputRequired(_l("Enter the price in points.")),
            NumberRange(1, catalog.MAX_PRICE, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    stock = IntegerField(
        _l("Stock"),
        validators=[
            InputRequired(_l("Enter how many you can give.")),
            NumberRange(0, catalog.MAX_STOCK, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    # The stock shown when the edit form was opened (see RewardInput.stock_seen).
    stock_seen = HiddenField()
    monthly_limit = IntegerField(
        _l("Limit per volunteer per month"),
        validators=[
            Optional(),
            NumberRange(1, catalog.MAX_MONTHLY_LIMIT, _l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
        description=_l("Leave empty for no limit."),
    )
    available_from = DateField(
        _l("Available from"), validators=[Optional()], description=_l("Leave empty to start now.")
    )
    available_until = DateField(
        _l("Available until"),
        validators=[Optional()],
        description=_l("The last day; leave empty for no end."),
    )
    area = RadioField(
        _l("Who may redeem it"),
        choices=RewardArea.choices(),
        default=RewardArea.community.value,
        validators=[DataRequired(_l("Choose one."))],
    )

    def input(self) -> catalog.RewardInput:
        return catalog.RewardInput(
            title=self.title.data,
            description=self.description.data or "",
            price=self.price.data,
            stock=self.stock.data,
            monthly_limit=self.monthly_limit.data,
            available_from=self.available_from.data,
            available_until=self.available_until.data,
            area=RewardArea(self.area.data),
            stock_seen=optional_int(self.stock_seen.data),
        )

    def photo_bytes(self) -> bytes | None:
        upload = self.photo.data
        if not upload or not getattr(upload, "filename", None):
            return None
        # Read at most one byte more than allowed: enough to tell it is too large.
        return upload.read(current_app.config["REWARD_PHOTO_MAX_BYTES"] + 1)


class RedeemForm(KeyedForm):
    """The redeem button: its key makes a double click issue one voucher."""


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason; the volunteer will see it.")),
            Length(max=vouchers.MAX_REASON),
        ],
        description=_l("For example: the goods have run out."),
    )


class CodeForm(BaseForm):
    code = StringField(
        _l("Voucher code"),
        validators=[DataRequired(_l("Enter the code on the volunteer's voucher."))],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "placeholder": "ABCD-EFGH",
        },
        description=_l("8 letters and digits, as the volunteer reads them out."),
    )


class ExportForm(BaseForm):
    class Meta:
        csrf = False  # a GET download

    start = DateField(_l("From"), validators=[InputRequired(_l("Choose the first day."))])
    end = DateField(_l("To"), validators=[InputRequired(_l("Choose the last day."))])

    def validate_end(self, field) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
