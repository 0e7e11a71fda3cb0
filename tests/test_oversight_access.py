"""Oversight admins read their subtree's admin pages (监测调度), and act on none of them.

The admin pages a community admin reads, and what an oversight admin of the street above
gets (``permissions.py``: the ``READ_*`` actions admit the admins of the subtree, the
write actions stay the community admins'):

| page | community admin | oversight admin of the street / district | of another street |
|---|---|---|---|
| needs list ``/manage/needs`` (``?community=``) | acts | reads | 200, without the need |
| a need and its roster ``/manage/needs/<id>`` | acts | reads, phones masked | 403 |
| a shift's attendance and evidence | confirms | reads, phones masked | 403 |
| the request queue ``/requests/review`` and a request | decides | reads | 403 (a request) |
| a volunteer's points and hours | adjusts | reads | 403 |
| a community's projects list and a project | keeps | reads | 403 |
| units' and members' report queues, a member's report | decides | reads | none / 403 |

(Partners, the points economy, units' reporting figures, a unit's report and the area's
resources were already readable by oversight admins; partner decisions are theirs to
make. The audit trail stays the system admin's until the next issue.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from govhub.accounts.models import Role
from govhub.checkin import services as checkin
from govhub.checkin.models import Evidence
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs import resident_requests as requests_service
from govhub.needs.models import Claim, Need, NeedStatus, RequestStatus, ResidentRequest, Urgency
from govhub.points.models import LedgerEntry
from govhub.reporting.models import ReportStatus
from tests.factories import NOW, make_admin, make_need, make_tree, make_user
from tests.public.helpers import make_project
from tests.reporting.rows import member_report


@pytest.fixture
def world(app):
    tree = make_tree()
    admin = make_admin(tree, Role.community_admin, "community_a", name="Alpha Admin")
    volunteer = make_user(tree, name="Xiaoming", phone="13912345678")
    need = make_need(tree, admin=admin, shifts=((1, 2, 5),), now=NOW - timedelta(days=3))
    shift = need.shifts[0]
    claims.claim_shift(volunteer.id, shift.id, now=NOW - timedelta(days=3))
    checkin.check_in(volunteer.id, shift.id, now=shift.starts_at, evidence=Evidence.code_scan)
    checkin.check_out(
        volunteer.id,
        shift.id,
        now=shift.ends_at - timedelta(minutes=5),
        evidence=Evidence.code_scan,
    )
    request = requests_service.submit(
        volunteer.id,
        what="Fix a lamp",
        details="",
        when_text="",
        place="Block 3",
        urgency=Urgency.normal,
        now=NOW,
    )
    project = make_project(tree.community_a, title="Riverside clean-up")
    member = member_report(
        volunteer,
        tree.community_a,
        None,
        confirmed_on=NOW.date(),
        status=ReportStatus.pending,
        employer_name="Tax Bureau",
    )
    return {
        "tree": tree,
        "admin": admin,
        "volunteer": volunteer,
        "need": need,
        "shift": shift,
        "request": request,
        "project": project,
        "member_report": member,
        "street": make_admin(tree, Role.oversight_admin, "street", name="Street Office"),
        "street2": make_admin(tree, Role.oversight_admin, "street2", name="South Office"),
        "district": make_admin(tree, Role.oversight_admin, "district", name="District Office"),
    }


def pages(w) -> dict[str, str]:
    return {
        "needs list": f"/manage/needs?community={w['tree'].community_a}",
        "need and roster": f"/manage/needs/{w['need'].id}",
        "attendance": f"/manage/shifts/{w['shift'].id}/attendance",
        "request queue": f"/requests/review?community={w['tree'].community_a}",
        "request": f"/requests/{w['request'].id}",
        "volunteer": f"/manage/volunteers/{w['volunteer'].id}",
        "projects list": f"/projects/communities/{w['tree'].community_a}",
        "project": f"/projects/{w['project'].id}",
        "units' reports": "/reporting/units/review",
        "members' reports": "/reporting/members/review",
        "a member's report": f"/reporting/members/review/{w['member_report'].id}",
    }


def main_of(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index("<main") : page.index("</main>")]


PAGES = [
    "needs list",
    "need and roster",
    "attendance",
    "request queue",
    "request",
    "volunteer",
    "projects list",
    "project",
    "units' reports",
    "members' reports",
    "a member's report",
]


@pytest.mark.parametrize("who", ["street", "district"])
@pytest.mark.parametrize("name", PAGES)
def test_an_oversight_admin_reads_each_page_with_nothing_to_act_on(client, auth, world, who, name):
    auth.login(world[who].phone)
    response = client.get(pages(world)[name])
    assert response.status_code == 200, name
    main = main_of(response)
    assert '<form method="post"' not in main, name
    assert "13912345678" not in main, name  # the volunteer's phone stays masked


@pytest.mark.parametrize("name", PAGES)
def test_the_community_admin_acts_where_the_oversight_admin_reads(client, auth, world, name):
    auth.login(world["admin"].phone)
    response = client.get(pages(world)[name])
    assert response.status_code == 200, name


@pytest.mark.parametrize(
    "name",
    [
        "need and roster",
        "attendance",
        "request",
        "volunteer",
        "projects list",
        "project",
        "a member's report",
    ],
)
def test_an_oversight_admin_of_another_street_is_refused(client, auth, world, name):
    auth.login(world["street2"].phone)
    assert client.get(pages(world)[name]).status_code == 403, name


def test_the_lists_of_another_street_hold_nothing_of_this_one(client, auth, world):
    auth.login(world["street2"].phone)
    needs = main_of(client.get(f"/manage/needs?community={world['tree'].community_a}"))
    assert world["need"].title not in needs
    queue = main_of(client.get("/requests/review"))
    assert "Fix a lamp" not in queue
    assert "Xiaoming" not in main_of(client.get("/reporting/members/review"))


def test_what_the_oversight_admin_reads(client, auth, world):
    auth.login(world["street"].phone)
    needs = main_of(client.get(f"/manage/needs?community={world['tree'].community_a}"))
    assert world["need"].title in needs and "Alpha Community" in needs
    roster = main_of(client.get(pages(world)["need and roster"]))
    assert "Xiaoming" in roster and "139****5678" in roster
    # Each claimant leads to their points and hours.
    assert f'href="/manage/volunteers/{world["volunteer"].id}"' in roster
    attendance = main_of(client.get(pages(world)["attendance"]))
    assert "Xiaoming" in attendance and "139****5678" in attendance
    assert "Scanned the code" in attendance or "扫码" in attendance  # the evidence
    assert "Fix a lamp" in main_of(client.get(pages(world)["request queue"]))
    assert "Riverside clean-up" in main_of(client.get(pages(world)["projects list"]))
    assert "Xiaoming" in main_of(client.get(pages(world)["members' reports"]))


def test_the_community_admin_sees_whole_phones(client, auth, world):
    auth.login(world["admin"].phone)
    roster = main_of(client.get(pages(world)["need and roster"]))
    assert "13912345678" in roster
    attendance = main_of(client.get(pages(world)["attendance"]))
    assert "13912345678" in attendance


def test_an_oversight_admin_writes_nothing(client, auth, world):
    """Every write of these pages answers 403 to the street office, and changes nothing."""
    w = world
    auth.login(w["street"].phone)
    need, shift = w["need"], w["shift"]
    claim_id = db.session.scalar(db.select(Claim.id))
    writes = [
        f"/manage/needs/{need.id}/close",
        f"/manage/needs/{need.id}/cancel",
        f"/manage/needs/{need.id}/edit",
        f"/manage/claims/{claim_id}/remove",
        f"/manage/shifts/{shift.id}/confirm",
        f"/manage/shifts/{shift.id}/attendance/out",
        f"/manage/shifts/{shift.id}/no-show",
        f"/manage/shifts/{shift.id}/leaders",
        f"/requests/{w['request'].id}/decline",
        f"/manage/volunteers/{w['volunteer'].id}/adjust",
        f"/manage/volunteers/{w['volunteer'].id}/records",
        f"/projects/{w['project'].id}/publish",
        f"/reporting/members/review/{w['member_report'].id}/confirm",
        "/manage/needs/new",
    ]
    for url in writes:
        response = client.post(
            url,
            data={"reason": "oversight", "amount": "50", "volunteer_id": w["volunteer"].id},
        )
        assert response.status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Need, need.id).status is NeedStatus.open
    assert db.session.get(ResidentRequest, w["request"].id).status is RequestStatus.submitted
    assert db.session.scalar(db.select(db.func.count(LedgerEntry.id))) == 0
    # The pages that only act are theirs no more than before.
    for url in (f"/manage/shifts/{shift.id}/checkin", "/manage/needs/new", "/manage/settings"):
        assert client.get(url).status_code in (403, 404), url
