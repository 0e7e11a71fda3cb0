"""Form helpers shared by every domain."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm

from govhub.database import ServiceError


def optional_int(value) -> int | None:
    """A select's value as an int, or None for the empty choice."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def find_field(form, name: str):
    """The field called ``name`` (as in the HTML form), also inside FieldLists."""
    for field in form:
        if field.name == name:
            return field
        if field.type in ("FieldList", "FormField"):
            found = find_field(field, name)
            if found is not None:
                return found
    return None


def show_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal beside the field it concerns (or above the form)."""
    field = find_field(form, error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def refreshing_places() -> bool:
    """The no-JavaScript "Update the lists" button of the place selects was pressed."""
    return request.method == "POST" and "refresh_places" in request.form


def form_status(form: FlaskForm) -> int:
    """422 for a submitted form being shown again with errors, else 200."""
    return 422 if form.is_submitted() and not refreshing_places() else 200
