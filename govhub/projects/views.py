"""The projects list (项目清单): a community's projects, a project, units' proposals."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from govhub import permissions
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import arg_int, form_status, show_service_error
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.projects import services
from govhub.projects.forms import CompleteForm, ProjectForm, ProposalForm, ReasonForm
from govhub.projects.models import Project, ProjectPhoto, ProjectStatus, project_need

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.before_request
@login_required
def _signed_in() -> None:
    """The internal pages are for signed-in people; the public page is ``public``'s."""


@bp.app_context_processor
def _need_project():
    """For the need's manage page (needs/manage_need.html): the project it is part of."""

    def project_of_need(need_id: int) -> Project | None:
        return db.session.scalar(
            select(Project)
            .join(project_need, project_need.c.project_id == Project.id)
            .where(project_need.c.need_id == need_id)
        )

    return {"project_of_need": project_of_need}


def _redirect(project: Project):
    return redirect(url_for("projects.detail", project_id=project.id), 303)


# --- A community's list, recording a project ------------------------------------------


@bp.get("/communities/<int:community_id>")
def index(community_id: int):
    """A community's projects list: kept by its admins, read by the offices above."""
    community = permissions.get_or_403(OrgUnit, community_id, Action.READ_PROJECTS)
    status = request.args.get("status", "")
    chosen = ProjectStatus(status) if status in ProjectStatus.__members__ else None
    year = local_date(utcnow()).year
    return render_template(
        "projects/index.html",
        community=community,
        projects=services.for_community(community.id, chosen),
        status=chosen,
        statuses=list(ProjectStatus),
        figures=services.figures(community.id, year),
        year=year,
        manages=permissions.can(current_user, Action.MANAGE_PROJECTS, community),
    )


@bp.route("/communities/<int:community_id>/new", methods=["GET", "POST"])
def new(community_id: int):
    community = permissions.get_or_403(OrgUnit, community_id, Action.MANAGE_PROJECTS)
    form = ProjectForm()
    form.fill_choices(services.needs_to_add(community.id), services.partners_to_name(community))
    if request.method == "GET" and (need_id := arg_int("need")):
        form.need_ids.data = [need_id]
        chosen = next((n for n in services.needs_to_add(community.id) if n.id == need_id), None)
        if chosen is not None:
            form.title.data = chosen.title
    if form.validate_on_submit():
        try:
            project = services.record(
                current_user.id,
                community.id,
                form.data_input(),
                form.need_ids.data or [],
                form.partner_ids.data or [],
                now=utcnow(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("「%(title)s」is on the projects list.", title=project.title), "success")
            return _redirect(project)
    return render_template(
        "projects/form.html", form=form, community=community, project=None
    ), form_status(form)


# --- One project ---------------------------------------------------------------------


@bp.get("/<int:project_id>")
def detail(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.VIEW_PROJECT)
    return _detail_page(project)


def _detail_page(project: Project, *, reason_form: ReasonForm | None = None, status: int = 200):
    return render_template(
        "projects/detail.html",
        project=project,
        info=services.detail(project),
        can_edit=permissions.can(current_user, Action.EDIT_PROJECT, project),
        can_decide=permissions.can(current_user, Action.DECIDE_PROPOSAL, project),
        reason_form=reason_form or ReasonForm(),
        ProjectStatus=ProjectStatus,
    ), status


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
def edit(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.EDIT_PROJECT)
    if project.status is not ProjectStatus.active:
        flash(_("Only a project under way can be changed."), "error")
        return _redirect(project)
    form = ProjectForm()
    community = project.community
    form.fill_choices(
        services.needs_to_add(community.id, project.id), services.partners_to_name(community)
    )
    if request.method == "GET":
        form.prefill(project)
    if form.validate_on_submit():
        try:
            services.edit(
                current_user.id,
                project.id,
                form.data_input(),
                form.need_ids.data or [],
                form.partner_ids.data or [],
                now=utcnow(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Saved."), "success")
            return _redirect(project)
    return render_template(
        "projects/form.html", form=form, community=community, project=project
    ), form_status(form)


@bp.route("/<int:project_id>/complete", methods=["GET", "POST"])
def complete(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.EDIT_PROJECT)
    if project.status is not ProjectStatus.active:
        flash(_("Only a project under way can be completed."), "error")
        return _redirect(project)
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            services.complete(
                current_user.id,
                project.id,
                people_served=form.people_served.data,
                outcome=form.outcome.data or "",
                photos=form.photo_uploads(),
                published=bool(form.published.data),
                now=utcnow(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Completed: the outcome is recorded."), "success")
            return _redirect(project)
    return render_template(
        "projects/complete.html", form=form, project=project, info=services.detail(project)
    ), form_status(form)


@bp.post("/<int:project_id>/cancel")
def cancel(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.EDIT_PROJECT)
    return _with_reason(project, services.cancel, _("The project is cancelled."))


def _with_reason(project: Project, change, done: str):
    """Run ``change(actor, project_id, reason, now=)`` with the reason form's reason: back
    to the project when it went through, else its page with the error at the field."""
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            change(current_user.id, project.id, form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(done, "success")
            return _redirect(project)
    return _detail_page(project, reason_form=form, status=422)


@bp.post("/<int:project_id>/publish")
def publish(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.EDIT_PROJECT)
    published = request.form.get("published") == "1"
    try:
        services.set_published(current_user.id, project.id, published, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(
            _("It is on the public page now.") if published else _("It is off the public page."),
            "success",
        )
    return _redirect(project)


@bp.get("/photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    """A re-encoded photo for the project's internal page (the public page serves
    published ones itself)."""
    item = db.session.get(ProjectPhoto, photo_id)
    if item is None:
        abort(404)
    permissions.authorize(Action.VIEW_PROJECT, item.project)
    response = make_response(item.data)
    response.headers["Content-Type"] = "image/jpeg"
    # Its id changes with every upload; private: the project may not be published.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


# --- 项目认领: proposals ------------------------------------------------------------


@bp.post("/<int:project_id>/accept")
def accept(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.DECIDE_PROPOSAL)
    try:
        services.accept_proposal(current_user.id, project.id, now=utcnow())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(_("The proposal is on the projects list now."), "success")
    return _redirect(project)


@bp.post("/<int:project_id>/decline")
def decline(project_id: int):
    project = permissions.get_or_403(Project, project_id, Action.DECIDE_PROPOSAL)
    return _with_reason(
        project, services.decline_proposal, _("The proposal is declined; the unit is told why.")
    )


@bp.get("/units/<int:partner_id>")
def unit(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.PROPOSE_PROJECT)
    return render_template(
        "projects/unit.html", partner=partner, projects=services.of_partner(partner.id)
    )


@bp.route("/units/<int:partner_id>/propose", methods=["GET", "POST"])
def propose(partner_id: int):
    partner = permissions.get_or_403(Partner, partner_id, Action.PROPOSE_PROJECT)
    communities = services.proposal_communities(partner.id, local_date(utcnow()))
    form = ProposalForm()
    form.community_id.choices = [("", _("Choose…"))] + [(c.id, c.name) for c in communities]
    if form.validate_on_submit():
        try:
            project = services.propose(
                current_user.id,
                partner.id,
                form.community_id.data,
                form.data_input(),
                form.offer.data or "",
                now=utcnow(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _(
                    "Sent to %(community)s; you will be told when it decides.",
                    community=project.community.name,
                ),
                "success",
            )
            return _redirect(project)
    return render_template(
        "projects/propose.html", form=form, partner=partner, communities=communities
    ), form_status(form)
