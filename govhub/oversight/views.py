"""The oversight dashboard (监测调度) and the monthly report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("oversight", __name__, url_prefix="/oversight")
