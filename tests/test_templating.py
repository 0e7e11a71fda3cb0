"""The app-wide filters: hours (one decimal to read, two to edit) and the one date format."""

from datetime import datetime, timedelta

import pytest
from flask import render_template_string
from flask_babel import force_locale


@pytest.mark.parametrize(
    ("minutes", "zh", "en"),
    [
        (0, "0小时", "0 h"),
        (1, "<0.1小时", "<0.1 h"),
        (3, "0.1小时", "0.1 h"),
        (60, "1小时", "1 h"),
        (80, "1.3小时", "1.3 h"),
        (90, "1.5小时", "1.5 h"),
        (6000, "100小时", "100 h"),
        (60_030, "1,000.5小时", "1,000.5 h"),
    ],
)
def test_hours_show_one_decimal_trailing_zero_dropped(app, minutes, zh, en):
    with app.test_request_context():
        for locale, expected in (("zh_Hans_CN", zh), ("en", en)):
            with force_locale(locale):
                shown = render_template_string(
                    "{{ m | hours }}|{{ m | hours(unit=False) }}", m=minutes
                )
            number = en.split(" ")[0]
            assert shown == f"{expected}|{number}".replace("<", "&lt;")


@pytest.mark.parametrize("minutes", [0, 1, 7, 59, 80, 90, 100, 119, 600, 1439])
def test_an_hours_field_value_sends_back_the_same_minutes(app, minutes):
    with app.test_request_context():
        value = render_template_string("{{ m | hours_input }}", m=minutes)
    assert round(float(value) * 60) == minutes and len(value.partition(".")[2]) <= 2


@pytest.mark.parametrize(
    ("minutes", "zh", "en"),
    [
        (0, "0分钟", "0 min"),
        (45, "45分钟", "45 min"),
        (60, "1小时", "1 h"),
        (90, "1小时30分钟", "1 h 30 min"),
        (125, "2小时5分钟", "2 h 5 min"),
        (None, "0分钟", "0 min"),
    ],
)
def test_hours_minutes_show_whole_hours_and_the_minutes_left(app, minutes, zh, en):
    with app.test_request_context():
        for locale, expected in (("zh_Hans_CN", zh), ("en", en)):
            with force_locale(locale):
                assert render_template_string("{{ m | hours_minutes }}", m=minutes) == expected


# -- Dates and times: one format (govhub/clock.py) --------------------------------------

# 2026-12-02 11:00 UTC is 19:00 on Wednesday 2 December in Shanghai.
EVENING = datetime(2026, 12, 2, 11, 0)


@pytest.fixture
def in_2026(monkeypatch):
    monkeypatch.setattr("govhub.clock.utcnow", lambda: datetime(2026, 6, 1, 4, 0))


@pytest.mark.parametrize(
    ("template", "zh", "en"),
    [
        ("{{ t | when }}", "12月2日 周三 19:00", "Wed 2 Dec 19:00"),
        ("{{ t | day }}", "12月2日 周三", "Wed 2 Dec"),
        ("{{ t | clock }}", "19:00", "19:00"),
        ("{{ t.date() | month }}", "2026年12月", "December 2026"),
        ("{{ later | when }}", "2027年1月4日 周一 09:30", "Mon 4 Jan 2027 09:30"),
        ("{{ '2026-12-02' | day }}", "12月2日 周三", "Wed 2 Dec"),
    ],
)
def test_dates_and_times_have_one_format_with_the_year_only_outside_this_year(
    app, in_2026, template, zh, en
):
    later = datetime(2027, 1, 4, 1, 30)
    with app.test_request_context():
        for locale, expected in (("zh_Hans_CN", zh), ("en", en)):
            with force_locale(locale):
                assert render_template_string(template, t=EVENING, later=later) == expected


def test_a_span_keeps_its_times_on_one_line(app, in_2026):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        same_day = render_template_string(
            "{{ timespan(a, b) }}", a=EVENING, b=EVENING + timedelta(hours=2)
        )
        overnight = render_template_string(
            "{{ timespan(a, b) }}", a=EVENING, b=EVENING + timedelta(hours=6)
        )
    assert same_day == '12月2日 周三 <span class="nowrap">19:00–21:00</span>'
    assert overnight == (
        '<span class="nowrap">12月2日 周三 19:00</span> – '
        '<span class="nowrap">12月3日 周四 01:00</span>'
    )
