"""Notifications: every kind reads as a sentence, in every language, wherever it is shown."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale

from govhub import jobs
from govhub.extensions import db
from govhub.notifications.kinds import NotificationKind, message
from govhub.notifications.models import Notification
from govhub.notifications.services import notify
from govhub.references import RefType
from tests.checkin.helpers import HOUR, START, shift_world
from tests.factories import make_tree, make_user

PARAMS = {
    "title": "陪伴老人",
    "reason": "下雨",
    "what": "修水管",
    "partner": "爱心超市",
    "points": 30,
    "date": "2027-01-01",
    "starts_at": START.isoformat(),
}


def test_every_kind_has_a_message_in_chinese_and_english_without_its_raw_name(app):
    for kind in NotificationKind:
        texts = {}
        for locale in ("zh_Hans_CN", "en"):
            with app.test_request_context(), force_locale(locale):
                texts[locale] = message(Notification(kind=kind.value, params=PARAMS))
        for text in texts.values():
            assert text.strip() and kind.value not in text and "%(" not in text, kind
        assert texts["zh_Hans_CN"] != texts["en"], kind  # translated
        assert "You have a new notification." not in texts["en"], kind  # not the fallback


def test_notify_refuses_a_kind_that_has_no_message(app):
    with pytest.raises(ValueError):
        notify(1, "reminder_3h", "need", 1)


def test_reminders_read_as_sentences_in_the_notification_list(app, client, auth):
    w = shift_world(title="陪伴老人")
    jobs.send_reminders(now=START - 23 * HOUR)
    jobs.send_reminders(now=START - 90 * timedelta(minutes=1))
    auth.login(w.volunteers[0].phone)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "reminder_24h" not in page and "reminder_2h" not in page
    assert page.count("提醒：「陪伴老人") == 2


def test_a_plain_get_of_the_bell_shows_the_unread_notifications(app, client, auth):
    w = shift_world(title="陪伴老人")  # claiming notified both volunteers
    auth.login(w.volunteers[0].phone)
    response = client.get("/notifications/bell", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == "/notifications/"
    assert "陪伴老人" in page and "暂无消息" not in page
    fragment = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert '<span class="badge">1</span>' in fragment.get_data(as_text=True)


@pytest.mark.parametrize(
    ("ref_type", "target_id", "path"),
    [
        (RefType.need, 7, "/needs/7"),
        (RefType.resident_request, 8, "/requests/8"),
        (RefType.redemption, 9, "/my/vouchers/9"),
        (RefType.points, 1, "/my/points"),
        # invitations (matching): the invitee's page and the provider side's page
        (RefType.invitation, 3, "/matching/invitations/3"),
        (RefType.resource_request, 4, "/matching/resource-requests/4"),
    ],
)
def test_opening_a_notification_goes_to_the_page_of_its_reference(
    app, client, auth, ref_type, target_id, path
):
    user = make_user(make_tree())
    notice = notify(user.id, NotificationKind.need_changed, ref_type, target_id, title="x")
    db.session.commit()
    auth.login(user.phone)
    opened = client.post(f"/notifications/{notice.id}/open")
    assert opened.status_code == 303
    assert urlsplit(opened.headers["Location"]).path == path
    assert db.session.get(Notification, notice.id).target_type == ref_type.value


def test_notify_refuses_a_reference_type_outside_the_vocabulary(app):
    with pytest.raises(ValueError):
        notify(1, NotificationKind.need_changed, "voucher", 1)
