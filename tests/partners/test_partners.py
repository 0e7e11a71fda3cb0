from datetime import datetime

from sqlalchemy import func, select

from govhub.accounts.models import Role, User
from govhub.audit.models import AuditEvent
from govhub.database import utcnow
from govhub.extensions import db
from govhub.partners import services
from govhub.partners.models import Partner, PartnerStatus
from tests.factories import make_admin, make_partner, make_tree, make_user, next_phone


def text_of(response) -> str:
    return response.get_data(as_text=True)


def status_of(partner_id: int) -> PartnerStatus:
    return db.session.get(Partner, partner_id).status


def application(tree, **overrides):
    data = {
        "kind": "business",
        "name": "爱心理发店",
        "district_id": tree.district,
        "street_id": tree.street,
        "community_id": tree.community_a,
        "grid_id": "",
        "address": "幸福路 1 号",
        "contact_name": "刘老板",
        "contact_phone": next_phone(),
        "description": "每月为老人免费理发",
    }
    data.update(overrides)
    return data


def test_anyone_can_apply(app, client):
    tree = make_tree()
    response = client.post("/partners/apply", data=application(tree))
    assert response.status_code == 200
    assert "爱心理发店" in text_of(response)
    partner = db.session.scalars(select(Partner)).one()
    assert (partner.status, partner.community_id, partner.owner_id) == (
        PartnerStatus.applied,
        tree.community_a,
        None,
    )


def test_a_logged_in_applicant_becomes_the_owner(app, client, auth):
    tree = make_tree()
    user = make_user(tree)
    auth.login(user.phone)
    assert f'value="{user.phone}"' in text_of(client.get("/partners/apply"))
    client.post("/partners/apply", data=application(tree, contact_phone=user.phone))
    assert db.session.scalars(select(Partner)).one().owner_id == user.id


def test_application_errors_are_shown_at_the_field(app, client):
    tree = make_tree()
    response = client.post("/partners/apply", data=application(tree, name="", contact_phone="123"))
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="name-error"' in page and 'id="contact_phone-error"' in page
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 0


def test_the_same_business_cannot_apply_twice(app, client):
    tree = make_tree()
    client.post("/partners/apply", data=application(tree))
    response = client.post("/partners/apply", data=application(tree))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1


def test_review_queue_is_limited_to_the_admins_subtree(app, client, auth):
    tree = make_tree()
    mine = make_partner(tree, community="community_a", name="Mine")
    other = make_partner(tree, community="community_b", name="Theirs")
    auth.login(make_admin(tree, scope="community_a").phone)
    page = text_of(client.get("/partners/review"))
    assert "Mine" in page and "Theirs" not in page
    assert client.get(f"/partners/{other.id}").status_code == 403
    assert client.get(f"/partners/{mine.id}").status_code == 200


def test_oversight_admin_sees_the_whole_street(app, client, auth):
    tree = make_tree()
    make_partner(tree, community="community_a", name="In A")
    make_partner(tree, community="community_b", name="In B")
    make_partner(tree, community="community_c", name="Elsewhere")
    auth.login(make_admin(tree, role=Role.oversight_admin, scope="street").phone)
    page = text_of(client.get("/partners/review"))
    assert "In A" in page and "In B" in page and "Elsewhere" not in page


def test_volunteers_cannot_review(app, client, auth):
    tree = make_tree()
    partner = make_partner(tree)
    auth.login(make_user(tree).phone)
    assert client.get("/partners/review").status_code == 403
    assert client.get(f"/partners/{partner.id}").status_code == 403
    assert (
        client.post(f"/partners/{partner.id}/decide", data={"decision": "approve"}).status_code
        == 403
    )
    assert status_of(partner.id) is PartnerStatus.applied


def test_approval_makes_the_applicant_staff(app, client, auth):
    tree = make_tree()
    owner = make_user(tree)
    partner = make_partner(tree, owner_id=owner.id)
    admin = make_admin(tree)
    auth.login(admin.phone)
    response = client.post(f"/partners/{partner.id}/decide", data={"decision": "approve"})
    assert response.status_code == 303
    partner = db.session.get(Partner, partner.id)
    assert (partner.status, partner.decided_by_id) == (PartnerStatus.approved, admin.id)
    staff = [(a.role, a.partner_id) for a in db.session.get(User, owner.id).roles if a.partner_id]
    assert staff == [(Role.partner_staff, partner.id)]
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "partner.approved"))
        .one()
        .actor_id
        == admin.id
    )


def test_approval_of_an_anonymous_application_finds_the_contact_account(app):
    tree = make_tree()
    contact = make_user(tree)
    partner = make_partner(tree, contact_phone=contact.phone)
    admin = make_admin(tree)
    services.decide(admin.id, partner.id, approve=True, now=utcnow())
    assert db.session.get(Partner, partner.id).owner_id == contact.id
    assert any(a.role is Role.partner_staff for a in db.session.get(User, contact.id).roles)


def test_rejection_needs_a_reason(app, client, auth):
    tree = make_tree()
    partner = make_partner(tree)
    auth.login(make_admin(tree).phone)
    response = client.post(
        f"/partners/{partner.id}/decide", data={"decision": "reject", "reason": ""}
    )
    assert response.status_code == 422
    assert 'id="reason-error"' in text_of(response)
    assert status_of(partner.id) is PartnerStatus.applied
    response = client.post(
        f"/partners/{partner.id}/decide", data={"decision": "reject", "reason": "不在本社区"}
    )
    assert response.status_code == 303
    partner = db.session.get(Partner, partner.id)
    assert (partner.status, partner.decision_reason) == (PartnerStatus.rejected, "不在本社区")


def test_a_community_admin_cannot_decide_another_communitys_partner(app, client, auth):
    tree = make_tree()
    partner = make_partner(tree, community="community_b")
    auth.login(make_admin(tree, scope="community_a").phone)
    response = client.post(f"/partners/{partner.id}/decide", data={"decision": "approve"})
    assert response.status_code == 403
    assert "无权访问" in text_of(response)
    assert status_of(partner.id) is PartnerStatus.applied
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["partner.approved", "partner.rejected"]))
        )
        == 0
    )


def test_a_decided_application_cannot_be_decided_again(app, client, auth):
    tree = make_tree()
    partner = make_partner(tree)
    auth.login(make_admin(tree).phone)
    client.post(f"/partners/{partner.id}/decide", data={"decision": "reject", "reason": "重复申请"})
    response = client.post(f"/partners/{partner.id}/decide", data={"decision": "approve"})
    assert response.status_code == 422
    assert status_of(partner.id) is PartnerStatus.rejected


def test_html_in_an_application_is_escaped(app, client, auth):
    tree = make_tree()
    partner = make_partner(tree, name="<b>Bold</b>", description="<img src=x onerror=alert(1)>")
    auth.login(make_admin(tree).phone)
    page = text_of(client.get(f"/partners/{partner.id}"))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page


def test_home_page_counts_applications_waiting_in_the_admins_area(app, client, auth):
    tree = make_tree()
    make_partner(tree, community="community_a", name="One")
    make_partner(tree, community="community_a", name="Two")
    make_partner(tree, community="community_b", name="Not mine")
    auth.login(make_admin(tree, scope="community_a").phone)
    page = text_of(client.get("/"))
    waiting = (
        '<span class="waiting-label">共建单位申请</span><strong class="waiting-count">2份</strong>'
    )
    assert waiting in page


def test_a_decision_records_the_moment_the_caller_passes(app):
    tree = make_tree()
    admin = make_admin(tree)
    approved, rejected = make_partner(tree, name="Shop A"), make_partner(tree, name="Shop B")
    when = datetime(2026, 3, 2, 9, 30)
    services.decide(admin.id, approved.id, approve=True, now=when)
    services.decide(admin.id, rejected.id, approve=False, reason="资料不全", now=when)
    assert db.session.get(Partner, approved.id).decided_at == when
    stored = db.session.get(Partner, rejected.id)
    assert (stored.decided_at, stored.decision_reason) == (when, "资料不全")
