"""Volunteers' points, hours and service records; leaderboards; adjustments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("points", __name__)
