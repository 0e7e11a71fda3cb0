"""Invitations and resource requests: the invitee's one-tap answer, the admin's invite
and request forms, the provider side's decision."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("invitations", __name__, url_prefix="/matching")
