"""The oversight dashboard (监测调度) and the monthly report.

``/oversight/`` sends a viewer to the dashboard of the unit they oversee (or lists them,
when several); ``/oversight/units/<id>`` is one unit's subtree for a period named in the
URL (``govhub/oversight/period.py``), broken down one level down the tree, with charts.
An htmx request (the period form, the sort links) gets ``_dashboard.html`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import govhub.oversight.figures as fig
from govhub import htmx, permissions
from govhub.checkin.models import Evidence
from govhub.clock import local_today
from govhub.extensions import db
from govhub.integrity import services as integrity
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.oversight import charts, snapshot
from govhub.oversight.forms import PeriodForm
from govhub.oversight.period import Parsed, Period, parse
from govhub.permissions import Action

bp = Blueprint("oversight", __name__, url_prefix="/oversight")


@bp.after_request
def _private(response):
    """These pages are about people's service in an area: never kept by a cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class Column:
    """A column of the breakdown table, and the key it sorts by."""

    key: str
    label: str
    value: Callable[[fig.Figures], int | float | None]

    def of(self, figures: fig.Figures) -> int | float | None:
        return self.value(figures)


COLUMNS = [
    Column("needs_posted", _l("Needs posted"), lambda f: f.needs_posted),
    Column("fill_rate", _l("Fill rate"), lambda f: f.fill_rate),
    Column("volunteers_active", _l("Active volunteers"), lambda f: f.volunteers_active),
    Column("hours", _l("Hours"), lambda f: f.hours),
    Column("points_issued", _l("Points issued"), lambda f: f.points_issued),
    Column("requests_overdue", _l("Requests overdue"), lambda f: f.requests_overdue),
    Column("satisfaction_rate", _l("Satisfaction"), lambda f: f.satisfaction_rate),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
# The query arguments of a dashboard's address: its period and the table's order.
URL_ARGS = ("period", "month", "quarter", "year", "from", "to", "sort", "dir")


@dataclass
class Sort:
    key: str  # "name" or a column key
    descending: bool

    @classmethod
    def from_args(cls, args) -> Sort:
        """The table's order from ``?sort=...&dir=...``; anything unknown: by name."""
        key = args.get("sort", "")
        if key not in COLUMN_BY_KEY:
            return cls("name", args.get("dir") == "desc")
        return cls(key, args.get("dir") != "asc")

    def args(self) -> dict[str, str]:
        return (
            {}
            if self.key == "name" and not self.descending
            else {
                "sort": self.key,
                "dir": "desc" if self.descending else "asc",
            }
        )

    def toggled(self, key: str) -> dict[str, str]:
        """The arguments of a header's link: its column, largest first (a second click on
        the sorted column turns the order round; names: A to Z first)."""
        if key == self.key:
            return {"sort": key, "dir": "asc" if self.descending else "desc"}
        return {"sort": key, "dir": "asc" if key == "name" else "desc"}


def sort_rows(rows: list[fig.Row], sort: Sort) -> list[fig.Row]:
    """The rows in ``sort``'s order; a figure that is None (no fill rate, no ratings)
    sorts last either way."""
    if sort.key == "name":
        ordered = sorted(rows, key=lambda r: r.unit.code if r.unit is not None else "\uffff")
        return ordered[::-1] if sort.descending else ordered
    column = COLUMN_BY_KEY[sort.key]
    known = [r for r in rows if column.of(r.figures) is not None]
    unknown = [r for r in rows if column.of(r.figures) is None]
    known.sort(key=lambda r: column.of(r.figures) or 0, reverse=sort.descending)
    return known + unknown


def lagging(rows: list[fig.Row]) -> set[int]:
    """Indexes (into ``rows``) of the rows to mark: the lowest fill rate and the most
    requests overdue, when the rows differ at all."""
    marked: set[int] = set()
    rates = [
        (r.figures.fill_rate, i) for i, r in enumerate(rows) if r.figures.fill_rate is not None
    ]
    if len(rates) > 1 and min(rates)[0] < max(rates)[0]:
        lowest = min(rates)[0]
        marked |= {i for rate, i in rates if rate == lowest}
    overdue = [r.figures.requests_overdue for r in rows]
    if overdue and max(overdue) > 0:
        marked |= {i for i, n in enumerate(overdue) if n == max(overdue)}
    return marked


def _unit_or_404(unit_id: int) -> OrgUnit:
    return permissions.get_or_403(OrgUnit, unit_id, Action.VIEW_DASHBOARD)


def _breadcrumb(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors whose dashboards the viewer may open, root first."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    found = {u.id: u for u in db.session.scalars(db.select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [
        found[i]
        for i in ids
        if i in found and permissions.can(current_user, Action.VIEW_DASHBOARD, found[i])
    ]


@bp.get("/")
@login_required
def index():
    """The viewer's dashboard: the one unit they oversee, or a list of them."""
    units = permissions.dashboard_units(current_user)
    if not units:
        abort(403)
    if len(units) == 1:
        # The period (and order) asked for, kept on the way.
        kept = {k: v for k, v in request.args.items() if k in URL_ARGS}
        args: dict[str, Any] = {**kept, "unit_id": units[0].id}
        return redirect(url_for("oversight.unit", **args))
    return render_template("oversight/choose.html", units=units)


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int):
    """One unit's dashboard for the period in the URL."""
    chosen = _unit_or_404(unit_id)
    parsed: Parsed = parse(request.args, local_today())
    period = parsed.period
    sort = Sort.from_args(request.args)
    counted = snapshot.dashboard(chosen, period)
    rows = snapshot.rows_of(chosen, counted)
    ordered = sort_rows(rows, sort)
    community = _community_of(chosen)
    response = htmx.render(
        "oversight/dashboard.html",
        "oversight/_dashboard.html",
        unit=chosen,
        parsed=parsed,
        period=period,
        form=PeriodForm.showing(period, parsed.error),
        earlier=period.shifted(-1),
        later=period.shifted(1),
        breadcrumb=_breadcrumb(chosen),
        figures=counted.figures,
        counted=counted,
        kept=snapshot.is_kept(chosen),
        rows=ordered,
        lagging=lagging(ordered),
        columns=COLUMNS,
        sort=sort,
        charts=_charts(counted, rows),
        community=community,
        row_name=charts.row_name,
        integrity=integrity.counts(chosen, *period.bounds),
        fragment=htmx.wants_fragment(),
    )
    if htmx.wants_fragment() and parsed.error is None:
        # The period form sends every kind's inputs: the address bar gets the period's own.
        response.headers["HX-Push-Url"] = oversight_url(chosen.id, period, sort)
    return response


def _charts(counted: snapshot.Snapshot, rows: list[fig.Row]) -> list[charts.Chart]:
    return charts.dashboard_charts(counted.months, fig.named_categories(counted.categories), rows)


def _community_of(unit: OrgUnit) -> OrgUnit | None:
    """The community a community's or grid's dashboard links the lists of."""
    if unit.level is OrgLevel.community:
        return unit
    if unit.level is OrgLevel.grid:
        return unit.parent
    return None


@dataclass(frozen=True)
class Figure:
    """One figure as the page shows it: its label, its value as text and its unit."""

    key: str
    label: str
    value: str
    unit: str


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    figures: list[Figure]


def percent(value: float | None) -> str:
    """A ratio 0..1 as a whole percentage ("87"), None as 「—」 (the unit is "%")."""
    return "—" if value is None else str(round(value * 100))


def _number(value: float | int | None) -> str:
    return "—" if value is None else str(value)


def figure_groups(f: fig.Figures) -> list[Group]:
    """The figures of a subtree in the page's groups, with their units (the dashboard and
    the monthly report show them through ``oversight/_figures.html``)."""
    items, people, hours, points = _("items"), _("people"), _("hours"), _("points")

    def item(key, label, value, unit=items):
        return Figure(key, label, _number(value), unit)

    def rate(key, label, value):
        return Figure(key, label, percent(value), "%" if value is not None else "")

    evidence = [
        Figure(
            f"hours_{e.value}",
            str(e.label),
            _number(round(f.minutes_by_evidence.get(e.value, 0) / 60, 1)),
            hours,
        )
        for e in Evidence
    ]
    median = None if f.median_answer_hours is None else round(f.median_answer_hours, 1)
    return [
        Group(
            "needs",
            _("Needs"),
            [
                item("needs_posted", _("Needs posted"), f.needs_posted),
                item("needs_open", _("Still open"), f.needs_open),
                item("needs_fulfilled", _("Every place filled"), f.needs_fulfilled),
                item("needs_completed", _("Completed"), f.needs_completed),
                item("needs_cancelled", _("Cancelled"), f.needs_cancelled),
                item("places_offered", _("Places offered"), f.places_offered),
                item("places_filled", _("Places filled"), f.places_filled),
                rate("fill_rate", _("Fill rate"), f.fill_rate),
            ],
        ),
        Group(
            "volunteers",
            _("Volunteers"),
            [
                item("volunteers_registered", _("Registered"), f.volunteers_registered, people),
                item("volunteers_active", _("Active volunteers"), f.volunteers_active, people),
                item("volunteers_new", _("New volunteers"), f.volunteers_new, people),
            ],
        ),
        Group(
            "hours",
            _("Hours of service"),
            [
                item("hours", _("Confirmed hours"), f.hours, hours),
                *evidence,
            ],
        ),
        Group(
            "points",
            _("Points"),
            [
                item("points_issued", _("Points issued"), f.points_issued, points),
                item("points_redeemed", _("Points redeemed"), f.points_redeemed, points),
                item("points_refunded", _("Points refunded"), f.points_refunded, points),
                item("points_expired", _("Points expired"), f.points_expired, points),
                item("points_outstanding", _("Points outstanding"), f.points_outstanding, points),
            ],
        ),
        Group(
            "partners",
            _("Businesses and units"),
            [
                item("partners_approved", _("Partners approved"), f.partners_approved),
                item("partners_active", _("Businesses that verified vouchers"), f.partners_active),
            ],
        ),
        Group(
            "reporting",
            _("Dual reporting"),
            [
                item("units_reported", _("Units reported"), f.units_reported),
                item("members_reported", _("Members reported"), f.members_reported, people),
                item(
                    "members_on_target",
                    _("Members at or above the target"),
                    f.members_on_target,
                    people,
                ),
            ],
        ),
        Group(
            "projects",
            _("Projects"),
            [
                item("projects_completed", _("Projects completed"), f.projects_completed),
                item("people_served", _("People served"), f.people_served, people),
            ],
        ),
        Group(
            "requests",
            _("Resident requests"),
            [
                item("requests_received", _("Requests received"), f.requests_received),
                item("requests_answered", _("Requests answered"), f.requests_answered),
                item("requests_overdue", _("Requests overdue"), f.requests_overdue),
                Figure(
                    "median_answer_hours",
                    _("Median time to answer"),
                    _number(median),
                    hours if median is not None else "",
                ),
                rate("completion_rate", _("Completion rate"), f.completion_rate),
                rate("satisfaction_rate", _("Satisfaction rate"), f.satisfaction_rate),
            ],
        ),
    ]


@bp.app_template_global()
def oversight_figure_groups(figures: fig.Figures) -> list[Group]:
    return figure_groups(figures)


@bp.app_template_global()
def oversight_percent(value: float | None) -> str:
    return percent(value)


@bp.app_template_global()
def oversight_url(unit_id: int, period: Period, sort: Sort | dict[str, str] | None = None) -> str:
    """A dashboard's URL with ``period`` (and the table's order, when given)."""
    args: dict[str, Any] = {"unit_id": unit_id, **period.args()}
    if isinstance(sort, Sort):
        args.update(sort.args())
    elif sort:
        args.update(sort)
    return url_for("oversight.unit", **args)


# --- The monthly report (月度报告) ---------------------------------------------------


def _report_month(today) -> tuple[Period, str | None]:
    """``?month=2026-11``: the month the report covers; none given → last month (the one
    an office reports upward); unreadable → last month, with the reason."""
    last_month = Period.month(today).shifted(-1) or Period.month(today)
    text = request.args.get("month")
    if text in (None, ""):
        return last_month, None
    parsed = parse({"period": "month", "month": text}, today)
    if parsed.error is not None:
        return last_month, parsed.error
    return parsed.period, None


@bp.get("/units/<int:unit_id>/report")
def report(unit_id: int):
    """The unit's monthly report, printable on A4 (print CSS): the figures, the
    breakdown, the charts, the top projects and the best-rated services."""
    chosen = _unit_or_404(unit_id)
    today = local_today()
    period, error = _report_month(today)
    counted = snapshot.dashboard(chosen, period)
    rows = snapshot.rows_of(chosen, counted)
    return render_template(
        "oversight/report.html",
        unit=chosen,
        period=period,
        error=error,
        earlier=period.shifted(-1),
        later=period.shifted(1) if period.last < today else None,
        figures=counted.figures,
        counted=counted,
        kept=snapshot.is_kept(chosen),
        rows=rows,
        columns=COLUMNS,
        charts=_charts(counted, rows),
        projects=fig.top_projects(chosen, period),
        rated=fig.best_rated(chosen, period),
        row_name=charts.row_name,
        integrity=integrity.counts(chosen, *period.bounds),
        printing=True,
        made_on=today,
    )
