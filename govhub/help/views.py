"""/help: the user guide, one page per role, open to everyone (no login)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory

from govhub.help import guide

bp = Blueprint("help", __name__, url_prefix="/help")

# Screenshots change only when the guide is refreshed; a day of caching is plenty.
SCREENSHOT_MAX_AGE = 24 * 3600


def _load(slug: str) -> guide.Page:
    try:
        return guide.load(slug)
    except KeyError:
        abort(404)


@bp.get("/")
def index():
    return render_template(
        "help/index.html",
        page=_load(guide.INDEX),
        pages=guide.PAGES,
        split_at_first_section=guide.split_at_first_section,
    )


@bp.get("/<slug>")
def page(slug: str):
    # Only the known slugs: "../x", NUL, an overlong name are simply not one of them.
    if slug == guide.INDEX or slug not in guide.PAGES:
        abort(404)
    current = _load(slug)
    return render_template(
        "help/page.html",
        page=current,
        slug=slug,
        pages=guide.PAGES,
    )


@bp.get("/screenshots/<name>")
def screenshot(name: str):
    """A screenshot from docs/screenshots, by plain file name only."""
    if guide.screenshot_path(name) is None:
        abort(404)
    return send_from_directory(guide.SCREENSHOT_DIR, name, max_age=SCREENSHOT_MAX_AGE)
