"""Matching pages: a need's ranked candidates, invitations, resource requests."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("matching", __name__, url_prefix="/matching")
