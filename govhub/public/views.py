"""The public three-lists pages (居务公开): no login, no personal data."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/public")
