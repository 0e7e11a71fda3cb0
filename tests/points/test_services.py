"""The points ledger, star levels, history, service records and leaderboards."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import IntegrityError

from govhub.audit.models import AuditEvent
from govhub.checkin.models import Evidence
from govhub.clock import to_utc
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.points import leaderboard as boards
from govhub.points import records
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerAudit, LedgerEntry, PointsAccount, ServiceRecord
from tests.factories import NOW, make_admin, make_tree, make_user
from tests.points.helpers import balance, earn, entry_count, redeem, serve


@pytest.fixture
def world(app):
    tree = make_tree()
    return tree, make_admin(tree, name="王书记"), make_user(tree, name="张晓明")


# --- Star level ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "stars"),
    [
        (0, 0),
        (99 * 60 + 59, 0),
        (100 * 60, 1),
        (299 * 60 + 59, 1),
        (300 * 60, 2),
        (600 * 60 - 1, 2),
        (600 * 60, 3),
        (1000 * 60, 4),
        (1500 * 60 - 1, 4),
        (1500 * 60, 5),
        (10_000 * 60, 5),
    ],
)
def test_star_level_at_the_thresholds(app, minutes, stars):
    assert points.star_level(minutes) == stars


def test_hours_to_the_next_star(app):
    assert points.hours_to_next_star(0) == 100
    assert points.hours_to_next_star(99 * 60 + 59) == 0.1  # one minute, rounded up
    assert points.hours_to_next_star(100 * 60) == 200
    assert points.hours_to_next_star(1499 * 60 + 30) == 0.5
    assert points.hours_to_next_star(1500 * 60) is None


@pytest.mark.app_config(STAR_THRESHOLDS_HOURS=(10, 20))
def test_star_thresholds_come_from_the_configuration(app):
    assert points.star_level(10 * 60) == 1
    assert points.star_level(20 * 60) == 2
    assert points.max_stars() == 2


# --- post_entry ----------------------------------------------------------------------


def test_the_same_key_twice_writes_one_entry_and_moves_the_balance_once(world):
    _tree, _admin, volunteer = world
    first = points.post_entry(volunteer.id, 30, EntryKind.earn, key="k1", ref=("attendance", 7))
    again = points.post_entry(volunteer.id, 30, EntryKind.earn, key="k1", ref=("attendance", 7))
    assert again.id == first.id
    assert entry_count(volunteer.id) == 1
    assert balance(volunteer.id) == 30 == points.ledger_sum(volunteer.id)


def test_the_same_key_with_another_amount_is_refused(world):
    _tree, _admin, volunteer = world
    points.post_entry(volunteer.id, 30, EntryKind.earn, key="k1")
    with pytest.raises(points.KeyReused):
        points.post_entry(volunteer.id, 40, EntryKind.earn, key="k1")
    with pytest.raises(points.KeyReused):
        points.post_entry(volunteer.id, 30, EntryKind.refund, key="k1")
    assert entry_count(volunteer.id) == 1
    assert balance(volunteer.id) == 30


def test_a_debit_larger_than_the_balance_is_refused_and_writes_nothing(world):
    _tree, _admin, volunteer = world
    earn(volunteer.id, 20)
    with pytest.raises(points.InsufficientPoints):
        points.post_entry(volunteer.id, -21, EntryKind.redeem, key="r1")
    assert entry_count(volunteer.id) == 1
    assert balance(volunteer.id) == 20
    assert db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == "r1")) is None
    # The whole balance may be spent.
    points.post_entry(volunteer.id, -20, EntryKind.redeem, key="r2")
    assert balance(volunteer.id) == 0 == points.ledger_sum(volunteer.id)


def test_the_database_refuses_a_negative_balance_written_directly(world):
    _tree, _admin, volunteer = world
    earn(volunteer.id, 5)
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(PointsAccount)
            .where(PointsAccount.volunteer_id == volunteer.id)
            .values(balance=-1)
        )
        db.session.flush()
    db.session.rollback()
    assert balance(volunteer.id) == 5


def test_post_entry_stamps_the_given_time(world):
    _tree, _admin, volunteer = world
    entry = earn(volunteer.id, 5, now=NOW)
    assert entry.created_at == NOW


# --- adjust --------------------------------------------------------------------------


def test_an_adjustment_needs_a_reason_and_is_audited(world):
    _tree, admin, volunteer = world
    with pytest.raises(ServiceError) as refused:
        points.adjust(admin.id, volunteer.id, 10, "  ", key="a1")
    assert refused.value.field == "reason"
    with pytest.raises(ServiceError) as refused:
        points.adjust(admin.id, volunteer.id, 10, "x" * 501, key="a1")
    assert refused.value.field == "reason"
    assert entry_count() == 0

    entry = points.adjust(admin.id, volunteer.id, 10, "Helped at the flood drill", key="a1")
    assert (entry.amount, entry.kind, entry.actor_id) == (10, EntryKind.adjust, admin.id)
    assert entry.reason == "Helped at the flood drill"
    event_ = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "points.adjusted")
    ).one()
    assert (event_.actor_id, event_.target_id, event_.reason) == (
        admin.id,
        volunteer.id,
        "Helped at the flood drill",
    )
    assert event_.data["amount"] == 10


def test_a_repeated_adjustment_writes_neither_entry_nor_audit_event_twice(world):
    _tree, admin, volunteer = world
    points.adjust(admin.id, volunteer.id, 10, "Bonus", key="a1")
    points.adjust(admin.id, volunteer.id, 10, "Bonus", key="a1")
    assert entry_count(volunteer.id) == 1
    assert balance(volunteer.id) == 10
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "points.adjusted"))
    assert len(events.all()) == 1


def test_a_deduction_beyond_the_balance_is_refused_at_the_amount(world):
    _tree, admin, volunteer = world
    earn(volunteer.id, 15)
    with pytest.raises(points.InsufficientPoints) as refused:
        points.adjust(admin.id, volunteer.id, -16, "Correction", key="a1")
    assert refused.value.field == "amount"
    assert "15" in refused.value.message
    assert balance(volunteer.id) == 15
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "points.adjusted")) is None
    )


# --- audit_ledger --------------------------------------------------------------------


def test_the_audit_finds_no_mismatch_normally(world):
    tree, admin, volunteer = world
    other = make_user(tree)
    earn(volunteer.id, 50, minutes=300)
    redeem(volunteer.id, 20)
    earn(other.id, 10)
    run = points.audit_ledger(now=NOW)
    assert run.accounts_checked == 2
    assert run.mismatches == []


def test_the_audit_records_a_corrupted_cached_balance(world):
    _tree, _admin, volunteer = world
    earn(volunteer.id, 50, minutes=300)
    db.session.execute(
        text("UPDATE points_account SET balance = balance + 7 WHERE volunteer_id = :id"),
        {"id": volunteer.id},
    )
    db.session.commit()
    run = points.audit_ledger(now=NOW)
    assert run.mismatches == [
        {
            "volunteer_id": volunteer.id,
            "balance": 57,
            "ledger": 50,
            "minutes": 300,
            "ledger_minutes": 300,
        }
    ]
    assert [r.id for r in points.audit_runs()] == [run.id]
    assert db.session.get(LedgerAudit, run.id).mismatches[0]["balance"] == 57


# --- Confirmed service, summary and history -------------------------------------------


def test_confirmed_service_earns_points_and_hours(world):
    tree, admin, volunteer = world
    attendance = serve(tree, volunteer, admin, hours=3)
    assert attendance.minutes == 180
    summary = points.summary(volunteer.id)
    assert (summary.balance, summary.total_minutes, summary.stars) == (30, 180, 0)
    assert summary.hours_to_next == 97


def test_history_says_what_each_entry_was_for_newest_first(world):
    tree, admin, volunteer = world
    attendance = serve(tree, volunteer, admin, title="Sweep the park")
    points.adjust(admin.id, volunteer.id, 5, "Brought tea", key="a1")
    page = points.history(volunteer.id)
    assert [row.entry.kind for row in page.rows] == [EntryKind.adjust, EntryKind.earn]
    adjusted, earned = page.rows
    assert (adjusted.entry.reason, adjusted.actor_name) == ("Brought tea", "王书记")
    assert earned.attendance.id == attendance.id
    assert earned.attendance.shift.need.title == "Sweep the park"
    assert earned.attendance.check_in_evidence is Evidence.code_scan
    assert page.next_before is None


def test_history_pages_continue_below_the_last_entry(world):
    _tree, _admin, volunteer = world
    for n in range(1, 6):
        earn(volunteer.id, n)
    first = points.history(volunteer.id, per_page=2)
    assert [r.entry.amount for r in first.rows] == [5, 4]
    second = points.history(volunteer.id, before=first.next_before, per_page=2)
    assert [r.entry.amount for r in second.rows] == [3, 2]
    last = points.history(volunteer.id, before=second.next_before, per_page=2)
    assert [r.entry.amount for r in last.rows] == [1]
    assert last.next_before is None


def count_selects(fn) -> int:
    statements = []

    def before(*args):
        if args[2].lstrip().upper().startswith("SELECT"):
            statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_history_makes_the_same_few_queries_whatever_the_page_holds(world):
    tree, admin, volunteer = world
    serve(tree, volunteer, admin, at=NOW - timedelta(days=5))
    points.adjust(admin.id, volunteer.id, 5, "One", key="a1")

    volunteer_id = volunteer.id

    def read(per_page):
        def run():
            db.session.expire_all()
            page = points.history(volunteer_id, per_page=per_page)
            for row in page.rows:  # what the template touches
                if row.attendance:
                    _ = row.attendance.shift.need.title, row.attendance.shift.need.community.name
            db.session.rollback()

        return run

    two_rows = count_selects(read(2))
    for n in range(4):
        serve(tree, volunteer, admin, at=NOW - timedelta(days=10 + n))
        points.adjust(admin.id, volunteer.id, 1, f"Bonus {n}", key=f"b{n}")
    # The entries, their attendances (with shifts and needs), the actors' names.
    assert count_selects(read(20)) == two_rows == 3


# --- Service records -----------------------------------------------------------------


def test_a_record_lists_every_confirmed_activity_with_minutes(world):
    tree, admin, volunteer = world
    serve(tree, volunteer, admin, at=NOW - timedelta(days=10), title="First", hours=2)
    serve(tree, volunteer, admin, at=NOW - timedelta(days=3), title="Second", hours=3)
    record = records.issue_record(admin.id, volunteer.id, key="f" * 32, now=NOW)
    assert record.number == f"GH-2026-{record.id:06d}"
    assert record.total_minutes == 300
    assert [a["title"] for a in record.activities] == ["First", "Second"]
    assert record.activities[0]["minutes"] == 120
    assert record.activities[0]["evidence"] == "code_scan"
    assert record.activities[0]["community"] == "Alpha Community"
    assert record.activities[0]["date"] == (NOW - timedelta(days=10)).date().isoformat()
    assert (record.community_id, record.issued_by_id) == (tree.community_a, admin.id)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "record.issued"))


def test_issuing_twice_with_the_same_key_issues_one_record(world):
    tree, admin, volunteer = world
    serve(tree, volunteer, admin)
    first = records.issue_record(admin.id, volunteer.id, key="a" * 32, now=NOW)
    again = records.issue_record(admin.id, volunteer.id, key="a" * 32, now=NOW)
    assert first.id == again.id
    assert len(db.session.scalars(select(ServiceRecord)).all()) == 1


def test_no_record_without_confirmed_service(world):
    _tree, admin, volunteer = world
    earn(volunteer.id, 10)  # points without service
    with pytest.raises(ServiceError):
        records.issue_record(admin.id, volunteer.id, key="b" * 32, now=NOW)


def test_a_record_number_uses_the_local_year(world):
    tree, admin, volunteer = world
    serve(tree, volunteer, admin, at=datetime(2026, 12, 20, 2, 0))
    # 31 Dec 17:00 UTC is already 1 January in Shanghai.
    record = records.issue_record(
        admin.id, volunteer.id, key="c" * 32, now=datetime(2026, 12, 31, 17, 0)
    )
    assert record.number.startswith("GH-2027-")


# --- Leaderboards --------------------------------------------------------------------


def test_period_start_in_local_time(app):
    # 1 March 2027 01:00 in Shanghai is 28 February 17:00 UTC.
    now = datetime(2027, 2, 28, 17, 0)
    assert boards.period_start(boards.Period.month, now) == to_utc(datetime(2027, 3, 1))
    assert boards.period_start(boards.Period.year, now) == to_utc(datetime(2027, 1, 1))
    assert boards.period_start(boards.Period.all, now) is None


def test_the_leaderboard_ranks_by_points_earned_not_balance(world):
    tree, _admin, volunteer = world
    rich = make_user(tree, name="Rich")
    spender = make_user(tree, name="Spender")
    earn(rich.id, 100, now=NOW)
    earn(spender.id, 300, now=NOW)
    redeem(spender.id, 290, now=NOW)
    earn(volunteer.id, 50, now=NOW)
    board = boards.board(
        volunteer, boards.Scope.community, boards.Period.month, boards.Metric.points, now=NOW
    )
    assert [(r.rank, r.name, r.value) for r in board.rows] == [
        (1, "Spender", 300),
        (2, "Rich", 100),
        (3, "张晓明", 50),
    ]
    assert (board.me.rank, board.me.value, board.ranked) == (3, 50, 3)


def test_the_viewer_sees_their_rank_outside_the_top(world):
    tree, _admin, volunteer = world
    for n in range(5):
        earn(make_user(tree, name=f"V{n}").id, 100 + n, minutes=600 + n, now=NOW)
    earn(volunteer.id, 1, minutes=30, now=NOW)
    board = boards.board(
        volunteer, boards.Scope.community, boards.Period.all, boards.Metric.hours, now=NOW, top=3
    )
    assert [r.name for r in board.rows] == ["V4", "V3", "V2"]
    assert (board.me.rank, board.me.value, board.ranked) == (6, 30, 6)


def test_leaderboard_scopes_and_periods(world):
    tree, _admin, volunteer = world
    neighbour = make_user(tree, community="community_b", grid="grid_b1", name="Neighbour")
    far = make_user(tree, community="community_c", grid=None, name="Far")
    last_year = datetime(2025, 6, 1, 2, 0)
    last_month = datetime(2026, 11, 10, 2, 0)
    earn(volunteer.id, 10, minutes=60, now=NOW)
    earn(volunteer.id, 100, minutes=600, now=last_year)
    earn(neighbour.id, 40, minutes=240, now=NOW)
    earn(neighbour.id, 40, minutes=240, now=last_month)
    earn(far.id, 999, minutes=9990, now=NOW)

    def ranking(scope, period, metric=boards.Metric.hours):
        board = boards.board(volunteer, scope, period, metric, now=NOW)
        return [(r.name, r.value) for r in board.rows]

    assert ranking(boards.Scope.community, boards.Period.month) == [("张晓明", 60)]
    assert ranking(boards.Scope.street, boards.Period.month) == [("Neighbour", 240), ("张晓明", 60)]
    assert ranking(boards.Scope.street, boards.Period.year) == [("Neighbour", 480), ("张晓明", 60)]
    assert ranking(boards.Scope.street, boards.Period.all) == [("张晓明", 660), ("Neighbour", 480)]
    assert ranking(boards.Scope.street, boards.Period.all, boards.Metric.points) == [
        ("张晓明", 110),
        ("Neighbour", 80),
    ]
