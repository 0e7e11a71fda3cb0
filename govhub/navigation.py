"""The navigation of every page, built in one place for templates/base.html.

Logged-in users get five tabs (首页 · 需求 · 任务 · 积分 · 我的): a bar fixed to the
bottom of a phone's screen, the same items in the top bar on a wide screen. The tab of
the page being shown is marked; a page below a tab (a need's page under 需求, the points
supermarket under 积分) marks that tab, decided by ``SECTIONS`` from the endpoint.

Role tools (Manage needs, a shop, the points economy...) are not in the navigation: they
are reached from the workbenches (工作台); which ones a user has is
``govhub.workbench.services.available``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user

HOME, NEEDS, TASKS, POINTS, ME = "home", "needs", "tasks", "points", "me"


@dataclass(frozen=True)
class Tab:
    name: str  # also the name of its icon in templates/_nav_icon.html
    endpoint: str
    label: LazyString


TABS: tuple[Tab, ...] = (
    Tab(HOME, "main.home", _l("Home")),
    Tab(NEEDS, "needs.board", _l("Needs")),
    Tab(TASKS, "needs.my_tasks", _l("Tasks")),
    Tab(POINTS, "points.my_points", _l("Points")),
    Tab(ME, "accounts.profile", _l("Me")),
)

# The tab each page sits under: an endpoint, else its blueprint. Pages in neither are
# under no tab (none is marked). Role tools sit under 首页, where the workbenches start.
SECTIONS: dict[str, str] = {
    # 首页: the home page, the workbenches and the role tools they lead to.
    "main.home": HOME,
    "workbench": HOME,
    "manage": HOME,
    "shop": HOME,
    "orgs": HOME,
    "audit": HOME,
    "partners": HOME,
    "checkin": HOME,  # the check-in screen, attendance (a volunteer's own pages below)
    "accounts.users": HOME,
    "accounts.skills": HOME,
    "requests.review": HOME,
    "rewards.economy": HOME,
    "rewards.open_voucher": HOME,  # staff at the counter: the shop's work, not their points
    "rewards.fulfil": HOME,
    "rewards.reject": HOME,
    "points.find_volunteer": HOME,
    "points.volunteer": HOME,
    "points.adjust": HOME,
    "points.issue_record": HOME,
    "points.ledger_audit": HOME,
    "scan": HOME,
    # 双报到 and the resources list: the work of units, liaisons and community staff.
    "resources": HOME,
    "unit_reports": HOME,
    "liaison": HOME,
    "member_reports.review": HOME,  # the community's queue of members' reports
    "member_reports.review_report": HOME,
    "member_reports.review_confirm": HOME,
    "member_reports.review_return": HOME,
    "member_reports.reporting_qr": HOME,  # the community's reporting QR poster
    "member_reports.reporting_qr_png": HOME,
    "member_reports.unit_claims": HOME,  # a unit's liaison claims free-text employers
    "member_reports.unit_claim": HOME,
    # Matching and the projects list: the community's work (an invitation is a task).
    "matching": HOME,
    "invitations": HOME,  # requests for resources, decided by the provider side
    "projects": HOME,
    # 监测调度: the dashboards and monthly reports of admins and offices.
    "oversight": HOME,
    "integrity": HOME,
    # Importing a roster (花名册) and printing its activation slips: the community's work.
    "roster": HOME,
    "exports": HOME,  # the oversight exports (CSV, Excel)
    # 居务公开: the public three-lists pages, under 首页 where a visitor starts.
    "public": HOME,
    # 需求: the board, a need, claiming, asking for help.
    "needs": NEEDS,
    "requests": NEEDS,
    "unit_holds": NEEDS,  # places a unit holds on a need, and its members claiming them
    # 任务: what I signed up for, and how I check in.
    "needs.my_tasks": TASKS,
    "checkin.my_card": TASKS,
    "checkin.led_shifts": TASKS,
    "checkin.scan": TASKS,
    "checkin.confirm_scan": TASKS,
    "invitations.invitation": TASKS,  # an invitation to a shift, accepted in one tap
    "invitations.mine": TASKS,
    # 积分: points, records, leaderboards, the supermarket and vouchers.
    "points": POINTS,
    "rewards": POINTS,
    # 我的: the person, their settings and messages.
    "accounts": ME,
    "roster.activate": ME,  # an imported person activates their account with their slip
    "notifications": ME,
    "member_reports": ME,  # a party member reporting to their home community
    "help": ME,  # the user guide
}


def section(endpoint: str | None) -> str | None:
    """The name of the tab that ``endpoint`` sits under, or None."""
    if not endpoint:
        return None
    if endpoint in SECTIONS:
        return SECTIONS[endpoint]
    return SECTIONS.get(endpoint.partition(".")[0])


@dataclass(frozen=True)
class NavItem:
    tab: Tab
    current: str | None  # aria-current: "page" on the tab's own page, "true" below it


def tabs(endpoint: str | None) -> list[NavItem]:
    """The five tabs, the one ``endpoint`` sits under marked current."""
    mark = section(endpoint)
    return [
        NavItem(tab, ("page" if tab.endpoint == endpoint else "true") if tab.name == mark else None)
        for tab in TABS
    ]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _navigation() -> dict[str, Any]:
        return {
            "nav_tabs": tabs(request.endpoint) if current_user.is_authenticated else [],
        }
