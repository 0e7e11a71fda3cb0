"""The org tree: the cascading place selects, and the system admin's tree editor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govhub import permissions
from govhub.accounts import services as accounts
from govhub.accounts.forms import AssignRoleForm
from govhub.database import ServiceError
from govhub.forms import arg_int, form_status, show_service_error
from govhub.htmx import render
from govhub.orgs import services
from govhub.orgs.forms import ImportForm, PlaceForm, UnitForm
from govhub.orgs.models import OrgUnit
from govhub.permissions import Action

bp = Blueprint("orgs", __name__)


@bp.get("/places")
def place_fields():
    """The cascading selects, re-filled for the values chosen so far (htmx fragment)."""
    form = PlaceForm(request.args)
    form.fill_place_choices()
    return render("orgs/places.html", "orgs/_place_fields.html", form=form)


@bp.get("/admin/orgs")
@permissions.require(Action.MANAGE_ORGS)
def tree():
    query = (request.args.get("q") or "").strip()
    results = services.search(query) if query else None
    return render_template(
        "orgs/tree.html", roots=services.children(None), results=results, query=query
    )


@bp.get("/admin/orgs/<int:unit_id>")
@permissions.require(Action.MANAGE_ORGS)
def unit(unit_id: int):
    unit = permissions.get_or_403(OrgUnit, unit_id, Action.MANAGE_ORGS)
    return _unit_page(unit, AssignRoleForm())


def _unit_page(unit: OrgUnit, role_form: AssignRoleForm, status: int = 200):
    role_form.fill_roles_for(unit)
    return render_template(
        "orgs/unit.html",
        unit=unit,
        ancestors=services.ancestors(unit),
        children=services.children(unit.id),
        child_counts=services.child_counts(unit),
        holders=accounts.role_holders(unit.id),
        role_form=role_form,
    ), status


@bp.post("/admin/orgs/<int:unit_id>/roles")
@permissions.require(Action.MANAGE_ROLES)
def assign_role(unit_id: int):
    unit = permissions.get_or_403(OrgUnit, unit_id, Action.MANAGE_ROLES)
    form = AssignRoleForm()
    form.fill_roles_for(unit)
    if form.validate_on_submit():
        user = accounts.find_by_phone(form.phone.data)
        try:
            if user is None:
                raise ServiceError(_("No account has this phone number."), field="phone")
            accounts.assign_role(current_user.id, user.id, form.role_value(), org_unit_id=unit.id)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Role given to %(name)s.", name=user.name), "success")
            return redirect(url_for("orgs.unit", unit_id=unit.id), 303)
    return _unit_page(unit, form, 422)


@bp.route("/admin/orgs/new", methods=["GET", "POST"])
@permissions.require(Action.MANAGE_ORGS)
def new_unit():
    parent_id = arg_int("parent")
    parent = permissions.get_or_403(OrgUnit, parent_id, Action.MANAGE_ORGS) if parent_id else None
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = services.create_unit(
                current_user.id, parent.id if parent else None, form.code.data, form.name.data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(name)s added.", name=unit.name), "success")
            return redirect(url_for("orgs.unit", unit_id=unit.id), 303)
    return render_template("orgs/edit.html", form=form, parent=parent, unit=None), form_status(form)


@bp.route("/admin/orgs/<int:unit_id>/edit", methods=["GET", "POST"])
@permissions.require(Action.MANAGE_ORGS)
def edit_unit(unit_id: int):
    unit = permissions.get_or_403(OrgUnit, unit_id, Action.MANAGE_ORGS)
    form = UnitForm(obj=unit)
    form.parent_id.choices = services.parent_choices(unit)
    if form.validate_on_submit():
        try:
            services.update_unit(
                current_user.id, unit.id, form.code.data, form.name.data, form.parent_id.data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("orgs.unit", unit_id=unit_id), 303)
    return render_template("orgs/edit.html", form=form, parent=unit.parent, unit=unit), form_status(
        form
    )


@bp.post("/admin/orgs/<int:unit_id>/delete")
@permissions.require(Action.MANAGE_ORGS)
def delete_unit(unit_id: int):
    unit = permissions.get_or_403(OrgUnit, unit_id, Action.MANAGE_ORGS)
    parent_id, name = unit.parent_id, unit.name
    try:
        services.delete_unit(current_user.id, unit_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("orgs.unit", unit_id=unit_id), 303)
    flash(_("%(name)s deleted.", name=name), "success")
    return redirect(
        url_for("orgs.unit", unit_id=parent_id) if parent_id else url_for("orgs.tree"), 303
    )


@bp.route("/admin/orgs/import", methods=["GET", "POST"])
@permissions.require(Action.MANAGE_ORGS)
def import_tree():
    form = ImportForm()
    errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        try:
            text = services.decode_csv(form.file.data.read())
            result = services.import_csv(current_user.id, text)
        except services.ImportRefused as refused:
            errors = refused.errors
            form.file.errors = [refused.message]
        else:
            flash(
                _(
                    "Imported: %(created)d added, %(renamed)d renamed, %(unchanged)d unchanged.",
                    created=result.created,
                    renamed=result.renamed,
                    unchanged=result.unchanged,
                ),
                "success",
            )
            return redirect(url_for("orgs.tree"), 303)
    return render_template("orgs/import.html", form=form, errors=errors), form_status(form)
