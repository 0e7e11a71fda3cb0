"""The problem page: why a link from a QR code or a paper did not work, and what to do.

Check-in codes, volunteers' cards, voucher links and service-record codes can be forged,
expired, replayed or meant for something else; each domain says what went wrong in its
own words, and all of them show it on one page (``templates/problem.html``).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import LazyString


def problem_page(
    title: str | LazyString,
    advice: str | LazyString,
    status: int = 400,
    *,
    detail: str | LazyString | None = None,
) -> tuple[str, int]:
    """The page (and its status) explaining ``title`` with ``advice`` on what to do."""
    return render_template("problem.html", title=title, advice=advice, detail=detail), status
