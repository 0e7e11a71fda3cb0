"""Keyset paging, the one way every list that grows without bound is paged.

A page is the ``limit`` rows that follow (or precede) a cursor in the list's order; the
cursor is the sort key of the last (or first) row shown, e.g. ``?before=1234`` or, for a
list sorted by two keys, ``?before=0.1234``. Whether there is a further page is known, not
guessed: one row more than the page is fetched in the direction of travel, and the other
direction is checked with an ``EXISTS``. Rows added while someone pages never shift a page
as ``OFFSET`` would, and the query stays an index range scan however deep the page.

URL parameters: ``before`` continues down the list (the "Older" link of a newest-first
list), ``after`` goes back up ("Newer"). A cursor that is not one is ignored: the first
page, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, and_, literal, or_

from govhub.extensions import db
from govhub.forms import MAX_DB_INT, parse_int

T = TypeVar("T")

PAGE_SIZE = 50


@dataclass
class KeysetPage(Generic[T]):
    items: list[T] = field(default_factory=list)
    # Cursor of the page below this one (``?before=``), None on the last page.
    older: str | None = None
    # Cursor of the page above this one (``?after=``), None on the first page.
    newer: str | None = None
    # A cursor was given but nothing is there (rows removed, an old link): offer the start.
    past_the_end: bool = False

    @property
    def has_more(self) -> bool:
        return self.older is not None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Cursor:
    key: tuple[int, ...]
    # True: the rows below the key (``before``); False: the rows above it (``after``).
    down: bool = True


def parse_cursor(value: str | None, size: int = 1) -> tuple[int, ...] | None:
    """``"12"`` or ``"0.12"`` → the key; anything else (text, negative, huge) → None."""
    parts = (value or "").split(".")
    numbers = [parse_int(part, 0, MAX_DB_INT) if part.isdigit() else None for part in parts]
    if len(numbers) != size or None in numbers:
        return None
    return tuple(n for n in numbers if n is not None)


def cursor_from_request(size: int = 1) -> Cursor | None:
    """The cursor in ``?before=`` or ``?after=`` (``before`` wins), or None."""
    before = parse_cursor(request.args.get("before"), size)
    if before is not None:
        return Cursor(before, down=True)
    after = parse_cursor(request.args.get("after"), size)
    return Cursor(after, down=False) if after is not None else None


def _format(key: Sequence[Any]) -> str:
    return ".".join(str(int(k)) for k in key)


def _beyond(columns: Sequence[Any], key: Sequence[int], *, greater: bool):
    """``columns`` (compared as a row) strictly greater / smaller than ``key``: spelled out
    as ``a > x OR (a = x AND b > y)`` so both databases use the index on each column."""
    clauses = []
    for i, column in enumerate(columns):
        step = column > key[i] if greater else column < key[i]
        clauses.append(and_(*(c == k for c, k in zip(columns[:i], key[:i], strict=True)), step))
    return or_(*clauses)


def keyset_page(
    query: Select,
    columns: Sequence[Any],
    cursor: Cursor | None,
    *,
    descending: bool,
    limit: int = PAGE_SIZE,
    key_of: Callable[[Any], Sequence[int]] | None = None,
    look_back: bool = True,
    rows: bool = False,
) -> KeysetPage:
    """One page of ``query`` (a ``select`` of one entity, without ORDER BY) in the order of
    ``columns`` (a unique key, all ascending or all descending).

    ``key_of(item)`` gives an item's key; by default the attributes named like the columns.
    ``look_back=False`` saves the query for ``newer`` (a "load more" list only goes down).
    ``rows=True``: ``query`` selects several entities or columns, and the items are its
    result rows (label the key columns in the select, and ``key_of`` reads them).
    """
    columns = list(columns)
    if key_of is None:
        names = [column.key for column in columns]

        def key_of(item):
            return tuple(getattr(item, name) for name in names)

    down = cursor is None or cursor.down
    # Moving down a descending list, or up an ascending one, goes to smaller keys.
    towards_smaller = down == descending
    ordered = [c.desc() if towards_smaller else c.asc() for c in columns]
    page_query = query
    if cursor is not None:
        page_query = page_query.where(_beyond(columns, cursor.key, greater=not towards_smaller))
    page_query = page_query.order_by(*ordered).limit(limit + 1)
    result = db.session.execute(page_query) if rows else db.session.scalars(page_query)
    items = list(result.unique())
    further = len(items) > limit
    items = items[:limit]
    if not down:
        items.reverse()
    if not items:
        return KeysetPage([], past_the_end=cursor is not None)

    def any_beyond(item, *, below: bool) -> bool:
        greater = below != descending
        where = _beyond(columns, key_of(item), greater=greater)
        probe = query.where(where).with_only_columns(literal(1), maintain_column_froms=True)
        return db.session.scalar(probe.limit(1)) is not None

    if down:
        has_below = further
        has_above = look_back and cursor is not None and any_beyond(items[0], below=False)
    else:
        has_above = further
        has_below = any_beyond(items[-1], below=True)
    return KeysetPage(
        items,
        older=_format(key_of(items[-1])) if has_below else None,
        newer=_format(key_of(items[0])) if has_above else None,
    )
