"""The one helper that answers a request with a full page or an htmx fragment."""

from __future__ import annotations

from flask import make_response, render_template
from htmx_flask import request


def wants_fragment() -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def render(page: str, fragment: str, /, status: int = 200, **context):
    """The full page for plain and history-restore requests, the fragment for htmx swaps."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
