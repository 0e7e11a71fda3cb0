"""扫一扫: the camera page, and the one endpoint that decides where a scanned code goes.

The page decodes QR codes in the browser (static/js/scan.js, jsQR) and asks
``scan.follow`` about each text it reads; without a camera (or without JavaScript) the
same endpoint takes a link typed or pasted into the page's form.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import login_required

from govhub.scan.targets import MAX_LENGTH, CodeRefused, sites, target_of

bp = Blueprint("scan", __name__)


@bp.get("/scan")
@login_required
def index():
    return render_template("scan/index.html", code="", error=None)


@bp.get("/scan/follow")
def follow():
    """Redirect to the govhub code in ``u``, or say why it is not one.

    The scanner's script asks with ``Accept: application/json`` and gets the verdict
    (``{"url": ...}`` or ``{"refused": ...}``) without leaving the camera page; the plain
    form gets a redirect, or the page again with the message beside the field. Not behind
    the login: every target asks for it itself and keeps the code through it.
    """
    text = request.args.get("u", "")
    known = sites(current_app.config.get("BASE_URL") or "", request.host, request.script_root)
    wants_json = (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )
    try:
        target = target_of(text, known)
    except CodeRefused as refused:
        if wants_json:
            response = jsonify(refused=str(refused.message))
        else:
            kept = text if len(text) <= MAX_LENGTH else ""
            response = make_response(
                render_template("scan/index.html", code=kept, error=refused.message), 422
            )
    else:
        response = jsonify(url=target) if wants_json else make_response(redirect(target, 303))
    response.vary.add("Accept")
    return response
