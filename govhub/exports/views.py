"""The exports page (导出) and its downloads, under the oversight dashboard.

``/oversight/exports?unit=<id>&period=…`` lists the datasets for one unit's subtree and a
period (``oversight/period.py``) with a CSV and an Excel button each;
``/oversight/exports/<dataset>.<csv|xlsx>`` with the same arguments downloads one. Who
may export a unit's subtree is who may open its dashboard (``Action.VIEW_DASHBOARD``):
the unit is chosen among ``permissions.dashboard_units`` (or lies below them), anything
else is 403. An unreadable unit or period is the page again with the error at its field
(400), never a file of some other period.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial

from flask import Blueprint, abort, current_app, render_template
from flask import request as flask_request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.clock import local_today
from govhub.exports import datasets
from govhub.exports.datasets import DATASETS, Dataset, Scope
from govhub.exports.forms import ExportForm
from govhub.exports.writer import FORMATS, stream_table
from govhub.forms import parse_int
from govhub.orgs.models import OrgUnit
from govhub.oversight.period import Parsed, parse
from govhub.permissions import Action

bp = Blueprint("exports", __name__, url_prefix="/oversight/exports")


@bp.after_request
def _private(response):
    """People's names, hours and phones: never kept by a cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _chosen_unit() -> tuple[list[OrgUnit], OrgUnit, str | None]:
    """The viewer's dashboard units, the unit named by ``?unit=`` (their first unit when
    none is named, or when it cannot be read, with the reason); 403 for a unit whose
    dashboard they may not open, 404 for one that does not exist."""
    units = permissions.dashboard_units(current_user)
    if not units:
        abort(403)
    raw = flask_request.args.get("unit")
    if raw in (None, ""):
        return units, units[0], None
    unit_id = parse_int(raw)
    if unit_id is None:
        return units, units[0], _("Choose an area from the list.")
    unit = permissions.get_or_403(OrgUnit, unit_id, Action.VIEW_DASHBOARD)
    return units, unit, None


def _page(units, unit, parsed: Parsed, unit_error: str | None, status: int = 200):
    period = parsed.period
    form = ExportForm.for_export(
        units, unit, period, period_error=parsed.error, unit_error=unit_error
    )
    return (
        render_template(
            "exports/index.html",
            unit=unit,
            period=period,
            form=form,
            datasets=list(DATASETS.values()),
            failed=bool(parsed.error or unit_error),
            reference_day=min(period.last, local_today()),
        ),
        status,
    )


@bp.get("/")
@login_required
def index():
    units, unit, unit_error = _chosen_unit()
    parsed = parse(flask_request.args, local_today())
    return _page(units, unit, parsed, unit_error, 400 if unit_error or parsed.error else 200)


def _display_name(dataset: Dataset, unit: OrgUnit, label: str) -> str:
    return f"{unit.name}-{dataset.title}-{label}"


@bp.get("/<dataset>.<any(csv, xlsx):fmt>")
@login_required
def download(dataset: str, fmt: str):
    """One dataset of the unit's subtree for the period, as CSV or Excel."""
    chosen = DATASETS.get(dataset)
    if chosen is None or fmt not in FORMATS:
        abort(404)
    units, unit, unit_error = _chosen_unit()
    today = local_today()
    parsed = parse(flask_request.args, today)
    if unit_error or parsed.error:
        return _page(units, unit, parsed, unit_error, 400)
    user = current_user._get_current_object()
    scope = Scope.of(unit, parsed.period, today, partial(permissions.sees_phones_clause, user))
    rows = datasets.rows(chosen, scope)
    filename = f"{unit.code}-{chosen.key}-{datasets.period_slug(parsed.period)}"
    with force_locale(_chinese()) if chosen.chinese else nullcontext():
        header, title = chosen.header(), str(chosen.title)
        display = _display_name(chosen, unit, parsed.period.label)
    if chosen.chinese:
        rows = _in_chinese(rows)
    return stream_table(fmt, filename, header, rows, display_name=display, title=title)


def _chinese() -> str:
    """The app's Simplified Chinese locale (zh_Hans_CN)."""
    return next(code for code in current_app.config["LANGUAGES"] if code.startswith("zh"))


def _in_chinese(rows):
    """``rows``, with their labels (evidence, categories) made in Chinese."""
    with force_locale(_chinese()):
        yield from rows
