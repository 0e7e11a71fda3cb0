"""Inviting volunteers to a shift, and their answers: accepting claims under every claim
rule (capacity, overlap, started), declining tells the inviter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from govhub.database import ServiceError
from govhub.extensions import db
from govhub.matching import invitations
from govhub.matching.models import InvitationStatus
from govhub.needs import claims
from govhub.needs.models import Claim, ClaimStatus
from govhub.notifications.models import Notification
from tests.factories import NOW, make_admin, make_need, make_tree, make_user
from tests.matching.helpers import invitation_of, invite

MAY_SEE = "(may see this need|可以看到)"


@pytest.fixture
def w(app):
    tree = make_tree()
    admin = make_admin(tree)
    need = make_need(tree, admin=admin, shifts=((1, 2, 1), (1, 3, 5), (3, 2, 5)))
    return tree, admin, need


def kinds(user):
    return [
        n.kind
        for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))
    ]


def test_invite_writes_one_pending_invitation_each_and_notifies(w):
    tree, admin, need = w
    a, b = make_user(tree, name="A"), make_user(tree, name="B")
    result = invite(
        admin, need.shifts[0], a, b, message="We need you", reasons={a.id: ["同一社区", "党员"]}
    )
    assert len(result.invited) == 2 and result.skipped == 0
    inv = invitation_of(need.shifts[0], a)
    assert inv.status is InvitationStatus.pending and inv.message == "We need you"
    assert inv.reasons == ["同一社区", "党员"] and inv.invited_by_id == admin.id
    assert invitation_of(need.shifts[0], b).reasons == []
    assert "invitation_received" in kinds(a) and "invitation_received" in kinds(b)


def test_a_double_submit_writes_nothing_twice_and_claimed_people_are_skipped(w):
    tree, admin, need = w
    a, b = make_user(tree), make_user(tree)
    shift = need.shifts[1]
    claims.claim_shift(b.id, shift.id, now=NOW)
    first = invite(admin, shift, a, b)
    assert [i.volunteer_id for i in first.invited] == [a.id]
    assert first.already_claimed == [b.id]
    again = invite(admin, shift, a, b)
    assert again.invited == [] and again.already_invited == [a.id]
    assert kinds(a).count("invitation_received") == 1


def test_invite_refuses_started_shifts_too_many_and_people_who_cannot_see_the_need(w):
    tree, admin, need = w
    outsider = make_user(tree, community="community_c", grid=None)
    with pytest.raises(ServiceError, match=MAY_SEE):
        invite(admin, need.shifts[0], outsider)
    with pytest.raises(ServiceError, match="已经开始"):
        invite(admin, need.shifts[0], make_user(tree), now=need.shifts[0].starts_at)
    with pytest.raises(ServiceError, match="50"):
        invitations.invite(admin.id, need.shifts[0].id, list(range(1, 52)), key="k", now=NOW)


def test_accept_claims_the_place(w):
    tree, admin, need = w
    a = make_user(tree)
    invite(admin, need.shifts[1], a)
    inv = invitation_of(need.shifts[1], a)
    invitations.accept(a.id, inv.id, now=NOW)
    db.session.refresh(inv)
    assert inv.status is InvitationStatus.accepted
    assert inv.claim.status is ClaimStatus.confirmed and inv.claim.volunteer_id == a.id
    # a double tap changes nothing: one claim, the same one
    claim_id = inv.claim_id
    invitations.accept(a.id, inv.id, now=NOW)
    db.session.refresh(inv)
    assert inv.claim_id == claim_id
    assert (
        db.session.scalar(select(func.count()).select_from(Claim).where(Claim.volunteer_id == a.id))
        == 1
    )


def test_accepting_a_full_shift_offers_the_waiting_list(w):
    tree, admin, need = w
    shift = need.shifts[0]  # one place
    a, b = make_user(tree), make_user(tree)
    invite(admin, shift, a, b)
    invitations.accept(a.id, invitation_of(shift, a).id, now=NOW)
    inv_b = invitation_of(shift, b)
    with pytest.raises(claims.ClaimRefused) as refused:
        invitations.accept(b.id, inv_b.id, now=NOW)
    assert refused.value.can_waitlist
    db.session.refresh(inv_b)
    assert inv_b.status is InvitationStatus.pending
    invitations.accept(b.id, inv_b.id, waitlist=True, now=NOW)
    db.session.refresh(inv_b)
    assert inv_b.status is InvitationStatus.accepted
    assert inv_b.claim.status is ClaimStatus.waitlisted


def test_an_overlapping_claim_refuses_with_the_claim_rules_message_and_stays_pending(w):
    tree, admin, need = w
    a = make_user(tree)
    claims.claim_shift(a.id, need.shifts[0].id, now=NOW)  # overlaps shifts[1]
    invite(admin, need.shifts[1], a)
    inv = invitation_of(need.shifts[1], a)
    with pytest.raises(claims.ClaimRefused, match="时间冲突"):
        invitations.accept(a.id, inv.id, now=NOW)
    db.session.refresh(inv)
    assert inv.status is InvitationStatus.pending


def test_after_the_start_the_invitation_lapses_and_cannot_be_accepted(w):
    tree, admin, need = w
    a = make_user(tree)
    shift = need.shifts[2]
    invite(admin, shift, a)
    inv = invitation_of(shift, a)
    later = shift.starts_at + timedelta(minutes=1)
    with pytest.raises(ServiceError, match="已经开始"):
        invitations.accept(a.id, inv.id, now=later)
    assert invitations.shown_status(inv, later) is InvitationStatus.lapsed
    assert invitations.shown_status(inv, NOW) is InvitationStatus.pending
    assert invitations.for_shift(shift.id, later) == {a.id: InvitationStatus.lapsed}


def test_a_closed_need_refuses_the_accept(w):
    tree, admin, need = w
    from govhub.needs import posting

    a = make_user(tree)
    invite(admin, need.shifts[2], a)
    inv = invitation_of(need.shifts[2], a)
    posting.close(admin.id, need.id)
    with pytest.raises(ServiceError, match="不能认领"):
        invitations.accept(a.id, inv.id, now=NOW)


def test_decline_tells_the_inviter_and_inviting_again_reuses_the_row(w):
    tree, admin, need = w
    a = make_user(tree, name="Xiao Wang")
    shift = need.shifts[1]
    invite(admin, shift, a)
    inv = invitation_of(shift, a)
    with pytest.raises(ServiceError):
        invitations.decline(a.id, inv.id, "x" * 501, now=NOW)
    invitations.decline(a.id, inv.id, "Away that day", now=NOW)
    db.session.refresh(inv)
    assert inv.status is InvitationStatus.declined and inv.reason == "Away that day"
    note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == admin.id, Notification.kind == "invitation_declined"
        )
    )
    assert note.params["name"] == "Xiao Wang" and note.params["reason"] == "Away that day"
    again = invite(admin, shift, a)
    assert [i.id for i in again.invited] == [inv.id]
    assert invitation_of(shift, a).status is InvitationStatus.pending


def test_someone_else_cannot_answer_and_withdrawn_cannot_be_accepted(w):
    tree, admin, need = w
    a, b = make_user(tree), make_user(tree)
    invite(admin, need.shifts[1], a)
    inv = invitation_of(need.shifts[1], a)
    with pytest.raises(ServiceError):
        invitations.accept(b.id, inv.id, now=NOW)
    invitations.withdraw(admin.id, inv.id, now=NOW)
    with pytest.raises(ServiceError):
        invitations.accept(a.id, inv.id, now=NOW)


def test_mine_lists_pending_first(w):
    tree, admin, need = w
    a = make_user(tree)
    invite(admin, need.shifts[1], a)
    invite(admin, need.shifts[2], a)
    first = invitation_of(need.shifts[1], a)
    invitations.decline(a.id, first.id, "", now=NOW)
    mine = invitations.mine(a.id, NOW)
    assert [i.shift_id for i in mine] == [need.shifts[2].id, need.shifts[1].id]
    assert invitations.pending_count(a.id, NOW) == 1
