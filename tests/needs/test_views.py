"""The needs pages as people use them: admins post and run needs, volunteers claim."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub.audit.models import AuditEvent
from govhub.clock import to_local
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims as needs_claims
from govhub.needs import posting, resident_requests
from govhub.needs.models import Claim, ClaimStatus, Need, NeedStatus, RequestStatus, Urgency
from govhub.notifications.models import Notification
from govhub.orgs import settings as org_settings
from govhub.orgs.models import CommunitySettings
from tests.factories import make_admin, make_category, make_need, make_tree, make_user


def text_of(response) -> str:
    return response.get_data(as_text=True)


def local_input(delta: timedelta) -> str:
    """A datetime-local value ``delta`` from now, in Shanghai time."""
    return to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def need_form(tree, category_id, **overrides) -> dict:
    data = {
        "community_id": tree.community_a,
        "title": "帮老人买菜",
        "description": "每周一次",
        "category_id": category_id,
        "place": "金叶社区活动室",
        "contact_name": "王书记",
        "contact_phone": "13812345678",
        "points_mode": "per_hour",
        "visibility": "community",
        "shifts-0-starts_at": local_input(timedelta(days=2)),
        "shifts-0-ends_at": local_input(timedelta(days=2, hours=2)),
        "shifts-0-capacity": "5",
        "shifts-1-starts_at": local_input(timedelta(days=3)),
        "shifts-1-ends_at": local_input(timedelta(days=3, hours=2)),
        "shifts-1-capacity": "3",
    }
    data.update(overrides)
    return data


@pytest.fixture
def world(app):
    tree = make_tree()
    return {
        "tree": tree,
        "category": make_category(),
        "admin": make_admin(tree, scope="community_a", name="王书记"),
        "other_admin": make_admin(tree, scope="community_b", name="李主任"),
        "volunteer": make_user(tree, name="张晓明"),
    }


def test_admin_posts_a_need_with_two_shifts_and_publishes_it(world, client, auth):
    auth.login(world["admin"].phone)
    response = client.post("/manage/needs/new", data=need_form(world["tree"], world["category"]))
    assert response.status_code == 303
    need = db.session.scalars(select(Need)).one()
    assert (need.status, len(need.shifts)) == (NeedStatus.draft, 2)
    assert [s.capacity for s in need.shifts] == [5, 3]
    assert need.points_per_hour == 10  # the default rate
    response = client.post(f"/manage/needs/{need.id}/publish")
    assert response.status_code == 303
    assert db.session.get(Need, need.id).status is NeedStatus.open


def test_shift_errors_are_shown_at_the_field_and_nothing_is_saved(world, client, auth):
    auth.login(world["admin"].phone)
    data = need_form(
        world["tree"],
        world["category"],
        **{
            "shifts-1-ends_at": local_input(timedelta(days=2, hours=23)),  # before its start
        },
    )
    response = client.post("/manage/needs/new", data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="shifts-1-ends_at-error"' in page
    assert "结束时间必须晚于开始时间" in page or "The end must be after the start." in page
    assert 'value="帮老人买菜"' in page  # input kept
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "长" * 81}, "title"),
        ({"contact_phone": "123"}, "contact_phone"),
        ({"shifts-0-capacity": "0"}, "shifts-0-capacity"),
        ({"shifts-0-capacity": "501"}, "shifts-0-capacity"),
        (
            {"shifts-0-starts_at": "2020-01-01T09:00", "shifts-0-ends_at": "2020-01-01T11:00"},
            "shifts-0-starts_at",
        ),
    ],
)
def test_need_form_validation(world, client, auth, overrides, field):
    auth.login(world["admin"].phone)
    response = client.post(
        "/manage/needs/new", data=need_form(world["tree"], world["category"], **overrides)
    )
    assert response.status_code == 422
    assert f'id="{field}-error" aria-live="polite">' in text_of(response)
    assert f'id="{field}-error" aria-live="polite"></p>' not in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


def test_inline_validation_answers_for_one_field(world, client, auth):
    auth.login(world["admin"].phone)
    data = need_form(
        world["tree"], world["category"], **{"shifts-0-ends_at": local_input(timedelta(days=1))}
    )
    response = client.post(
        "/manage/needs/validate",
        data=data,
        headers={"HX-Request": "true", "HX-Trigger-Name": "shifts-0-ends_at"},
    )
    assert response.status_code == 200
    assert text_of(response).startswith('<p class="error" id="shifts-0-ends_at-error"')
    assert "The end must be after the start." in text_of(response) or "晚于" in text_of(response)
    response = client.post(
        "/manage/needs/validate",
        data=need_form(world["tree"], world["category"]),
        headers={"HX-Request": "true", "HX-Trigger-Name": "title"},
    )
    assert text_of(response).strip() == '<p class="error" id="title-error" aria-live="polite"></p>'


def test_add_and_remove_shift_rows_in_place(world, client, auth):
    auth.login(world["admin"].phone)
    data = need_form(world["tree"], world["category"], add_shift="1")
    response = client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"})
    page = text_of(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="shifts"')  # just the shifts section
    assert 'name="shifts-2-starts_at"' in page
    data = need_form(world["tree"], world["category"], remove_shift="shifts-0")
    page = text_of(client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"}))
    # One row is left, renumbered 0, holding the second shift's values.
    assert page.count('type="datetime-local"') == 2
    assert f'value="{data["shifts-1-starts_at"]}"' in page
    assert f'value="{data["shifts-0-starts_at"]}"' not in page
    assert 'name="shifts-0-starts_at"' in page and 'name="shifts-1-starts_at"' not in page
    # Without JavaScript the same buttons reload the whole page.
    page = text_of(
        client.post(
            "/manage/needs/new", data=need_form(world["tree"], world["category"], add_shift="1")
        )
    )
    assert "<html" in page and 'name="shifts-2-starts_at"' in page
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


def test_recurring_shifts_are_previewed_then_added(world, client, auth):
    auth.login(world["admin"].phone)
    first_day = (to_local(utcnow()) + timedelta(days=1)).date().isoformat()
    pattern = {
        "rec_weekdays": ["1", "3"],
        "rec_start": "19:00",
        "rec_end": "21:00",
        "rec_first_day": first_day,
        "rec_weeks": "8",
        "rec_capacity": "4",
    }
    data = {**need_form(world["tree"], world["category"]), **pattern, "preview_recurring": "1"}
    for key in [k for k in data if k.startswith("shifts-1")]:
        del data[key]
    page = text_of(client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"}))
    assert page.count("19:00–21:00") == 16
    data.pop("preview_recurring")
    data.update({"add_recurring": "1", "shifts-0-starts_at": "", "shifts-0-ends_at": ""})
    page = text_of(client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"}))
    assert page.count('type="datetime-local"') == 32  # 16 shifts × (start, end)
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0  # nothing saved yet


def test_volunteer_finds_claims_and_sees_my_tasks(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow(), title="九点伴课堂")
    make_need(world["tree"], admin=world["admin"], now=utcnow(), title="垃圾分类引导")
    auth.login(world["volunteer"].phone)
    response = client.get("/needs?q=伴课", headers={"HX-Request": "true"})
    page = text_of(response)
    assert "九点伴课堂" in page and "垃圾分类引导" not in page
    assert "<html" not in page and "HX-Request" in response.headers["Vary"]
    assert "九点伴课堂" in text_of(client.get("/needs?q=伴课"))  # the URL is shareable

    shift = need.shifts[0]
    response = client.post(f"/shifts/{shift.id}/claim", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="shift-{shift.id}"' in text_of(response)
    tasks = text_of(client.get("/my/tasks"))
    assert "九点伴课堂" in tasks
    calendar = client.get(f"/shifts/{shift.id}/calendar.ics")
    assert calendar.headers["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:\xe4\xb9\x9d" in calendar.data  # the title, UTF-8
    bell = text_of(client.get("/notifications/bell", headers={"HX-Request": "true"}))
    assert '<span class="badge">1</span>' in bell


def test_a_full_shift_offers_the_waiting_list(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow(), shifts=((1, 2, 1),))
    shift = need.shifts[0]
    needs_claims.claim_shift(make_user(world["tree"]).id, shift.id, now=utcnow())
    auth.login(world["volunteer"].phone)
    response = client.post(f"/shifts/{shift.id}/claim")
    assert response.status_code == 422
    page = text_of(response)
    assert 'name="waitlist" value="1"' in page
    response = client.post(f"/shifts/{shift.id}/claim", data={"waitlist": "1"})
    assert response.status_code == 303
    assert "1" in text_of(client.get("/my/tasks"))
    claim = db.session.scalar(select(Claim).where(Claim.volunteer_id == world["volunteer"].id))
    assert claim.status is ClaimStatus.waitlisted


def test_admin_sees_claimants_with_phone_and_removes_one(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow())
    volunteer = world["volunteer"]
    needs_claims.claim_shift(volunteer.id, need.shifts[0].id, now=utcnow())
    auth.login(world["admin"].phone)
    page = text_of(client.get(f"/manage/needs/{need.id}"))
    assert "张晓明" in page and volunteer.phone in page and "Alpha Grid 1" in page
    claim = db.session.scalar(select(Claim))
    response = client.post(
        f"/manage/claims/{claim.id}/remove", data={f"remove-{claim.id}-reason": ""}
    )
    assert response.status_code == 422
    response = client.post(
        f"/manage/claims/{claim.id}/remove", data={f"remove-{claim.id}-reason": "重复报名"}
    )
    assert response.status_code == 303
    assert db.session.get(Claim, claim.id).status is ClaimStatus.removed
    note = db.session.scalar(select(Notification).where(Notification.kind == "claim_removed"))
    assert note.user_id == volunteer.id and note.params["reason"] == "重复报名"


def test_cancelling_a_need_needs_a_reason_and_tells_claimants(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow())
    needs_claims.claim_shift(world["volunteer"].id, need.shifts[0].id, now=utcnow())
    auth.login(world["admin"].phone)
    assert client.post(f"/manage/needs/{need.id}/cancel", data={"reason": ""}).status_code == 422
    assert db.session.get(Need, need.id).status is NeedStatus.open
    assert (
        client.post(f"/manage/needs/{need.id}/cancel", data={"reason": "下雨"}).status_code == 303
    )
    assert db.session.get(Need, need.id).status is NeedStatus.cancelled
    auth.logout()
    auth.login(world["volunteer"].phone)
    page = text_of(client.get("/notifications/"))
    assert "下雨" in page


def test_another_communitys_admin_cannot_edit_see_phones_or_cancel(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow())
    needs_claims.claim_shift(world["volunteer"].id, need.shifts[0].id, now=utcnow())
    auth.login(world["other_admin"].phone)
    for method, url, data in [
        ("get", f"/manage/needs/{need.id}", None),
        ("get", f"/manage/needs/{need.id}/edit", None),
        (
            "post",
            f"/manage/needs/{need.id}/edit",
            need_form(world["tree"], world["category"], title="改"),
        ),
        ("post", f"/manage/needs/{need.id}/cancel", {"reason": "x"}),
        ("post", f"/manage/needs/{need.id}/close", None),
    ]:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, url
        assert world["volunteer"].phone not in text_of(response)
    need = db.session.get(Need, need.id)
    assert (need.title, need.status) == ("Visit lonely elders", NeedStatus.open)


def test_volunteers_do_not_see_each_others_phones(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow())
    other = make_user(world["tree"], name="陈丽华")
    needs_claims.claim_shift(other.id, need.shifts[0].id, now=utcnow())
    auth.login(world["volunteer"].phone)
    page = text_of(client.get(f"/needs/{need.id}"))
    assert other.phone not in page and "陈丽华" not in page
    assert client.get(f"/manage/needs/{need.id}").status_code == 403


def test_draft_needs_are_invisible_on_the_board(world, client, auth):
    draft = make_need(
        world["tree"], admin=world["admin"], now=utcnow(), title="草稿需求", publish=False
    )
    auth.login(world["volunteer"].phone)
    assert "草稿需求" not in text_of(client.get("/needs"))
    assert client.get(f"/needs/{draft.id}").status_code == 403


def test_html_in_a_need_is_escaped(world, client, auth):
    need = make_need(
        world["tree"],
        admin=world["admin"],
        now=utcnow(),
        title="<script>alert(1)</script>",
        description="<img src=x onerror=alert(2)>",
    )
    auth.login(world["volunteer"].phone)
    for page in (text_of(client.get("/needs")), text_of(client.get(f"/needs/{need.id}"))):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in text_of(client.get(f"/needs/{need.id}"))


@pytest.mark.parametrize("page", ["99999999999999999999", "-4", "abc"])
def test_board_page_number_that_is_no_page_shows_the_first_page(world, client, auth, page):
    make_need(world["tree"], admin=world["admin"], now=utcnow(), title="楼道清洁")
    auth.login(world["volunteer"].phone)
    response = client.get("/needs", query_string={"page": page})
    assert response.status_code == 200 and "楼道清洁" in text_of(response)


def test_board_pages_load_more(world, client, auth):
    for n in range(14):
        make_need(
            world["tree"],
            admin=world["admin"],
            now=utcnow(),
            title=f"需求{n:02d}",
            shifts=((1 + n, 1, 5),),
        )
    auth.login(world["volunteer"].phone)
    page = text_of(client.get("/needs"))
    assert "需求00" in page and "需求11" in page and "需求12" not in page
    assert 'id="load-more"' in page
    more = text_of(client.get("/needs?page=2", headers={"HX-Request": "true"}))
    assert "需求12" in more and "需求13" in more and "需求00" not in more
    assert "<section" not in more  # cards only, appended in place


def test_resident_request_becomes_a_need(world, client, auth):
    auth.login(world["volunteer"].phone)
    response = client.post(
        "/requests/new",
        data={
            "what": "帮忙搬米上楼",
            "details": "五楼",
            "when_text": "周六上午",
            "place": "5 栋",
            "urgency": "high",
        },
    )
    assert response.status_code == 303
    request_id = db.session.scalar(select(resident_requests.ResidentRequest.id))
    auth.logout()
    auth.login(world["admin"].phone)
    assert "帮忙搬米上楼" in text_of(client.get("/requests/review"))
    page = text_of(client.get(f"/manage/needs/new?request={request_id}"))
    assert 'value="帮忙搬米上楼"' in page and 'value="5 栋"' in page
    data = need_form(
        world["tree"], world["category"], title="帮忙搬米上楼", request_id=str(request_id)
    )
    assert client.post("/manage/needs/new", data=data).status_code == 303
    item = db.session.get(resident_requests.ResidentRequest, request_id)
    assert item.status is RequestStatus.accepted and item.need_id is not None
    auth.logout()
    auth.login(world["volunteer"].phone)
    page = text_of(client.get(f"/requests/{request_id}"))
    assert "帮忙搬米上楼" in page


def test_another_communitys_admin_cannot_decide_a_request(world, client, auth):
    item = resident_requests.submit(
        world["volunteer"].id,
        what="修水管",
        details="",
        when_text="",
        place="1 栋",
        urgency=Urgency.urgent,
        now=utcnow(),
    )
    auth.login(world["other_admin"].phone)
    assert client.get(f"/requests/{item.id}").status_code == 403
    assert (
        client.post(f"/requests/{item.id}/decline", data={"reason": "不归我管"}).status_code == 403
    )
    assert client.get(f"/manage/needs/new?request={item.id}").status_code == 403
    assert (
        db.session.get(resident_requests.ResidentRequest, item.id).status is RequestStatus.submitted
    )


def test_admin_records_a_request_for_a_resident_without_a_phone(world, client, auth):
    auth.login(world["admin"].phone)
    response = client.post(
        "/requests/new?for=resident",
        data={
            "community_id": world["tree"].community_a,
            "resident_name": "李奶奶",
            "resident_building": "3 栋 101",
            "what": "陪同就医",
            "place": "卫生站",
            "urgency": "normal",
        },
    )
    assert response.status_code == 303
    item = db.session.scalar(select(resident_requests.ResidentRequest))
    assert (item.on_behalf, item.resident_name, item.requester_id) == (
        True,
        "李奶奶",
        world["admin"].id,
    )
    auth.logout()
    auth.login(world["volunteer"].phone)
    assert client.get("/requests/new?for=resident").status_code == 403


def test_opening_a_notification_marks_it_read(world, client, auth):
    need = make_need(world["tree"], admin=world["admin"], now=utcnow())
    needs_claims.claim_shift(world["volunteer"].id, need.shifts[0].id, now=utcnow())
    note = db.session.scalar(select(Notification))
    auth.login(world["volunteer"].phone)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == f"/needs/{need.id}"
    assert db.session.get(Notification, note.id).read_at is not None
    auth.logout()
    auth.login(world["admin"].phone)
    assert client.post(f"/notifications/{note.id}/open").status_code == 404  # not theirs


# The check-in and hours settings the page has had since issue 10, at their defaults.
HOURS_SETTINGS = {
    "checkin_opens_minutes": "30",
    "rounding_minutes": "30",
    "auto_confirm_days": "3",
    "manual_hours_earn": "y",
}


def test_settings_set_the_default_rate(world, client, auth):
    auth.login(world["admin"].phone)
    response = client.post(
        "/manage/settings",
        data={
            "points_per_hour": "20",
            "cancel_cutoff_minutes": "60",
            f"rate_{world['category']}": "150",
            **HOURS_SETTINGS,
        },
    )
    assert response.status_code == 303
    assert org_settings.default_points_per_hour(world["tree"].community_a, world["category"]) == 30
    response = client.post(
        "/manage/settings",
        data={
            "points_per_hour": "20",
            "cancel_cutoff_minutes": "60",
            f"rate_{world['category']}": "5",
            **HOURS_SETTINGS,
        },
    )
    assert response.status_code == 422


def test_a_bad_recurring_pattern_is_explained_at_its_field(world, client, auth):
    auth.login(world["admin"].phone)
    first_day = (to_local(utcnow()) + timedelta(days=1)).date().isoformat()
    base = need_form(world["tree"], world["category"])
    page = text_of(
        client.post(
            "/manage/needs/new",
            headers={"HX-Request": "true"},
            data={
                **base,
                "rec_weekdays": ["1"],
                "rec_start": "21:00",
                "rec_end": "19:00",
                "rec_first_day": first_day,
                "rec_weeks": "8",
                "rec_capacity": "4",
                "preview_recurring": "1",
            },
        )
    )
    assert 'id="rec_end-error"' in page and "结束时间必须晚于开始时间" in page
    page = text_of(
        client.post(
            "/manage/needs/new",
            headers={"HX-Request": "true"},
            data={**base, "preview_recurring": "1"},
        )
    )
    assert 'id="rec_first_day-error"' in page


def test_add_a_shift_at_the_limit_is_refused_beside_the_button_with_422(world, client, auth):
    auth.login(world["admin"].phone)
    data = need_form(world["tree"], world["category"], add_shift="1")
    for n in range(2, posting.MAX_SHIFTS):
        data[f"shifts-{n}-starts_at"] = local_input(timedelta(days=2 + n))
        data[f"shifts-{n}-ends_at"] = local_input(timedelta(days=2 + n, hours=1))
        data[f"shifts-{n}-capacity"] = "2"
    response = client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"})
    page = text_of(response)
    assert response.status_code == 422
    assert 'id="shifts-error"' in page and "最多200个时段。" in page
    assert page.count('type="datetime-local"') == 2 * posting.MAX_SHIFTS  # nothing added
    last = posting.MAX_SHIFTS - 1
    assert f'value="{data[f"shifts-{last}-starts_at"]}"' in page  # input kept
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


@pytest.mark.parametrize("action", ["preview_recurring", "add_recurring"])
def test_repeat_weekly_beyond_the_limit_is_refused_at_weeks_with_422(world, client, auth, action):
    auth.login(world["admin"].phone)
    first_day = (to_local(utcnow()) + timedelta(days=1)).date().isoformat()
    data = {
        **need_form(world["tree"], world["category"]),
        "rec_weekdays": [str(day) for day in range(7)],  # every day for 52 weeks: 364 shifts
        "rec_start": "19:00",
        "rec_end": "21:00",
        "rec_first_day": first_day,
        "rec_weeks": "52",
        "rec_capacity": "4",
        action: "1",
    }
    response = client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"})
    page = text_of(response)
    assert response.status_code == 422
    assert 'id="rec_weeks-error"' in page and "最多200个时段" in page
    assert page.count('type="datetime-local"') == 4  # the two rows kept, nothing added
    assert re.search(r'<input[^>]*name="rec_weeks"[^>]*value="52"', page)  # input kept
    assert "19:00–21:00" not in page  # no preview of shifts that cannot be saved


def test_settings_page_sets_check_in_and_hours_rules_audited_old_to_new(world, client, auth):
    community = world["tree"].community_a
    auth.login(world["admin"].phone)
    page = text_of(client.get("/manage/settings"))
    for name, value in [("checkin_opens_minutes", 30), ("rounding_minutes", 30)]:
        assert re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"', page)
    assert "手工录入的时长计积分" in page and 'name="manual_hours_earn"' in page
    data = {
        "points_per_hour": "10",
        "cancel_cutoff_minutes": "120",
        "checkin_opens_minutes": "60",
        "rounding_minutes": "15",
        "auto_confirm_days": "7",
        f"rate_{world['category']}": "100",
        # manual_hours_earn unticked
    }
    assert client.post("/manage/settings", data=data).status_code == 303
    saved = org_settings.community_settings(community)
    assert (
        saved.checkin_opens_minutes,
        saved.rounding_minutes,
        saved.auto_confirm_days,
        saved.manual_hours_earn,
    ) == (60, 15, 7, False)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "community.settings_saved")
    )
    assert event.actor_id == world["admin"].id and event.target_id == community
    assert event.data["before"] == {
        "checkin_opens_minutes": 30,
        "rounding_minutes": 30,
        "auto_confirm_days": 3,
        "manual_hours_earn": True,
    }
    assert event.data["after"] == {
        "checkin_opens_minutes": 60,
        "rounding_minutes": 15,
        "auto_confirm_days": 7,
        "manual_hours_earn": False,
    }
    page = text_of(client.get("/manage/settings"))
    assert re.search(r'<input[^>]*name="rounding_minutes"[^>]*value="15"', page)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("checkin_opens_minutes", "1441"),
        ("rounding_minutes", "0"),
        ("rounding_minutes", "61"),
        ("auto_confirm_days", "0"),
        ("auto_confirm_days", "31"),
        ("rounding_minutes", ""),
    ],
)
def test_settings_out_of_range_are_refused_at_their_field(world, client, auth, name, value):
    auth.login(world["admin"].phone)
    data = {
        "points_per_hour": "10",
        "cancel_cutoff_minutes": "120",
        f"rate_{world['category']}": "100",
        **HOURS_SETTINGS,
    }
    response = client.post("/manage/settings", data={**data, name: value})
    page = text_of(response)
    assert response.status_code == 422
    assert f'id="{name}-error"' in page
    assert re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"', page)  # input kept
    assert db.session.get(CommunitySettings, world["tree"].community_a) is None
    saved = select(AuditEvent).where(AuditEvent.action == "community.settings_saved")
    assert db.session.scalars(saved).all() == []


def test_my_tasks_shows_the_past_in_pages_newest_first_with_whats_ahead_on_each(
    world, client, auth
):
    volunteer = world["volunteer"]
    now = utcnow()
    ahead = make_need(world["tree"], admin=world["admin"], now=now, title="下周巡逻")
    needs_claims.claim_shift(volunteer.id, ahead.shifts[0].id, now=now)
    # 23 past shifts, one a day (posted and claimed the day before each).
    for days in range(23, 0, -1):
        posted = now - timedelta(days=days + 1)
        need = make_need(
            world["tree"], admin=world["admin"], now=posted, title=f"往期{days:02d}天前"
        )
        needs_claims.claim_shift(volunteer.id, need.shifts[0].id, now=posted)
    auth.login(volunteer.phone)

    first = text_of(client.get("/my/tasks"))
    shown = re.findall(r"往期(\d\d)天前", first)
    assert shown == [f"{d:02d}" for d in range(1, 21)]  # the 20 most recent
    assert "下周巡逻" in first
    older = re.search(r'href="(/my/tasks\?before=[0-9.]+)"', first).group(1)

    second = text_of(client.get(older))
    assert re.findall(r"往期(\d\d)天前", second) == ["21", "22", "23"]
    assert "下周巡逻" in second  # what lies ahead is on every page
    assert 'rel="next"' not in second and 'rel="prev"' in second
