"""The resources list (资源清单): offer, browse, edit, withdraw and commit resources."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("resources", __name__, url_prefix="/resources")
