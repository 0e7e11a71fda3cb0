"""The public three-lists pages (居务公开): no login, no personal data.

A page per community and per street: open needs, resources on offer, completed and
published projects, the year's figures and the honour roll. It prints as an A4 notice
for the notice board (公示栏) with a QR code back to the live page.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request
from sqlalchemy import select

from govhub.clock import local_today
from govhub.database import utcnow
from govhub.extensions import db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.public import figures, lists
from govhub.qr import png_response, qr_png
from govhub.urls import external_url

bp = Blueprint("public", __name__, url_prefix="/public")

CACHE = "public, max-age=300"


def _unit(unit_id: int, level: OrgLevel) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or unit.level is not level:
        abort(404)
    return unit


def _year() -> int:
    """``?year=``: a year the page covers; none given → this year; anything else → 404."""
    today = local_today()
    text = request.args.get("year")
    if text is None or text == "":
        return today.year
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        abort(404)
    year = int(text)
    if not figures.FIRST_YEAR <= year <= today.year:
        abort(404)
    return year


def _cached(response):
    response.headers["Cache-Control"] = CACHE
    # The page carries the visitor's language, text size and CSRF token.
    response.headers["Vary"] = "Cookie"
    return response


def _page(unit: OrgUnit, template: str, endpoint: str):
    year = _year()
    today = local_today()
    communities = lists.communities_of(unit)
    ids = [c.id for c in communities]
    by_community = figures.year_figures(ids, year)
    context = {
        "unit": unit,
        "year": year,
        "years": list(range(today.year, max(figures.FIRST_YEAR, today.year - 4) - 1, -1)),
        "today": today,
        "communities": communities,
        "by_community": by_community,
        "totals": figures.total(by_community),
        "needs": lists.open_needs(ids, now=utcnow()),
        "resources": lists.offered_resources(unit, today=today),
        "projects": lists.published_projects(ids, year),
        "honour": lists.honour_roll(unit, ids, today=today),
        "endpoint": endpoint,
        "live_url": external_url(endpoint, unit_id=unit.id),
    }
    return _cached(make_response(render_template(template, **context)))


@bp.get("/")
def index():
    """Every street and its communities, each linking to its page."""
    streets = db.session.scalars(
        select(OrgUnit).where(OrgUnit.level == OrgLevel.street).order_by(OrgUnit.code)
    )
    return _cached(make_response(render_template("public/index.html", streets=list(streets))))


@bp.get("/communities/<int:unit_id>")
def community(unit_id: int):
    return _page(_unit(unit_id, OrgLevel.community), "public/community.html", "public.community")


@bp.get("/streets/<int:unit_id>")
def street(unit_id: int):
    return _page(_unit(unit_id, OrgLevel.street), "public/street.html", "public.street")


@bp.get("/<any(communities, streets):kind>/<int:unit_id>/qr.png")
def qr(kind: str, unit_id: int):
    """The QR code on the printed notice: the live page's address."""
    level, endpoint = (
        (OrgLevel.community, "public.community")
        if kind == "communities"
        else (OrgLevel.street, "public.street")
    )
    unit = _unit(unit_id, level)
    response = png_response(qr_png(external_url(endpoint, unit_id=unit.id)))
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/projects/<int:project_id>/photos/<int:photo_id>.jpg")
def project_photo(project_id: int, photo_id: int):
    """A photo of a completed, published project (its id changes with every upload)."""
    data = lists.photo_data(project_id, photo_id)
    if data is None:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = CACHE
    return response
