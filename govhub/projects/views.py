"""The projects list (项目清单): a community's projects, a project, units' proposals."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/projects")
