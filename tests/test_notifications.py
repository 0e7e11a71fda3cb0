"""Notifications: every kind reads as a sentence, in every language, wherever it is shown."""

from datetime import timedelta

import pytest
from flask_babel import force_locale

from govhub import jobs
from govhub.notifications.kinds import NotificationKind, message
from govhub.notifications.models import Notification
from govhub.notifications.services import notify
from tests.checkin.helpers import HOUR, START, shift_world

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
    assert page.count("提醒：陪伴老人") == 2


def test_a_plain_get_of_the_bell_shows_the_unread_notifications(app, client, auth):
    w = shift_world(title="陪伴老人")  # claiming notified both volunteers
    auth.login(w.volunteers[0].phone)
    response = client.get("/notifications/bell", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == "/notifications/"
    assert "陪伴老人" in page and "暂无消息" not in page
    fragment = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert '<span class="badge">1</span>' in fragment.get_data(as_text=True)
