"""The check-in pages, following the QR code the way a phone camera would."""

import io
import re
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from govhub import tokens
from govhub.checkin import services
from govhub.checkin.models import Attendance, Evidence
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Shift
from govhub.points import services as points
from govhub.references import RefType
from govhub.tokens import Purpose
from tests.factories import PASSWORD, make_admin, make_need, make_tree, make_user


def text_of(response) -> str:
    return response.get_data(as_text=True)


def decode_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


@pytest.fixture
def live(app):
    """A shift running now (started 10 minutes ago) with two claimants."""
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    now = utcnow()
    need = make_need(
        tree, admin=admin, now=now - timedelta(hours=1), title="楼道清洁", shifts=((0.01, 2, 5),)
    )
    shift = need.shifts[0]
    volunteers = [make_user(tree, name="张晓明"), make_user(tree, name="陈丽华")]
    for volunteer in volunteers:
        claims.claim_shift(volunteer.id, shift.id, now=now - timedelta(hours=1))
    db.session.execute(
        db.update(type(shift))
        .where(type(shift).id == shift.id)
        .values(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=110))
    )
    db.session.commit()
    return tree, admin, db.session.get(Shift, shift.id), volunteers


def screen_qr_url(client, shift, mode="in") -> str:
    page = text_of(client.get(f"/manage/shifts/{shift.id}/checkin?mode={mode}"))
    src = re.search(r'<img src="([^"]+\.png)"', page).group(1)
    image = client.get(src)
    assert image.headers["Content-Type"] == "image/png"
    return decode_qr(image.data)


def test_the_code_on_the_screen_checks_a_volunteer_in(live, client, auth, app):
    tree, admin, shift, (volunteer, _) = live
    auth.login(admin.phone)
    url = screen_qr_url(client, shift)
    assert url.startswith("http://localhost/s/")
    phone = app.test_client()
    phone.post("/login", data={"phone": volunteer.phone, "password": "secret-pass-1"})
    path = urlsplit(url).path
    response = phone.get(path)
    # Logged in, the scanned address is the confirm page itself (no redirect): with the
    # POST it sends, a check-in is two requests.
    assert response.status_code == 200
    assert "楼道清洁" in text_of(response)
    assert 'data-hx-post="/s/confirm"' in response.text
    result = phone.post("/s/confirm")
    assert result.status_code == 200
    assert "签到成功" in text_of(result)
    again = phone.get(path)
    assert again.status_code == 200
    second = text_of(phone.post("/s/confirm"))
    assert "您已在" in second  # "already checked in at HH:MM"
    rows = db.session.scalars(select(Attendance)).all()
    assert [(r.volunteer_id, r.check_in_evidence) for r in rows] == [
        (volunteer.id, Evidence.code_scan)
    ]
    counter = text_of(
        client.get(f"/manage/shifts/{shift.id}/checkin/counter", headers={"HX-Request": "true"})
    )
    assert "1" in counter and "2" in counter


def test_a_volunteer_who_must_log_in_first_lands_back_on_the_check_in(live, client, app):
    tree, admin, shift, (volunteer, _) = live
    token = tokens.shift_token(shift.id, Purpose.check_in, utcnow())
    response = client.get(f"/s/{shift.id}/in/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/s/confirm"
    response = client.post(
        "/login", data={"phone": volunteer.phone, "password": "secret-pass-1", "next": "/s/confirm"}
    )
    assert response.headers["Location"] == "/s/confirm"
    assert client.post("/s/confirm").status_code == 200
    assert services.attendance_of(shift.id, volunteer.id) is not None


@pytest.mark.parametrize(
    ("make_url", "status", "message"),
    [
        (
            lambda s, now: (
                f"/s/{s.id}/in/"
                f"{tokens.shift_token(s.id, Purpose.check_in, now - timedelta(seconds=61))}"
            ),
            410,
            "二维码已过期",
        ),
        (
            lambda s, now: f"/s/{s.id + 1}/in/{tokens.shift_token(s.id, Purpose.check_in, now)}",
            400,
            "其他活动",
        ),
        (
            lambda s, now: f"/s/{s.id}/in/{tokens.shift_token(s.id, Purpose.check_in, now)[:-2]}xx",
            400,
            "无效",
        ),
        (
            lambda s, now: f"/s/{s.id}/in/{tokens.shift_token(s.id, Purpose.check_out, now)}",
            400,
            "签退码",
        ),
    ],
    ids=["expired", "another-shift", "forged", "check-out-code"],
)
def test_bad_codes_get_an_explanatory_page(live, client, auth, make_url, status, message):
    tree, admin, shift, (volunteer, _) = live
    auth.login(volunteer.phone)
    response = client.get(make_url(shift, utcnow()))
    assert response.status_code == status
    assert message in text_of(response)
    assert db.session.scalars(select(Attendance)).all() == []


def test_volunteers_cannot_open_the_check_in_screen_but_a_shift_leader_can(live, client, auth):
    tree, admin, shift, (volunteer, other) = live
    auth.login(volunteer.phone)
    assert client.get(f"/manage/shifts/{shift.id}/checkin").status_code == 403
    services.name_leader(admin.id, shift.id, volunteer.id)
    assert client.get(f"/manage/shifts/{shift.id}/checkin").status_code == 200
    assert client.get(f"/manage/shifts/{shift.id}/attendance").status_code == 403


def test_check_out_code_and_confirmation_earn_points(live, client, auth, app):
    tree, admin, shift, (volunteer, _) = live
    services.check_in(volunteer.id, shift.id, now=utcnow(), evidence=Evidence.code_scan)
    auth.login(admin.phone)
    url = screen_qr_url(client, shift, mode="out")
    assert "/out/" in url
    phone = app.test_client()
    phone.post("/login", data={"phone": volunteer.phone, "password": "secret-pass-1"})
    phone.get(urlsplit(url).path)
    assert phone.post("/s/confirm").status_code == 200
    assert services.attendance_of(shift.id, volunteer.id).checked_out_at is not None
    # After the end, the admin confirms with the recorded hours.
    db.session.execute(
        db.update(type(shift))
        .where(type(shift).id == shift.id)
        .values(ends_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    attendance_id = services.attendance_of(shift.id, volunteer.id).id
    response = client.post(f"/manage/shifts/{shift.id}/confirm", data={"attendance": attendance_id})
    assert response.status_code == 303
    assert points.account(volunteer.id).total_minutes >= 0
    assert (
        len(points.ledger_sum.__name__)
        and points.ledger_sum(volunteer.id) == points.account(volunteer.id).balance
    )


def test_organizer_scans_a_volunteers_card(live, client, auth, app):
    tree, admin, shift, (volunteer, _) = live
    phone = app.test_client()
    phone.post("/login", data={"phone": volunteer.phone, "password": "secret-pass-1"})
    assert volunteer.name in text_of(phone.get("/my/card"))
    card_url = decode_qr(phone.get("/my/card.png").data)
    auth.login(admin.phone)
    page = text_of(client.get(urlsplit(card_url).path))
    assert "楼道清洁" in page
    response = client.post(urlsplit(card_url).path + "/in", data={"shift_id": shift.id})
    assert response.status_code == 303
    attendance = services.attendance_of(shift.id, volunteer.id)
    assert attendance.check_in_evidence is Evidence.card_scan
    # A replaced card stops working.
    phone.post("/my/card/revoke")
    response = client.get(urlsplit(card_url).path)
    assert response.status_code == 400 and "已更换" in text_of(response)


def test_volunteers_cannot_scan_cards(live, client, auth):
    tree, admin, shift, (volunteer, other) = live
    version = services.issue_card(other.id, now=utcnow())
    auth.login(volunteer.phone)
    assert client.get(f"/card/{tokens.card_token(other.id, version)}").status_code == 403


def test_manual_check_in_needs_a_reason_and_is_flagged(live, client, auth):
    tree, admin, shift, (volunteer, _) = live
    auth.login(admin.phone)
    response = client.post(
        f"/manage/shifts/{shift.id}/attendance/in",
        data={"volunteer_id": volunteer.id, "reason": ""},
    )
    assert response.status_code == 422
    assert services.attendance_of(shift.id, volunteer.id) is None
    response = client.post(
        f"/manage/shifts/{shift.id}/attendance/in",
        data={"volunteer_id": volunteer.id, "reason": "老人没有手机"},
    )
    assert response.status_code == 303
    page = text_of(client.get(f"/manage/shifts/{shift.id}/attendance"))
    assert "管理员补录" in page or "Entered by an admin" in page
    assert services.attendance_of(shift.id, volunteer.id).needs_review


def test_another_communitys_admin_cannot_run_or_confirm(live, client, auth):
    tree, admin, shift, volunteers = live
    outsider = make_admin(tree, scope="community_b")
    auth.login(outsider.phone)
    for url in (f"/manage/shifts/{shift.id}/checkin", f"/manage/shifts/{shift.id}/attendance"):
        assert client.get(url).status_code == 403
    assert client.post(f"/manage/shifts/{shift.id}/confirm").status_code == 403


def test_a_malformed_confirmation_form_is_not_an_error(live, client, auth):
    tree, admin, shift, volunteers = live
    auth.login(admin.phone)
    response = client.post(f"/manage/shifts/{shift.id}/confirm", data={"minutes-abc": "1"})
    assert response.status_code == 422  # the shift has not ended: explained, not a 500


# --- Manual check-in and check-out at a given time (issue 10) ------------------------


def _move_shift_to_yesterday(shift):
    """The shift ran yesterday 09:00–11:00 Shanghai time; returns its local day."""
    from govhub.clock import to_local, to_utc

    day = to_local(utcnow()).date() - timedelta(days=1)
    starts = to_utc(datetime.combine(day, time(9, 0)))
    db.session.execute(
        db.update(type(shift))
        .where(type(shift).id == shift.id)
        .values(starts_at=starts, ends_at=starts + timedelta(hours=2))
    )
    db.session.commit()
    return day


def test_a_manual_check_in_and_out_record_the_time_entered(live, client, auth):
    from govhub.clock import to_utc

    tree, admin, shift, (volunteer, _) = live
    day = _move_shift_to_yesterday(shift)
    auth.login(admin.phone)
    response = client.post(
        f"/manage/shifts/{shift.id}/attendance/in",
        data={"volunteer_id": volunteer.id, "reason": "老人没有手机", "at": "09:15"},
    )
    assert response.status_code == 303
    response = client.post(
        f"/manage/shifts/{shift.id}/attendance/out",
        data={"volunteer_id": volunteer.id, "reason": "老人没有手机", "at": "10:45"},
    )
    assert response.status_code == 303
    attendance = services.attendance_of(shift.id, volunteer.id)
    assert attendance.checked_in_at == to_utc(datetime.combine(day, time(9, 15)))
    assert attendance.checked_out_at == to_utc(datetime.combine(day, time(10, 45)))


@pytest.mark.parametrize(
    ("entered", "message"),
    [("25:99", "18:30"), ("9点", "18:30"), ("07:00", "08:30")],  # 08:30: check-in opens
)
def test_an_invalid_manual_time_is_refused_at_the_field_with_the_input_kept(
    live, client, auth, entered, message
):
    tree, admin, shift, (volunteer, _) = live
    _move_shift_to_yesterday(shift)
    auth.login(admin.phone)
    response = client.post(
        f"/manage/shifts/{shift.id}/attendance/in",
        data={"volunteer_id": volunteer.id, "reason": "老人没有手机", "at": entered},
    )
    assert response.status_code == 422
    page = text_of(response)
    row = page[page.index(f'id="volunteer-{volunteer.id}"') :]
    row = row[: row.index("</tr>")]
    error = re.search(r'<p class="error">(.*?)</p>', row, re.S)
    assert error and message in error.group(1)
    assert f'value="{entered}"' in row and 'value="老人没有手机"' in row  # input kept
    assert "<details open>" in row
    assert services.attendance_of(shift.id, volunteer.id) is None


def test_a_shift_leaders_card_scanning_ends_with_their_shift(live, client, auth):
    tree, admin, shift, (leader, other) = live
    services.name_leader(admin.id, shift.id, leader.id)
    card = f"/card/{tokens.card_token(other.id, services.issue_card(other.id, now=utcnow()))}"
    auth.login(leader.phone)
    assert client.get(card).status_code == 200  # while the shift runs
    db.session.execute(
        db.update(type(shift))
        .where(type(shift).id == shift.id)
        .values(
            starts_at=utcnow() - timedelta(days=3), ends_at=utcnow() - timedelta(days=3, hours=-2)
        )
    )
    db.session.commit()
    assert client.get(card).status_code == 403
    assert client.post(f"{card}/in", data={"shift_id": shift.id}).status_code == 403
    assert services.attendance_of(shift.id, other.id) is None
    auth.logout()
    auth.login(admin.phone)  # the community's admins still scan cards
    assert client.get(card).status_code == 200


FORGED = "http://evil.example"  # what a client sends in its Host header


def forged_login(client, user) -> None:
    response = client.post(
        "/login", data={"phone": user.phone, "password": PASSWORD}, base_url=FORGED
    )
    assert response.status_code == 303


@pytest.mark.app_config(BASE_URL="https://govhub.example.cn")
def test_check_in_code_and_card_use_the_configured_address_not_a_forged_host(live, app):
    tree, admin, shift, (volunteer, _) = live
    organizer = app.test_client()
    forged_login(organizer, admin)
    page = text_of(organizer.get(f"/manage/shifts/{shift.id}/checkin?mode=in", base_url=FORGED))
    src = re.search(r'<img src="([^"]+\.png)"', page).group(1)
    url = decode_qr(organizer.get(src, base_url=FORGED).data)
    assert url.startswith("https://govhub.example.cn/s/")
    phone = app.test_client()
    forged_login(phone, volunteer)
    phone.get("/my/card", base_url=FORGED)
    card = decode_qr(phone.get("/my/card.png", base_url=FORGED).data)
    assert card.startswith("https://govhub.example.cn/card/")


def ended_shift_with_two_scanned():
    """A shift that ended yesterday; two volunteers scanned in at its start. Returns the
    admin, the shift and the two attendance ids."""
    tree = make_tree()
    admin = make_admin(tree)
    past = utcnow() - timedelta(days=1)
    need = make_need(tree, admin=admin, now=past, shifts=((0.5, 2, 5),))
    shift = need.shifts[0]
    people = [make_user(tree, name="张晓明"), make_user(tree, name="陈丽华")]
    for person in people:
        claims.claim_shift(person.id, shift.id, now=past)
        services.check_in(person.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
    return admin, shift, [services.attendance_of(shift.id, p.id).id for p in people]


def test_attendance_shows_edited_hours_as_hours_and_minutes_not_raw(app, client, auth):
    """80 and 1 minutes used to read "1.33333" and "0.0166667"."""
    admin, shift, rows = ended_shift_with_two_scanned()
    first, second = rows
    auth.login(admin.phone)
    page = text_of(client.get(f"/manage/shifts/{shift.id}/attendance"))
    assert f'name="minutes-{first}" inputmode="decimal" value="2"' in page  # recorded hours
    response = client.post(
        f"/manage/shifts/{shift.id}/confirm",
        data={
            f"minutes-{first}": "1.33",
            f"note-{first}": "提前离开",
            f"minutes-{second}": "0.02",
            f"note-{second}": "只来了一下",
        },
    )
    assert response.status_code == 303
    assert [db.session.get(Attendance, i).minutes for i in rows] == [80, 1]
    page = text_of(client.get(f"/manage/shifts/{shift.id}/attendance"))
    assert "1.33333" not in page and "0.0166667" not in page
    assert "1小时20分钟 ✔" in page and "1分钟 ✔" in page  # hours and minutes, as confirmed


def test_the_confirm_button_goes_once_all_is_confirmed_and_the_points_given_show(app, client, auth):
    admin, shift, rows = ended_shift_with_two_scanned()
    auth.login(admin.phone)
    page = text_of(client.get(f"/manage/shifts/{shift.id}/attendance"))
    assert 'id="confirm-hours"' in page and 'id="all-confirmed"' not in page
    # Each value says what it is, for a phone's stacked rows.
    for label in ("签到", "签退", "时长", "积分", "凭据"):
        assert f'data-label="{label}"' in page, label
    assert "2小时" in page  # recorded from the start to the end of the shift: 2 hours
    # The form names the rows it shows (the page's hidden "attendance" fields).
    assert f'name="attendance" value="{rows[0]}"' in page
    response = client.post(f"/manage/shifts/{shift.id}/confirm", data={"attendance": rows})
    assert response.status_code == 303

    page = text_of(client.get(f"/manage/shifts/{shift.id}/attendance"))
    assert 'id="confirm-hours"' not in page and 'id="all-confirmed"' in page
    earned = [
        points.earned_for(RefType.attendance, [attendance_id])[attendance_id]
        for attendance_id in rows
    ]
    assert earned[0] > 0
    for amount in earned:
        assert re.search(rf'class="ok given">\s*已发放{amount}积分 ✔', page)


def test_changed_hours_or_a_no_show_without_a_reason_is_refused_beside_the_note(app, client, auth):
    """The reason was refused at a field named "reason", which the page does not have, so
    the admin saw the page again with no word of what was wrong."""
    admin, shift, (first, second) = ended_shift_with_two_scanned()
    auth.login(admin.phone)
    for data, row in (
        ({f"minutes-{first}": "1", f"note-{first}": " "}, first),
        ({f"minutes-{second}": "2", f"noshow-{second}": "1"}, second),
    ):
        response = client.post(f"/manage/shifts/{shift.id}/confirm", data=data)
        assert response.status_code == 422
        page = text_of(response)
        cell = page[page.index(f'name="note-{row}"') :]
        cell = cell[: cell.index("</td>")]
        assert "请填写理由" in cell  # "Give a reason…", beside the note it belongs to
    assert [db.session.get(Attendance, i).status.value for i in (first, second)] == [
        "present",
        "present",
    ]
