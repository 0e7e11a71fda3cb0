"""The liaison's page (联络员) and the quarterly service cards (服务登记卡)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("liaison", __name__, url_prefix="/liaison")
