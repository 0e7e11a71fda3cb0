"""一键认领: a unit claims places of a shift as a unit; its members claim the places it holds."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("unit_holds", __name__, url_prefix="/unit-holds")
