"""The workbenches (工作台): each leads with what is waiting, then links to its tools.

Every page here shows the switcher, so a person with several roles moves between their
workbenches without logging out. A workbench the user does not have is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from govhub import permissions
from govhub.accounts.models import User
from govhub.database import utcnow
from govhub.orgs.models import OrgLevel
from govhub.partners.models import PartnerKind
from govhub.permissions import Action
from govhub.points import services as points
from govhub.workbench import services
from govhub.workbench.services import Kind, Workbench

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


@dataclass(frozen=True)
class Item:
    """One thing waiting, with its count, linked to the page where it is done."""

    key: str  # the element id on the page: "waiting-to-confirm", ...
    label: str
    count: int
    amount: str  # the count with its unit: "3条"
    url: str
    none: str  # what a zero says
    waiting: bool = True  # counts as work waiting (today's verified vouchers do not)


@dataclass(frozen=True)
class Tool:
    label: str
    url: str
    primary: bool = False


@dataclass
class Card:
    """A workbench as 首页, 我的 and the switcher show it."""

    bench: Workbench
    title: str
    short: str  # the switcher's label
    url: str
    items: list[Item] = field(default_factory=list)
    action: Tool | None = None  # the workbench's main action, on its card too


def _is_unit(bench: Workbench) -> bool:
    """A stationed unit's workbench: a partner's, without the points supermarket's counter
    (units report to communities, offer resources and hold places instead)."""
    return (
        bench.kind is Kind.shop
        and bench.partner is not None
        and (bench.partner.kind is PartnerKind.unit)
    )


def bench_url(bench: Workbench) -> str:
    if bench.kind is Kind.community:
        assert bench.community is not None
        return url_for("workbench.community", community_id=bench.community.id)
    if bench.kind is Kind.shop:
        assert bench.partner is not None
        return url_for("workbench.shop", partner_id=bench.partner.id)
    if bench.kind is Kind.liaison:  # the liaison's page is its workbench
        assert bench.partner is not None
        return url_for("liaison.unit", partner_id=bench.partner.id)
    return url_for(f"workbench.{bench.kind}")


def _titles(bench: Workbench) -> tuple[str, str]:
    if bench.kind is Kind.community:
        assert bench.community is not None
        name = bench.community.name
        return _("Community workbench · %(name)s", name=name), name
    if bench.kind is Kind.shop:
        assert bench.partner is not None
        name = bench.partner.name
        if _is_unit(bench):
            return _("Unit workbench · %(name)s", name=name), name
        return _("Shop workbench · %(name)s", name=name), name
    if bench.kind is Kind.liaison:
        assert bench.partner is not None
        name = bench.partner.name
        return _("Liaison · %(name)s", name=name), name
    if bench.kind is Kind.oversight:
        names = "、".join(unit.name for unit in bench.units)
        return _("Oversight workbench · %(name)s", name=names), _("Oversight")
    return _("System workbench"), _("System")


def _item(key: str, label: str, count: int, amount: str, url: str, *, none=None, waiting=True):
    return Item(key, label, count, amount, url, none or _("Nothing waiting"), waiting)


def _applications(count: int) -> Item:
    return _item(
        "waiting-applications",
        _("Partner applications"),
        count,
        ngettext("%(num)d application", "%(num)d applications", count),
        url_for("partners.review"),
    )


def _requests(count: int) -> Item:
    return _item(
        "waiting-requests",
        _("Resident requests to review"),
        count,
        ngettext("%(num)d request", "%(num)d requests", count),
        url_for("requests.review"),
    )


def _items(bench: Workbench, *, now: datetime) -> list[Item]:
    counts = services.waiting(bench, now=now)
    if counts is None:  # a stationed unit's workbench: nothing waits at a counter
        return []
    if isinstance(counts, services.CommunityWaiting):
        assert bench.community is not None
        community_id = bench.community.id
        return [
            _item(
                "waiting-to-confirm",
                _("Service hours to confirm"),
                counts.to_confirm,
                ngettext("%(num)d attendance", "%(num)d attendances", counts.to_confirm),
                url_for("workbench.to_confirm", community_id=community_id),
            ),
            _requests(counts.requests),
            _applications(counts.applications),
            _item(
                "waiting-short",
                ngettext(
                    "Shifts within %(num)d day short of volunteers",
                    "Shifts within %(num)d days short of volunteers",
                    services.SOON.days,
                ),
                counts.short_shifts,
                ngettext("%(num)d shift", "%(num)d shifts", counts.short_shifts),
                url_for("workbench.short_shifts", community_id=community_id),
            ),
            # 双报到 (units)
            _item(
                "waiting-unit-reports",
                _("Unit reports to confirm"),
                counts.unit_reports,
                ngettext("%(num)d report", "%(num)d reports", counts.unit_reports),
                url_for("unit_reports.review"),
            ),
            # 项目认领: units' proposals waiting for the community's decision.
            _item(
                "waiting-proposals",
                _("Project proposals to decide"),
                counts.proposals,
                ngettext("%(num)d proposal", "%(num)d proposals", counts.proposals),
                url_for("projects.index", community_id=community_id, status="proposed"),
            ),
            _item(
                "waiting-member-reports",
                _("Party members' reports to confirm"),
                counts.member_reports,
                ngettext("%(num)d report", "%(num)d reports", counts.member_reports),
                url_for("member_reports.review"),
            ),
        ]
    if isinstance(counts, services.ShopWaiting):
        assert bench.partner is not None
        partner_id = bench.partner.id
        return [
            _item(
                "waiting-unused",
                _("Vouchers not yet used"),
                counts.unused,
                ngettext("%(num)d voucher", "%(num)d vouchers", counts.unused),
                url_for("shop.verify", partner_id=partner_id),
            ),
            _item(
                "waiting-verified-today",
                _("Vouchers used today"),
                counts.verified_today,
                ngettext("%(num)d voucher", "%(num)d vouchers", counts.verified_today),
                url_for("shop.home", partner_id=partner_id, _anchor="recent"),
                none=_("None yet today"),
                waiting=False,
            ),
        ]
    if isinstance(counts, services.LiaisonWaiting):
        assert bench.partner is not None
        partner_id = bench.partner.id
        return [
            _item(
                "waiting-cards",
                _("Service cards to receive"),
                counts.cards,
                ngettext("%(num)d card", "%(num)d cards", counts.cards),
                url_for("liaison.unit_cards", partner_id=partner_id),
            ),
            _item(
                "waiting-members",
                _("Reported members"),
                counts.members,
                ngettext("%(num)d person", "%(num)d people", counts.members),
                url_for("liaison.unit", partner_id=partner_id, _anchor="members"),
                none=_("None yet"),
                waiting=False,
            ),
        ]
    items = [_applications(counts.applications)]
    if bench.kind is Kind.system:
        items.append(_requests(counts.requests))
    return items


def card(bench: Workbench, *, now: datetime | None = None, counts: bool = True) -> Card:
    title, short = _titles(bench)
    result = Card(bench, title, short, bench_url(bench))
    if _is_unit(bench):
        assert bench.partner is not None
        reports = url_for("unit_reports.unit", partner_id=bench.partner.id)
        result.action = Tool(_("Report to communities"), reports, primary=True)
    elif bench.kind is Kind.shop:
        assert bench.partner is not None
        verify = url_for("shop.verify", partner_id=bench.partner.id)
        result.action = Tool(_("Verify a voucher"), verify, primary=True)
    if counts:
        result.items = _items(bench, now=now or utcnow())
    return result


def cards(user: User, *, now: datetime | None = None) -> list[Card]:
    """Every workbench of ``user`` with what waits on it: for 首页 and 我的."""
    now = now or utcnow()
    return [card(bench, now=now) for bench in services.available(user)]


@bp.app_context_processor
def _helpers():
    """For 我的 (accounts/profile.html): the workbench cards and the points balance."""
    signed_in = current_user.is_authenticated
    return {
        "workbench_cards": lambda: cards(current_user) if signed_in else [],
        "my_balance": lambda: points.account(current_user.id).balance if signed_in else 0,
    }


# --- The tools of each workbench -----------------------------------------------------


def _can(action: Action, obj=None) -> bool:
    return permissions.can(current_user, action, obj)


def _community_tools(bench: Workbench) -> list[Tool]:
    assert bench.community is not None
    community_id = bench.community.id
    for_resident: dict[str, Any] = {"for": "resident"}  # "for" is a Python keyword
    tools = [
        Tool(_("Dashboard"), url_for("oversight.unit", unit_id=community_id)),  # == dashboard ==
        Tool(_("Post a need"), url_for("manage.new_need"), primary=True),
        Tool(_("Manage needs"), url_for("manage.needs")),
        Tool(_("Record a request for a resident"), url_for("requests.new", **for_resident)),
        Tool(_("Volunteers' points"), url_for("points.find_volunteer")),
        Tool(_("Import a roster"), url_for("roster.upload")),  # 导入花名册 (govhub/roster)
        Tool(_("Points economy"), url_for("rewards.economy", community=community_id)),
        Tool(_("Community settings"), url_for("manage.settings", community=community_id)),
        Tool(
            _("Party members' reporting QR"),
            url_for("member_reports.reporting_qr", community_id=community_id),
        ),
        # == resources ==
        Tool(_("Resources of our area"), url_for("resources.area")),
        Tool(_("Record a resource for a unit"), url_for("resources.new", behalf=1)),
    ]
    # liaison: the quarterly service cards and the reporting figures.
    tools += [
        Tool(_("Projects list"), url_for("projects.index", community_id=community_id)),  # 项目清单
        Tool(_("Service cards"), url_for("liaison.community_cards", community_id=community_id)),
        Tool(_("Reporting figures"), url_for("liaison.figures_page", unit_id=community_id)),
    ]
    # == public ==: the community's public three-lists page (居务公开).
    tools.append(Tool(_("Public affairs page"), url_for("public.community", unit_id=community_id)))
    # == audit ==: the community's audit trail and integrity review (防代刷时长).
    tools.append(Tool(_("Integrity review"), url_for("integrity.queue", unit=community_id)))
    tools.append(Tool(_("Audit trail"), url_for("audit.trail", unit=community_id)))
    if _can(Action.VIEW_LEDGER_AUDIT):
        tools.append(Tool(_("Ledger audit"), url_for("points.ledger_audit")))
    return tools


def _shop_tools(bench: Workbench) -> list[Tool]:
    assert bench.partner is not None
    partner = bench.partner
    if _is_unit(bench):
        return _unit_tools(partner)
    tools = [
        Tool(_("Our rewards"), url_for("shop.home", partner_id=partner.id, _anchor="rewards")),
        Tool(_("List a reward"), url_for("shop.new_reward", partner_id=partner.id)),
        Tool(_("Figures"), url_for("shop.home", partner_id=partner.id, _anchor="stats")),
        # == resources ==
        Tool(_("Our resources"), url_for("resources.mine")),
        Tool(_("Offer a resource"), url_for("resources.new", partner=partner.id)),
        Tool(_("Propose a project"), url_for("projects.unit", partner_id=partner.id)),  # 项目认领
    ]
    if _can(Action.MANAGE_STAFF, partner):
        tools.append(Tool(_("Staff"), url_for("partners.staff", partner_id=partner.id)))
    tools.append(
        Tool(_("Settlement export"), url_for("shop.home", partner_id=partner.id, _anchor="export"))
    )
    return tools


def _unit_tools(partner) -> list[Tool]:
    """双报到: a stationed unit reports to communities (its workbench's main action),
    offers resources and holds places of needs for its members (一键认领)."""
    tools = [
        Tool(_("Our resources"), url_for("resources.mine")),
        Tool(_("Offer a resource"), url_for("resources.new", partner=partner.id)),
    ]
    if _can(Action.HOLD_FOR_UNIT, partner):
        tools.append(Tool(_("Places we hold"), url_for("unit_holds.unit", partner_id=partner.id)))
    if _can(Action.PROPOSE_PROJECT, partner):  # 项目认领
        tools.append(Tool(_("Propose a project"), url_for("projects.unit", partner_id=partner.id)))
    if _can(Action.MANAGE_STAFF, partner):
        tools.append(Tool(_("Staff"), url_for("partners.staff", partner_id=partner.id)))
    return tools


def _oversight_tools(bench: Workbench) -> list[Tool]:
    tools = [
        Tool(_("Dashboard"), url_for("oversight.index"), primary=True),  # == dashboard ==
        Tool(_("Needs board"), url_for("needs.board")),
        Tool(_("Leaderboard"), url_for("points.leaderboard")),
        Tool(_("Resources of our area"), url_for("resources.area")),  # == resources ==
    ]
    # liaison: the reporting figures of each unit overseen.
    tools += [
        Tool(
            _("Reporting figures · %(name)s", name=unit.name),
            url_for("liaison.figures_page", unit_id=unit.id),
        )
        for unit in bench.units
    ]
    # == public ==: the public three-lists page of each street overseen (居务公开).
    tools += [
        Tool(
            _("Public affairs page · %(name)s", name=unit.name),
            url_for("public.street", unit_id=unit.id),
        )
        for unit in bench.units
        if unit.level is OrgLevel.street
    ]
    # == access ==: the admin pages of the subtree's communities, read only.
    reads = (
        (Action.READ_NEEDS, _("Needs list"), "manage.needs"),
        (Action.READ_REQUESTS, _("Resident requests"), "requests.review"),
        (Action.READ_REPORTS, _("Unit reports to confirm"), "unit_reports.review"),
        (Action.READ_REPORTS, _("Party members' reports"), "member_reports.review"),
        (Action.REVIEW_INTEGRITY, _("Integrity review"), "integrity.queue"),
        (Action.READ_AUDIT, _("Audit trail"), "audit.trail"),
    )
    tools += [Tool(label, url_for(endpoint)) for action, label, endpoint in reads if _can(action)]
    if _can(Action.VIEW_ECONOMIES):
        tools.append(Tool(_("Points economy"), url_for("rewards.economy")))
    if _can(Action.VIEW_LEDGER_AUDIT):
        tools.append(Tool(_("Ledger audit"), url_for("points.ledger_audit")))
    return tools


def _system_tools() -> list[Tool]:
    return [
        Tool(_("Org tree"), url_for("orgs.tree")),
        Tool(_("Import an org tree from CSV"), url_for("orgs.import_tree")),
        Tool(_("Users and roles"), url_for("accounts.users")),
        Tool(_("Skills list"), url_for("accounts.skills")),
        Tool(_("Audit trail"), url_for("audit.trail")),
        Tool(_("Manage needs"), url_for("manage.needs")),
        Tool(_("Community settings"), url_for("manage.settings")),
        Tool(_("Volunteers' points"), url_for("points.find_volunteer")),
        Tool(_("Import a roster"), url_for("roster.upload")),  # 导入花名册 (govhub/roster)
        Tool(_("Points economy"), url_for("rewards.economy")),
        Tool(_("Ledger audit"), url_for("points.ledger_audit")),
    ]


# --- Pages ---------------------------------------------------------------------------


def _page(bench: Workbench, template: str, **context):
    benches = services.available(current_user)
    return render_template(
        template,
        current=card(bench),
        switcher=[card(b, counts=False) for b in benches],
        **context,
    )


def _bench_or_403(key: str) -> Workbench:
    bench = services.find(current_user, key)
    if bench is None:
        abort(403)
    return bench


@bp.get("/")
@login_required
def index():
    benches = services.available(current_user)
    if len(benches) == 1:
        return redirect(bench_url(benches[0]), 303)
    return render_template("workbench/index.html", cards=cards(current_user))


@bp.get("/community", defaults={"community_id": None})
@bp.get("/community/<int:community_id>")
@login_required
def community(community_id: int | None):
    if community_id is None:
        first = next(
            (b for b in services.available(current_user) if b.kind is Kind.community), None
        )
        if first is None:
            abort(403)
        return redirect(bench_url(first), 303)
    bench = _bench_or_403(f"{Kind.community}-{community_id}")
    return _page(bench, "workbench/community.html", tools=_community_tools(bench))


@bp.get("/community/<int:community_id>/to-confirm")
@login_required
def to_confirm(community_id: int):
    bench = _bench_or_403(f"{Kind.community}-{community_id}")
    assert bench.community is not None
    rows = services.shifts_to_confirm(bench.community, now=utcnow())
    return _page(bench, "workbench/to_confirm.html", rows=rows, limit=services.LIST_LIMIT)


@bp.get("/community/<int:community_id>/short")
@login_required
def short_shifts(community_id: int):
    bench = _bench_or_403(f"{Kind.community}-{community_id}")
    assert bench.community is not None
    shifts = services.short_shifts(bench.community, now=utcnow())
    return _page(
        bench,
        "workbench/short_shifts.html",
        shifts=shifts,
        days=services.SOON.days,
        limit=services.LIST_LIMIT,
    )


@bp.get("/shop/<int:partner_id>")
@login_required
def shop(partner_id: int):
    bench = _bench_or_403(f"{Kind.shop}-{partner_id}")
    return _page(bench, "workbench/shop.html", tools=_shop_tools(bench))


@bp.get("/oversight")
@login_required
def oversight():
    bench = _bench_or_403(str(Kind.oversight))
    return _page(bench, "workbench/oversight.html", tools=_oversight_tools(bench))


@bp.get("/system")
@login_required
def system():
    bench = _bench_or_403(str(Kind.system))
    return _page(bench, "workbench/system.html", tools=_system_tools())
