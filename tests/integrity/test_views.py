"""The review queue and an item's page, as the admins of the subtree see them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from govhub.accounts.models import Role
from govhub.clock import local_date
from govhub.database import utcnow
from govhub.extensions import db
from govhub.integrity import services as integrity
from govhub.integrity.models import ReviewItem, ReviewStatus
from tests.factories import make_admin, make_tree, make_user
from tests.integrity.helpers import by_hand, confirm, past_shift, scanned


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(app):
    tree = make_tree()
    admin = make_admin(tree, name="王书记")
    colleague = make_admin(tree, name="李委员")
    activity = past_shift(tree, admin, people=3, title="送餐上门")
    scanned(activity, activity.people[0])
    scanned(activity, activity.people[1])
    by_hand(activity, activity.people[2], admin, reason="老人没有手机")
    integrity.scan(now=utcnow())
    item = db.session.scalars(select(ReviewItem)).one()
    street = make_admin(tree, role=Role.oversight_admin, scope="street", name="街道办")
    street2 = make_admin(tree, role=Role.oversight_admin, scope="street2", name="南街道办")
    return tree, admin, colleague, street, street2, activity, item


def test_the_street_sees_the_item_explained_with_links_to_the_evidence(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    auth.login(street.phone)
    queue = text_of(client.get(f"/integrity/?unit={tree.street}"))
    assert "送餐上门" in queue and "老人没有手机" in queue and "王书记" in queue
    assert f"/integrity/items/{item.id}" in queue
    page = client.get(f"/integrity/items/{item.id}")
    assert page.status_code == 200
    body = text_of(page)
    assert "老人没有手机" in body
    assert f"/manage/shifts/{activity.shift.id}/attendance" in body  # the evidence
    person = activity.people[2]
    assert person.phone not in body  # oversight sees phones masked
    assert 'value="reject"' in body


def test_the_community_admin_who_entered_it_is_told_someone_else_decides(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    auth.login(admin.phone)
    body = text_of(client.get(f"/integrity/items/{item.id}"))
    assert 'id="review-hands-on"' in body and 'value="reject"' not in body
    response = client.post(
        f"/integrity/items/{item.id}/decide", data={"decision": "clear", "reason": ""}
    )
    assert response.status_code == 422
    assert "had a hand" in text_of(response) or "经手" in text_of(response)
    db.session.expire_all()
    assert db.session.get(ReviewItem, item.id).status is ReviewStatus.pending


def test_a_colleague_rejects_it_with_a_reason(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    auth.login(colleague.phone)
    refused = client.post(
        f"/integrity/items/{item.id}/decide", data={"decision": "reject", "reason": ""}
    )
    assert refused.status_code == 422
    response = client.post(
        f"/integrity/items/{item.id}/decide", data={"decision": "reject", "reason": "当天不在场"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    decided = db.session.get(ReviewItem, item.id)
    assert (decided.status, decided.reason, decided.decided_by_id) == (
        ReviewStatus.rejected,
        "当天不在场",
        colleague.id,
    )
    body = text_of(client.get(f"/integrity/items/{item.id}"))
    assert "当天不在场" in body and "李委员" in body
    trail = text_of(client.get("/admin/audit?category=integrity"))
    assert "当天不在场" in trail and 'data-action="integrity.rejected"' in trail


def test_outside_the_subtree_the_queue_and_the_item_are_refused(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    auth.login(street2.phone)
    assert client.get(f"/integrity/items/{item.id}").status_code == 403
    assert client.get(f"/integrity/?unit={tree.street}").status_code == 403
    assert "送餐上门" not in text_of(client.get("/integrity/"))
    assert (
        client.post(
            f"/integrity/items/{item.id}/decide", data={"decision": "clear", "reason": ""}
        ).status_code
        == 403
    )
    auth.logout()
    auth.login(make_user(tree).phone)
    assert client.get("/integrity/").status_code == 403


def test_the_queue_counts_by_child_unit(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    auth.login(street.phone)
    body = text_of(client.get(f"/integrity/?unit={tree.street}"))
    assert '<span class="figure-value" id="integrity-waiting">1</span>' in body
    assert "Alpha Community" in body and "Beta Community" in body


@pytest.mark.parametrize(
    "query",
    ["?unit=99999999999999999999", "?unit=-3", "?status=%00", "?status=nope", "?before=x"],
)
def test_hostile_queries_are_never_a_server_error(world, client, auth, query):
    tree, admin, *_ = world
    auth.login(admin.phone)
    assert client.get(f"/integrity/{query}").status_code in (200, 400, 404)


def test_confirmation_is_untouched_by_a_cleared_item(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    integrity.decide(street.id, item.id, reject=False, reason=None, now=utcnow())
    confirm(activity, colleague)
    from govhub.points import services as points

    assert points.account(activity.people[2].id).balance == 20


def test_the_dashboard_and_the_monthly_report_carry_the_review_figures(world, client, auth):
    tree, admin, colleague, street, street2, activity, item = world
    auth.login(street.phone)
    dashboard = text_of(client.get(f"/oversight/units/{tree.street}"))
    assert '<span class="figure-value" id="integrity-waiting">1</span>' in dashboard
    assert f"/integrity/?unit={tree.street}" in dashboard
    integrity.decide(street.id, item.id, reject=True, reason="代刷", now=utcnow())
    month = local_date(utcnow()).strftime("%Y-%m")
    report = text_of(client.get(f"/oversight/units/{tree.street}/report?month={month}"))
    assert '<span class="figure-value" id="integrity-rejected">1</span>' in report
    assert '<span class="figure-value" id="integrity-waiting">0</span>' in report
    auth.logout()
    auth.login(street2.phone)
    other = text_of(client.get(f"/oversight/units/{tree.street2}"))
    assert '<span class="figure-value" id="integrity-waiting">0</span>' in other
