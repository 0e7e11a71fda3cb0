"""在职党员到社区报到: an in-service party member reports to their home community."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("member_reports", __name__, url_prefix="/reporting/members")
