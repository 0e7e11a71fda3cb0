"""The labelled enums: one declaration gives the stored value and the translated label."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from govhub.accounts.models import Role
from govhub.checkin.models import AttendanceStatus, Evidence, VoidReason
from govhub.enums import LabelledEnum
from govhub.needs.models import ClaimStatus, NeedStatus, RequestStatus, Urgency
from govhub.notifications.kinds import NotificationKind
from govhub.orgs.models import OrgLevel
from govhub.partners.models import PartnerKind, PartnerStatus
from govhub.points.leaderboard import Metric, Period, Scope
from govhub.points.models import EntryKind
from govhub.rewards.models import RewardArea, RewardStatus, VoucherStatus

LABELLED = [
    Role,
    AttendanceStatus,
    Evidence,
    VoidReason,
    ClaimStatus,
    NeedStatus,
    NotificationKind,
    RequestStatus,
    Urgency,
    OrgLevel,
    PartnerKind,
    PartnerStatus,
    Metric,
    Period,
    Scope,
    EntryKind,
    RewardArea,
    RewardStatus,
    VoucherStatus,
]


@pytest.mark.parametrize("enum_cls", LABELLED, ids=lambda c: c.__name__)
def test_each_member_stores_its_name_and_reads_back_by_value(enum_cls):
    for member in enum_cls:
        assert member.value == member.name
        assert enum_cls(member.value) is member
        assert member == member.value  # still a str for SQL, JSON and templates


@pytest.mark.parametrize("enum_cls", LABELLED, ids=lambda c: c.__name__)
def test_each_member_has_a_label_and_choices_list_them_in_order(app, enum_cls):
    choices = enum_cls.choices()
    assert [c.value for c in choices] == [m.value for m in enum_cls]
    for member, choice in zip(enum_cls, choices, strict=True):
        assert member.label.strip()
        assert str(choice.label) == member.label


def test_labels_follow_the_language_of_the_request(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert NeedStatus.draft.label == "草稿"
        assert str(Urgency.choices()[0].label) == Urgency.low.label != "Not urgent"
    with app.test_request_context(), force_locale("en"):
        assert NeedStatus.draft.label == "Draft"


def test_a_member_declared_without_a_label_is_refused():
    with pytest.raises(TypeError, match="declare it as"):

        class Broken(LabelledEnum):
            draft = "draft"

    class Fine(LabelledEnum):
        draft = "draft", _l("Draft")

    assert Fine("draft") is Fine.draft
