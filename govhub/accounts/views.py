"""Sign-up, sign-in, password, profile, display preferences; and user/role admin."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from govhub import permissions
from govhub.accounts import services
from govhub.accounts.forms import (
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    RevokeForm,
    SkillForm,
)
from govhub.accounts.models import RoleAssignment
from govhub.accounts.throttle import login_limits, submission_limits
from govhub.database import ServiceError, utcnow
from govhub.extensions import db, login_manager
from govhub.forms import form_status, refreshing_places, show_service_error
from govhub.needs.forms import WEEKDAYS
from govhub.permissions import Action
from govhub.security import safe_next

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(login_id: str):
    return services.load_session_user(login_id)


# Translated when flashed (str() of the lazy string), in the visitor's language.
login_manager.login_message = _l("Please log in to continue.")
login_manager.localize_callback = str


def _after_login_target(next_value: str | None = None) -> str:
    return safe_next(next_value) or url_for("main.home")


@bp.route("/register", methods=["GET", "POST"])
@submission_limits("register", lambda: request.form.get("phone"))
def register():
    if current_user.is_authenticated:
        return redirect(_after_login_target(request.args.get("next")))
    form = RegisterForm(next=request.args.get("next"))
    form.fill_place_choices()
    if not refreshing_places() and form.validate_on_submit():
        try:
            user = services.register(
                form.phone.data,
                form.name.data,
                form.password.data,
                form.community_id.data,
                form.grid_id.data,
                locale=session.get("locale"),
                elder_mode=bool(session.get("elder_mode")),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            return redirect(_after_login_target(form.next.data), 303)
    return render_template("accounts/register.html", form=form), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_after_login_target(form.next.data))
    if form.validate_on_submit():
        user = services.authenticate(form.phone.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            if user.locale is None and session.get("locale"):
                services.set_preferences(user.id, locale=session["locale"])
            return redirect(_after_login_target(form.next.data), 303)
        form.password.errors = [_("The mobile number or password is wrong.")]
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
@login_required
def logout():
    services.end_sessions(current_user.id)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.home"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = services.change_password(
                current_user.id, form.current_password.data, form.new_password.data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            # Every other session and "remember me" cookie is now void; keep this one.
            cookie_name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            remembered = request.cookies.get(cookie_name) is not None
            login_user(user, remember=remembered)
            flash(_("Password changed. You have been logged out on other devices."), "success")
            return redirect(url_for("main.home"), 303)
    return render_template("accounts/password.html", form=form), form_status(form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    form = (
        ProfileForm(obj=user.profile, name=user.name) if request.method == "GET" else ProfileForm()
    )
    if request.method == "GET" and user.profile is not None:
        form.set_place(user.profile.home)
        form.skills.data = [s.id for s in user.profile.skills]
        form.set_weekly(user.profile.weekly_availability)
    form.fill_place_choices()
    form.skills.choices = [(s.id, s.name) for s in services.all_skills()]
    if not refreshing_places() and form.validate_on_submit():
        try:
            services.update_profile(
                user.id,
                name=form.name.data,
                community_id=form.community_id.data,
                grid_id=form.grid_id.data,
                skill_ids=form.skills.data,
                is_party_member=form.is_party_member.data,
                employer_unit=form.employer_unit.data,
                availability=form.availability.data,
                weekly_slots=form.weekly.data or [],
                now=utcnow(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Profile saved."), "success")
            return redirect(url_for("accounts.profile"), 303)
    return render_template(
        "accounts/profile.html", form=form, weekdays=WEEKDAYS, day_parts=DAY_PARTS
    ), form_status(form)


# The weekly grid's rows (matching.scoring: part 0 before 12:00, 1 to 18:00, 2 after).
DAY_PARTS = [_l("Morning"), _l("Afternoon"), _l("Evening")]


@bp.post("/preferences/language")
def set_language():
    locale = request.form.get("locale")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        services.set_preferences(current_user.id, locale=locale)
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), 303)


@bp.post("/preferences/elder-mode")
def toggle_elder_mode():
    enabled = request.form.get("enabled") == "1"
    session["elder_mode"] = enabled
    if current_user.is_authenticated:
        services.set_preferences(current_user.id, elder_mode=enabled)
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), 303)


# --- System admin: users, roles, skills ----------------------------------------------


@bp.get("/admin/users")
@permissions.require(Action.MANAGE_ROLES)
def users():
    phone = (request.args.get("phone") or "").strip()
    user = services.find_by_phone(phone) if phone else None
    return render_template("accounts/users.html", phone=phone, user=user, revoke_form=RevokeForm())


@bp.post("/admin/roles/<int:assignment_id>/revoke")
@permissions.require(Action.MANAGE_ROLES)
def revoke_role(assignment_id: int):
    assignment = db.get_or_404(RoleAssignment, assignment_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    phone = assignment.user.phone
    try:
        services.revoke_role(current_user.id, assignment_id, form.reason.data or None)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("Role removed."), "success")
    return redirect(
        safe_next(request.form.get("next")) or url_for("accounts.users", phone=phone), 303
    )


@bp.route("/admin/skills", methods=["GET", "POST"])
@permissions.require(Action.MANAGE_ORGS)
def skills():
    form = SkillForm()
    if form.validate_on_submit():
        try:
            services.add_skill(current_user.id, form.name.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Skill added."), "success")
            return redirect(url_for("accounts.skills"), 303)
    return render_template(
        "accounts/skills.html", form=form, skills=services.all_skills()
    ), form_status(form)
