"""驻区单位到社区报到: a unit reports to a community; the community confirms or returns it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("unit_reports", __name__, url_prefix="/reporting/units")
