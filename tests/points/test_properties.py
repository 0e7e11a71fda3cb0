"""Property: whatever volunteers and admins do, in any order and with any retries, every
cached balance equals its ledger sum and never goes below zero, and a refused debit
writes nothing."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from govhub.database import utcnow
from govhub.extensions import db
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from tests.factories import make_admin, make_tree, make_user

SIGN = {"earn": 1, "refund": 1, "redeem": -1}

operation = st.tuples(
    st.sampled_from(["earn", "adjust+", "adjust-", "redeem", "refund"]),
    st.integers(min_value=1, max_value=120),
    # A small key space, so retries (same key, same content) and reuses (same key, other
    # content) happen often.
    st.integers(min_value=0, max_value=7),
)


def cached(volunteer_id: int) -> tuple[int, int]:
    db.session.expire_all()
    account = db.session.get(PointsAccount, volunteer_id)
    return (account.balance, account.total_minutes) if account else (0, 0)


def ledger(volunteer_id: int) -> tuple[int, int, int]:
    return db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(LedgerEntry.amount), 0),
            func.coalesce(func.sum(LedgerEntry.minutes), 0),
        ).where(LedgerEntry.volunteer_id == volunteer_id)
    ).one()


def test_any_sequence_keeps_balances_equal_to_the_ledger_and_never_negative(app):
    tree = make_tree()
    admin = make_admin(tree)
    volunteers = itertools.count()

    @settings(max_examples=100, deadline=None, database=None)
    @given(st.lists(operation, min_size=1, max_size=25))
    def run(operations):
        volunteer = make_user(tree, name=f"V{next(volunteers)}")
        # What the ledger should hold: written keys and their content, balance, minutes.
        written: dict[str, tuple[int, EntryKind]] = {}
        expected_balance = expected_minutes = 0
        for name, size, slot in operations:
            kind = EntryKind.adjust if name.startswith("adjust") else EntryKind(name)
            amount = -size if name == "adjust-" else size * SIGN.get(name, 1)
            minutes = size * 3 if kind is EntryKind.earn else 0
            key = f"{volunteer.id}:{slot}"
            before = ledger(volunteer.id)
            if key in written and written[key] != (amount, kind):
                outcome = points.KeyReused
            elif key in written:
                outcome = "retry"
            elif expected_balance + amount < 0:
                outcome = points.InsufficientPoints
            else:
                outcome = "written"
            try:
                if kind is EntryKind.adjust:
                    points.adjust(admin.id, volunteer.id, amount, "Property test", key=key)
                else:
                    points.post_entry(volunteer.id, amount, kind, key=key, minutes=minutes)
            except (points.KeyReused, points.InsufficientPoints) as refused:
                assert type(refused) is outcome, (name, size, slot)
                assert ledger(volunteer.id) == before  # a refusal writes nothing
            else:
                assert outcome in ("written", "retry"), (name, size, slot, outcome)
                if outcome == "written":
                    written[key] = (amount, kind)
                    expected_balance += amount
                    expected_minutes += minutes
                else:
                    assert ledger(volunteer.id) == before  # a retry writes nothing
            balance, total_minutes = cached(volunteer.id)
            count, total, ledger_minutes = ledger(volunteer.id)
            assert balance == total == expected_balance
            assert total_minutes == ledger_minutes == expected_minutes
            assert balance >= 0
            assert count == len(written)

    run()
    assert points.audit_ledger(now=utcnow()).mismatches == []
