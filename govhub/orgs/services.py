"""The org tree: reading it, editing it and importing it from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from govhub.audit import services as audit
from govhub.database import ServiceError, bad_text_error, get_or_raise, transactional
from govhub.extensions import db
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.references import RefType

MAX_CODE = 32
MAX_NAME = 64


def children(parent_id: int | None, level: OrgLevel | None = None) -> list[OrgUnit]:
    query = select(OrgUnit).order_by(OrgUnit.code)
    query = query.where(
        OrgUnit.parent_id == parent_id if parent_id else OrgUnit.parent_id.is_(None)
    )
    if level is not None:
        query = query.where(OrgUnit.level == level)
    return list(db.session.scalars(query))


def units_at_level(level: OrgLevel, within: OrgUnit | None = None) -> list[OrgUnit]:
    query = select(OrgUnit).where(OrgUnit.level == level).order_by(OrgUnit.code)
    if within is not None:
        query = query.where(OrgUnit.subtree_clause(within.path))
    return list(db.session.scalars(query))


def subtree(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and everything under it, parents before children."""
    query = select(OrgUnit).where(OrgUnit.subtree_clause(unit.path)).order_by(OrgUnit.path)
    return list(db.session.scalars(query))


def ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """From the root down to the unit's parent."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    by_id = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [by_id[i] for i in ids]


def find_by_code(code: str) -> OrgUnit | None:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _clean(code: str, name: str) -> tuple[str, str]:
    code, name = (code or "").strip(), (name or "").strip()
    for key, value in (("code", code), ("name", name)):
        if error := bad_text_error(value):
            raise ServiceError(error, field=key)
    if not code:
        raise ServiceError(_("Enter a code."), field="code")
    if len(code) > MAX_CODE:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_CODE), field="code")
    if not name:
        raise ServiceError(_("Enter a name."), field="name")
    if len(name) > MAX_NAME:
        raise ServiceError(_("At most %(n)d characters.", n=MAX_NAME), field="name")
    return code, name


def _expected_level(parent: OrgUnit | None) -> OrgLevel | None:
    return parent.level.child if parent is not None else OrgLevel.city


def _insert(code: str, name: str, level: OrgLevel, parent: OrgUnit | None) -> OrgUnit:
    # The path needs the id, which the database assigns: insert with a unique
    # placeholder, then set the real path.
    unit = OrgUnit(code=code, name=name, level=level, parent=parent, path=f"new:{code}")
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    return unit


def _check_code_free(code: str, unit_id: int | None = None) -> None:
    query = select(func.count()).where(OrgUnit.code == code)
    if unit_id is not None:
        query = query.where(OrgUnit.id != unit_id)
    if db.session.scalar(query):
        raise ServiceError(_("Another unit already has this code."), field="code")


@transactional
def create_unit(actor_id: int | None, parent_id: int | None, code: str, name: str) -> OrgUnit:
    """Add a unit under ``parent_id`` (a city when there is no parent)."""
    parent = get_or_raise(OrgUnit, parent_id, _l("No such org unit.")) if parent_id else None
    level = _expected_level(parent)
    if level is None:
        raise ServiceError(_("A grid cannot have units under it."))
    code, name = _clean(code, name)
    _check_code_free(code)
    unit = _insert(code, name, level, parent)
    audit.record(actor_id, "org.created", RefType.org_unit, unit.id, code=code, name=name)
    return unit


@transactional
def update_unit(
    actor_id: int | None, unit_id: int, code: str, name: str, parent_id: int | None
) -> OrgUnit:
    """Rename, recode or move a unit; moving rewrites the paths of its whole subtree."""
    unit = get_or_raise(OrgUnit, unit_id, _l("No such org unit."))
    code, name = _clean(code, name)
    _check_code_free(code, unit.id)
    before = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id}
    unit.code, unit.name = code, name

    if parent_id != unit.parent_id:
        parent = get_or_raise(OrgUnit, parent_id, _l("No such org unit.")) if parent_id else None
        if _expected_level(parent) is not unit.level:
            raise ServiceError(
                _(
                    "A %(level)s must be placed under a %(parent)s.",
                    level=unit.level.label,
                    parent=unit.level.parent.label if unit.level.parent else "-",
                ),
                field="parent_id",
            )
        old_path = unit.path
        new_path = f"{parent.path if parent else '/'}{unit.id}/"
        db.session.flush()
        db.session.execute(
            update(OrgUnit)
            .where(OrgUnit.subtree_clause(old_path))
            .values(
                path=literal(new_path, String).concat(func.substr(OrgUnit.path, len(old_path) + 1))
            )
            .execution_options(synchronize_session=False)
        )
        unit.parent_id = parent.id if parent else None
        db.session.flush()
        db.session.expire_all()
    audit.record(
        actor_id,
        "org.updated",
        RefType.org_unit,
        unit_id,
        before=before,
        after={"code": code, "name": name, "parent_id": parent_id},
    )
    return db.session.get_one(OrgUnit, unit_id)


@transactional
def delete_unit(actor_id: int | None, unit_id: int) -> None:
    unit = get_or_raise(OrgUnit, unit_id, _l("No such org unit."))
    if unit.children:
        raise ServiceError(_("Remove or move the units under it first."))
    audit.record(actor_id, "org.deleted", RefType.org_unit, unit.id, code=unit.code, name=unit.name)
    db.session.delete(unit)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise ServiceError(
            _("This unit is still in use (by people, roles or partners) and cannot be deleted.")
        ) from error


# --- CSV import ----------------------------------------------------------------------

CSV_COLUMNS = ("code", "name", "level", "parent_code")


@dataclass
class ImportResult:
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    code: str
    name: str
    level: OrgLevel
    parent_code: str


class ImportRefused(ServiceError):
    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(_("Nothing was imported: fix the rows below and try again."))
        self.errors = errors


def decode_csv(data: bytes) -> str:
    """CSV files saved by spreadsheet programs in China are UTF-8 (often with a BOM) or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([(0, _("The file is not a text CSV file (UTF-8 or GB18030)."))])


def _lines(reader, errors: list[tuple[int, str]]):
    """The reader's rows with their line numbers; a line the csv module cannot read (a
    cell over its field limit, a stray quote) ends the file with an error at that line."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            errors.append((reader.line_num, _("This line cannot be read as CSV.")))
            return
        yield reader.line_num, values


def _parse(text: str) -> tuple[list[_Row], list[tuple[int, str]]]:
    reader = csv.reader(io.StringIO(text))
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != CSV_COLUMNS:
        return [], [
            (1, _("The first line must be the header: %(columns)s.", columns=",".join(CSV_COLUMNS)))
        ]
    levels = {level.value: level for level in OrgLevel}
    for line, values in _lines(reader, errors):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(CSV_COLUMNS):
            errors.append(
                (
                    line,
                    _(
                        "Expected %(n)d columns, found %(found)d.",
                        n=len(CSV_COLUMNS),
                        found=len(values),
                    ),
                )
            )
            continue
        code, name, level, parent_code = (v.strip() for v in values)
        if level.lower() not in levels:
            errors.append(
                (
                    line,
                    _(
                        "Unknown level %(level)s; use one of: %(levels)s.",
                        level=level,
                        levels=", ".join(levels),
                    ),
                )
            )
            continue
        try:
            code, name = _clean(code, name)
        except ServiceError as error:
            errors.append((line, error.message))
            continue
        rows.append(_Row(line, code, name, levels[level.lower()], parent_code))
    if not rows and not errors:
        errors.append((2, _("The file has no rows.")))
    return rows, errors


@transactional
def import_csv(actor_id: int | None, text: str) -> ImportResult:
    """Create the units in the CSV, and rename existing units with the same code.

    All or nothing: with any bad row, nothing is written and ``ImportRefused`` lists every
    bad row with its line number.
    """
    rows, errors = _parse(text)
    seen: dict[str, _Row] = {}
    for row in rows:
        if row.code in seen:
            errors.append(
                (
                    row.line,
                    _(
                        "The code %(code)s is also on line %(line)d.",
                        code=row.code,
                        line=seen[row.code].line,
                    ),
                )
            )
        else:
            seen[row.code] = row
    existing = {
        unit.code: unit
        for unit in db.session.scalars(
            select(OrgUnit).where(
                OrgUnit.code.in_(
                    [r.code for r in rows] + [r.parent_code for r in rows if r.parent_code]
                )
            )
        )
    }

    def level_of(code: str) -> OrgLevel | None:
        if code in seen:
            return seen[code].level
        return existing[code].level if code in existing else None

    for row in seen.values():
        current = existing.get(row.code)
        if row.level is OrgLevel.city:
            if row.parent_code:
                errors.append((row.line, _("A city has no parent code.")))
        elif not row.parent_code:
            errors.append((row.line, _("Enter the parent code.")))
        elif level_of(row.parent_code) is None:
            errors.append(
                (
                    row.line,
                    _(
                        "The parent code %(code)s is neither in the file nor in the tree.",
                        code=row.parent_code,
                    ),
                )
            )
        elif level_of(row.parent_code) is not row.level.parent:
            errors.append(
                (
                    row.line,
                    _(
                        "A %(level)s must be placed under a %(parent)s.",
                        level=row.level.label,
                        parent=row.level.parent.label if row.level.parent else "",
                    ),
                )
            )
        if current is not None:
            parent_code = current.parent.code if current.parent else ""
            if current.level is not row.level or parent_code != row.parent_code:
                errors.append(
                    (
                        row.line,
                        _(
                            "The code %(code)s already exists with another level or parent.",
                            code=row.code,
                        ),
                    )
                )

    if errors:
        raise ImportRefused(sorted(errors))

    result = ImportResult()
    for row in sorted(seen.values(), key=lambda r: r.level.rank):
        current = existing.get(row.code)
        if current is None:
            parent = existing.get(row.parent_code) if row.parent_code else None
            existing[row.code] = _insert(row.code, row.name, row.level, parent)
            result.created += 1
        elif current.name != row.name:
            current.name = row.name
            result.renamed += 1
        else:
            result.unchanged += 1
    audit.record(
        actor_id,
        "org.imported",
        RefType.org_unit,
        None,
        created=result.created,
        renamed=result.renamed,
    )
    return result


# --- Reading helpers for the tree editor ---------------------------------------------

SEARCH_LIMIT = 50


def search(text: str) -> list[OrgUnit]:
    """Units whose name contains ``text`` or whose code starts with it."""
    query = (
        select(OrgUnit)
        .where(
            OrgUnit.name.contains(text, autoescape=True)
            | OrgUnit.code.startswith(text, autoescape=True)
        )
        .order_by(OrgUnit.path)
        .limit(SEARCH_LIMIT)
    )
    return list(db.session.scalars(query))


def child_counts(unit: OrgUnit) -> dict[int, int]:
    """For each child of ``unit``, how many units sit directly under it."""
    child = OrgUnit.__table__.alias("child")
    rows = db.session.execute(
        select(OrgUnit.id, func.count(child.c.id))
        .join(child, child.c.parent_id == OrgUnit.id)
        .where(OrgUnit.parent_id == unit.id)
        .group_by(OrgUnit.id)
    )
    return dict(rows.all())


def parent_choices(unit: OrgUnit) -> list[tuple[int | str, str]]:
    """Where ``unit`` may be moved: every unit of the level above."""
    if unit.level.parent is None:
        return [("", "—")]
    return [(u.id, f"{u.name} ({u.code})") for u in units_at_level(unit.level.parent)]
