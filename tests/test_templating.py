"""The app-wide ``hours`` filters: one decimal to read, two to edit and send back."""

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
