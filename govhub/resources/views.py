"""The resources list (资源清单): offer, browse, edit, withdraw and commit resources."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from govhub import permissions
from govhub.clock import local_date
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.forms import arg_int, form_status, show_service_error
from govhub.needs.forms import WEEKDAYS
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner
from govhub.permissions import Action
from govhub.resources import services
from govhub.resources.forms import CommitForm, ReasonForm, ResourceForm, WithdrawForm
from govhub.resources.models import (
    CommitmentStatus,
    Resource,
    ResourceCommitment,
    ResourceKind,
    ResourceStatus,
)

bp = Blueprint("resources", __name__, url_prefix="/resources")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page of the list is for signed-in people (the public three-lists page, with
    no contact data, is the next issue's)."""


@bp.app_context_processor
def _need_resources():
    """For the need page (needs/detail.html): the resources committed to a need."""
    return {"resources_committed_to": services.committed_to_need}


def _kind_arg() -> ResourceKind | None:
    value = request.args.get("kind", "")
    return ResourceKind(value) if value in ResourceKind.__members__ else None


def _communities() -> list[OrgUnit]:
    """The communities whose list the switcher offers: where the person is an admin, and
    their home."""
    units = list(permissions.admin_communities(current_user))[: services.LIST_LIMIT]
    home = current_user.profile.community if current_user.profile else None
    if home is not None and all(unit.id != home.id for unit in units):
        units.insert(0, home)
    return units


@bp.get("/")
def index():
    """What is on offer to a community (the person's own by default)."""
    communities = _communities()
    chosen_id = arg_int("community")
    community = db.session.get(OrgUnit, chosen_id) if chosen_id else None
    if community is None or community.level is not OrgLevel.community:
        community = communities[0] if communities else None
    kind = _kind_arg()
    return render_template(
        "resources/index.html",
        community=community,
        communities=communities,
        kind=kind,
        kinds=list(ResourceKind),
        resources=services.serving(community, kind) if community else [],
    )


@bp.get("/area")
@permissions.require(Action.VIEW_AREA_RESOURCES)
def area():
    """The resources of the subtree an admin runs or oversees, in every status."""
    kind = _kind_arg()
    status_value = request.args.get("status", "")
    status = ResourceStatus(status_value) if status_value in ResourceStatus.__members__ else None
    return render_template(
        "resources/area.html",
        resources=services.in_scope(permissions.resource_scope(current_user), kind, status),
        kind=kind,
        kinds=list(ResourceKind),
        status=status,
        statuses=list(ResourceStatus),
        can_record=permissions.can(current_user, Action.RECORD_RESOURCE_ON_BEHALF),
    )


@bp.get("/mine")
def mine():
    today = local_date(utcnow())
    return render_template(
        "resources/mine.html",
        resources=services.of_provider(current_user, today),
        partners=[
            p
            for p in permissions.staffed_partners(current_user)
            if permissions.can(current_user, Action.OFFER_RESOURCE, p)
        ],
    )


# --- Offering and editing ----------------------------------------------------------------


def _provider_from_request() -> tuple[services.Provider, Partner | None]:
    """Whom the new resource is offered for: ``?partner=<id>`` (its staff), ``?behalf=1``
    (a community admin, for a unit without an account), else the person themself."""
    partner_id = arg_int("partner")
    if partner_id is not None:
        partner = permissions.get_or_403(Partner, partner_id, Action.OFFER_RESOURCE)
        return services.Provider(partner_id=partner.id), partner
    if request.args.get("behalf") == "1":
        permissions.authorize(Action.RECORD_RESOURCE_ON_BEHALF)
        return services.Provider(on_behalf=True), None
    return services.Provider(), None


@bp.route("/new", methods=["GET", "POST"])
def new():
    provider, partner = _provider_from_request()
    form = ResourceForm()
    areas = services.area_choices(current_user, provider)
    form.set_areas(areas)
    if request.method == "GET":
        default = partner.community if partner else None
        if default is None and current_user.profile and not provider.on_behalf:
            default = current_user.profile.community
        if default is not None:
            form.area_id.data = default.id
        form.contact_name.data = current_user.name
    if form.validate_on_submit():
        try:
            resource = services.offer(current_user.id, provider, form.input(), now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(title)s is on the resources list.", title=resource.title), "success")
            return redirect(url_for("resources.detail", resource_id=resource.id), 303)
    return render_template(
        "resources/form.html", form=form, resource=None, provider=provider, partner=partner
    ), form_status(form)


@bp.route("/<int:resource_id>/edit", methods=["GET", "POST"])
def edit(resource_id: int):
    resource = permissions.get_or_403(Resource, resource_id, Action.EDIT_RESOURCE)
    provider = services.provider_of(resource)
    form = ResourceForm()
    areas = services.area_choices(current_user, provider)
    if all(unit.id != resource.area_id for unit in areas):
        areas.append(resource.area)
    form.set_areas(areas)
    if request.method == "GET":
        form.fill_from(resource)
    if form.validate_on_submit():
        try:
            services.edit(current_user.id, resource.id, form.input(), now=utcnow())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("resources.detail", resource_id=resource.id), 303)
    return render_template(
        "resources/form.html",
        form=form,
        resource=resource,
        provider=provider,
        partner=resource.partner,
    ), form_status(form)


def _on_prefixed(form, error: ServiceError) -> ServiceError:
    """A service names the field "reason"; on a prefixed form it is "<prefix>reason"."""
    if error.field:
        error.field = f"{form._prefix}{error.field}"
    return error


def _release_form(commitment_id: int, formdata=None) -> ReasonForm:
    # One form per commitment on the page, each with its own field ids.
    if formdata is None:
        return ReasonForm(formdata=None, prefix=f"release-{commitment_id}")
    return ReasonForm(prefix=f"release-{commitment_id}")


def _detail_page(resource: Resource, status: int = 200, *, withdraw_form=None, submitted=None):
    """The resource's page; ``submitted`` is a release form sent back with its error."""
    can = permissions.can
    commitments = services.commitments_of(resource.id)
    release_forms = {
        c.id: _release_form(c.id)
        for c in commitments
        if c.status is CommitmentStatus.active and can(current_user, Action.RELEASE_COMMITMENT, c)
    }
    if submitted is not None:
        release_forms[submitted[0]] = submitted[1]
    return render_template(
        "resources/detail.html",
        resource=resource,
        commitments=commitments,
        can_edit=can(current_user, Action.EDIT_RESOURCE, resource),
        can_commit=can(current_user, Action.COMMIT_RESOURCE, resource),
        can_see_contact=can(current_user, Action.SEE_RESOURCE_CONTACT, resource),
        release_forms=release_forms,
        weekdays=[str(choice.label) for choice in WEEKDAYS],
        withdraw_form=withdraw_form or WithdrawForm(formdata=None, prefix="withdraw"),
    ), status


@bp.get("/<int:resource_id>")
def detail(resource_id: int):
    resource = permissions.get_or_403(Resource, resource_id, Action.VIEW_RESOURCE)
    return _detail_page(resource)


@bp.post("/<int:resource_id>/withdraw")
def withdraw(resource_id: int):
    resource = permissions.get_or_403(Resource, resource_id, Action.EDIT_RESOURCE)
    form = WithdrawForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            services.withdraw(current_user.id, resource.id, form.reason.data or "", now=utcnow())
        except ServiceError as error:
            show_service_error(form, _on_prefixed(form, error))
        else:
            flash(_("Withdrawn: nothing more can be committed."), "success")
            return redirect(url_for("resources.detail", resource_id=resource.id), 303)
    return _detail_page(resource, 422, withdraw_form=form)


# --- Committing ------------------------------------------------------------------------


def _commit_page(resource: Resource, form: CommitForm, status: int = 200):
    return render_template("resources/commit.html", resource=resource, form=form), status


@bp.route("/<int:resource_id>/commit", methods=["GET", "POST"])
def commit(resource_id: int):
    resource = permissions.get_or_403(Resource, resource_id, Action.COMMIT_RESOURCE)
    now = utcnow()
    form = CommitForm()
    form.set_needs(services.needs_to_commit(resource))
    form.set_projects(services.projects_to_commit(resource))
    if request.method == "GET":
        form.need_id.data = arg_int("need")
        form.project_id.data = arg_int("project")
    if form.validate_on_submit():
        try:
            services.commit(
                current_user.id,
                resource.id,
                form.quantity.data,
                need_id=form.need_id.data,
                project_id=form.project_id.data,
                purpose=form.purpose.data or "",
                key=form.key.data,
                now=now,
            )
        except ServiceError as error:
            show_service_error(form, error)
            form.renew_key()
        else:
            db.session.refresh(resource)
            flash(
                _(
                    "Committed. %(n)d %(unit)s left.",
                    n=resource.remaining,
                    unit=resource.unit_label,
                ),
                "success",
            )
            return redirect(url_for("resources.detail", resource_id=resource.id), 303)
    form.move_key_errors()
    return _commit_page(resource, form, form_status(form))


@bp.post("/commitments/<int:commitment_id>/release")
def release(commitment_id: int):
    commitment = permissions.get_or_403(
        ResourceCommitment, commitment_id, Action.RELEASE_COMMITMENT
    )
    form = _release_form(commitment.id, request.form)
    if form.validate_on_submit():
        try:
            services.release(current_user.id, commitment.id, form.reason.data, now=utcnow())
        except ServiceError as error:
            show_service_error(form, _on_prefixed(form, error))
        else:
            flash(_("Released: it is available again."), "success")
            return redirect(url_for("resources.detail", resource_id=commitment.resource_id), 303)
    return _detail_page(commitment.resource, 422, submitted=(commitment.id, form))
