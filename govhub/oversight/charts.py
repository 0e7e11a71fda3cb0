"""The dashboard's charts, built from the figures (``govhub.oversight.figures``).

A :class:`Chart` is what one ``<figure>`` shows: the macro ``_macros/charts.html``
``chart(c)`` renders its caption, a ``<div data-chart>`` holding ``c.as_json()`` (drawn
by ``static/js/charts.js`` with the vendored ECharts) and a ``<table>`` of exactly the
same numbers, which is the accessible version and what a page without JavaScript shows.
The numbers are rounded here, once, so the chart and its table cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from flask_babel import gettext as _

import govhub.oversight.figures as fig
from govhub.checkin.models import Evidence
from govhub.oversight.period import Period

# Months of the charts that run by month (ending with the period's last month).
MONTHS = 12
# Child units the ranking shows at most (the table beside it lists the same ones).
RANKING_LIMIT = 20


class Kind(StrEnum):
    line = "line"
    bar = "bar"  # grouped bars, one per series
    stacked = "stacked"  # stacked bars
    ranking = "ranking"  # horizontal bars, largest first
    pie = "pie"


@dataclass
class Series:
    name: str
    values: list[float | int]


@dataclass
class Chart:
    key: str  # the figure's id in the page (chart-<key>)
    kind: Kind
    title: str
    labels: list[str]  # one per category on the axis (a month, a unit, a category)
    series: list[Series] = field(default_factory=list)
    unit: str = ""  # 小时, 分, 个: shown in the tooltip and the table's header
    label_title: str = ""  # the table's first column header (月份, 单位, 类别)

    @property
    def caption(self) -> str:
        """The figure's caption: its title and unit, 「每月服务时长（小时）」."""
        if not self.unit:
            return self.title
        return _("%(title)s (%(unit)s)", title=self.title, unit=self.unit)

    @property
    def empty_text(self) -> str:
        return _("Nothing to show for this period.")

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v for s in self.series for v in s.values)

    def rows(self) -> list[tuple[str, list[float | int]]]:
        """The table's rows: each label with its value in every series."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]

    def as_json(self) -> str:
        """What ``data-chart`` holds (charts.js reads it)."""
        return json.dumps(
            {
                "kind": self.kind.value,
                "title": self.title,
                "labels": self.labels,
                "series": [{"name": s.name, "values": s.values} for s in self.series],
                "unit": self.unit,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


def _hours(minutes: int) -> float:
    """Minutes as hours with one decimal (as ``Figures.hours``)."""
    return round(minutes / 60, 1)


def _month_label(month: date) -> str:
    return Period.month(month).label


def _hour_unit() -> str:
    return _("hours")


def hours_per_month(months: list[fig.Month]) -> Chart:
    return Chart(
        "hours",
        Kind.line,
        _("Hours of service per month"),
        [_month_label(m.month) for m in months],
        [Series(_("Hours"), [_hours(sum(m.minutes_by_evidence.values())) for m in months])],
        _hour_unit(),
        _("Month"),
    )


def evidence_per_month(months: list[fig.Month]) -> Chart:
    return Chart(
        "evidence",
        Kind.stacked,
        _("Hours by how they were recorded, per month"),
        [_month_label(m.month) for m in months],
        [
            Series(str(e.label), [_hours(m.minutes_by_evidence.get(e.value, 0)) for m in months])
            for e in Evidence
        ],
        _hour_unit(),
        _("Month"),
    )


def points_per_month(months: list[fig.Month]) -> Chart:
    return Chart(
        "points",
        Kind.bar,
        _("Points issued and redeemed per month"),
        [_month_label(m.month) for m in months],
        [
            Series(_("Points issued"), [m.points_issued for m in months]),
            Series(_("Points redeemed"), [m.points_redeemed for m in months]),
        ],
        _("points"),
        _("Month"),
    )


def needs_by_category(counts: list[tuple[str, int]]) -> Chart:
    return Chart(
        "categories",
        Kind.pie,
        _("Needs posted by category"),
        [name for name, _count in counts],
        [Series(_("Needs posted"), [count for _name, count in counts])],
        _("needs"),
        _("Category"),
    )


def row_name(row: fig.Row) -> str:
    return row.unit.name if row.unit is not None else _("In no grid")


def ranking(rows: list[fig.Row]) -> Chart:
    """The child units by hours in the period, most first."""
    ranked = sorted(rows, key=lambda r: -r.figures.minutes)[:RANKING_LIMIT]
    return Chart(
        "ranking",
        Kind.ranking,
        _("Child units by hours of service"),
        [row_name(r) for r in ranked],
        [Series(_("Hours"), [_hours(r.figures.minutes) for r in ranked])],
        _hour_unit(),
        _("Child unit"),
    )


def dashboard_charts(
    months: list[fig.Month], categories: list[tuple[str, int]], rows: list[fig.Row]
) -> list[Chart]:
    """The dashboard's charts from its counts (``oversight/snapshot.py``): ``months``, the
    ``MONTHS`` ending with the period's; ``categories``, needs posted by category;
    ``rows``, the breakdown (a grid, which has none, gets no ranking)."""
    charts = [
        hours_per_month(months),
        evidence_per_month(months),
        points_per_month(months),
        needs_by_category(categories),
    ]
    if rows:
        charts.append(ranking(rows))
    return charts
