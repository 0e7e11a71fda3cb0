"""The demo city has what issue 12's "Done when" needs: a unit reported to a community
with a liaison and a resource, party members placed in grids, members above and below the
yearly target, a unit-held need, and working logins for the liaisons."""

from __future__ import annotations

from datetime import date

import pytest
from flask import current_app
from sqlalchemy import func, select

from govhub import demo
from govhub.accounts.models import User
from govhub.checkin.models import Attendance, AttendanceStatus
from govhub.demo import reporting
from govhub.extensions import db
from govhub.needs.models import Claim, Shift, UnitHold
from govhub.partners.models import Partner
from govhub.reporting.models import MemberReport, ReportStatus, UnitReport
from govhub.reporting.terms import counts, is_liaison, reported_units_query
from govhub.resources.models import Resource, ResourceCommitment, ResourceStatus


@pytest.fixture
def seeded(app):
    demo.seed()
    return app


def user(phone: str) -> User:
    return db.session.scalars(select(User).where(User.phone == phone)).one()


def test_units_are_reported_with_a_liaison_and_a_resource(seeded):
    today = date.today()
    reported = db.session.scalars(reported_units_query(today)).all()
    assert {p.name for p in reported} == {"咸安区税务局", "国网咸宁供电公司"}
    tax = next(p for p in reported if p.name == "咸安区税务局")
    report = db.session.scalars(select(UnitReport).where(UnitReport.partner_id == tax.id)).one()
    assert counts(report, today) and report.community.name == "金叶社区"
    assert report.liaison.phone == "13800000040" and is_liaison(report.liaison, tax.id, today)
    assert [r.title for r in report.resources] == ["个税申报咨询"]
    assert report.resources[0].windows  # a weekly window
    pending = db.session.scalars(
        select(UnitReport).where(UnitReport.status == ReportStatus.pending)
    ).all()
    assert [(r.partner.name, r.community.name) for r in pending] == [
        ("国网咸宁供电公司", "金叶社区")
    ]


def test_a_resource_recorded_on_behalf_is_committed_to_a_need(seeded):
    room = db.session.scalars(select(Resource).where(Resource.title == "物业二楼会议室")).one()
    assert room.partner_id is None and room.volunteer_id is None
    assert room.provider == "金叶小区物业服务中心"
    assert (room.remaining, room.status) == (0, ResourceStatus.exhausted)
    commitment = db.session.scalars(
        select(ResourceCommitment).where(ResourceCommitment.resource_id == room.id)
    ).one()
    assert commitment.need.title == "九点伴课堂：晚间作业辅导"


def test_party_members_are_placed_in_grids(seeded):
    reports = db.session.scalars(
        select(MemberReport).where(MemberReport.status == ReportStatus.confirmed)
    ).all()
    placed = {(r.user.name, r.grid.name, r.employer) for r in reports}
    assert placed == {
        ("陈丽华", "金叶二网格", "咸安区税务局"),
        ("刘建国", "南昌路一网格", "国网咸宁供电公司"),
        ("黄志强", "金叶一网格", "咸安区税务局"),
    }
    assert all(counts(r, date.today()) for r in reports)


def test_members_are_above_and_below_the_yearly_target(seeded):
    target = current_app.config["MEMBER_YEARLY_TARGET_HOURS"] * 60

    def confirmed_minutes(phone: str) -> int:
        return db.session.scalar(
            select(func.coalesce(func.sum(Attendance.minutes), 0)).where(
                Attendance.volunteer_id == user(phone).id,
                Attendance.status == AttendanceStatus.confirmed,
            )
        )

    assert confirmed_minutes("13800000011") >= target  # 陈丽华: 56 h and the clean-up
    assert 0 < confirmed_minutes("13800000012") < target  # 刘建国: 16 h
    assert confirmed_minutes("13800000042") == 0  # 黄志强: his held place is still ahead


def test_a_unit_holds_places_of_a_shift_and_a_member_took_one(seeded):
    hold = db.session.scalars(select(UnitHold)).one()
    assert hold.partner.name == "咸安区税务局" and (hold.places, hold.used) == (3, 1)
    claim = db.session.scalars(select(Claim).where(Claim.unit_hold_id == hold.id)).one()
    assert claim.volunteer.phone == "13800000042"
    shift = db.session.get(Shift, hold.shift_id)
    # The held places count in the shift's claimed places; the member's claim adds none.
    others = db.session.scalar(
        select(func.count()).where(
            Claim.shift_id == shift.id, Claim.status == "confirmed", Claim.unit_hold_id.is_(None)
        )
    )
    assert shift.claimed == others + hold.places


def test_the_liaisons_log_in_and_their_units_are_theirs(seeded, runner, client, auth):
    for phone, _name, _grid, unit in reporting.LIAISONS:
        auth.logout()
        assert auth.login(phone, reporting.LIAISON_PASSWORD).status_code == 303
        partner = db.session.scalars(select(Partner).where(Partner.name == unit)).one()
        assert client.get(f"/workbench/shop/{partner.id}").status_code == 200
    assert (
        "13800000040" in demo.logins_table() and reporting.LIAISON_PASSWORD in demo.logins_table()
    )


def test_seeding_twice_adds_nothing(seeded):
    assert not demo.seed()


def test_the_last_quarters_service_cards_are_issued_for_the_liaisons_to_print(seeded):
    """The reports were confirmed early in the last quarter that ended and the members
    served in its last days, so its cards are issued: 陈丽华's 56 hours are on target,
    刘建国's 16 and 黄志强's none below it, and each unit's liaison may open its members'
    cards."""
    from govhub.permissions import Action, can
    from govhub.reporting.cards import last_ended_quarter
    from govhub.reporting.models import ServiceCard

    year, quarter = last_ended_quarter(date.today())
    cards = {
        card.user.name: card
        for card in db.session.scalars(
            select(ServiceCard).where(ServiceCard.year == year, ServiceCard.quarter == quarter)
        )
    }
    assert set(cards) == {"陈丽华", "刘建国", "黄志强"}
    chen, liu = cards["陈丽华"], cards["刘建国"]
    assert (chen.quarter_minutes, chen.on_target) == (56 * 60, True)
    assert (liu.quarter_minutes, liu.on_target) == (16 * 60, False)
    assert (cards["黄志强"].quarter_minutes, cards["黄志强"].on_target) == (0, False)
    assert can(user("13800000040"), Action.VIEW_SERVICE_CARD, chen)
    assert can(user("13800000041"), Action.VIEW_SERVICE_CARD, liu)
    assert not can(user("13800000040"), Action.VIEW_SERVICE_CARD, liu)
