"""Reading a roster from an .xlsx file, and writing the blank template.

The header row names the columns, in Chinese or English (``COLUMNS``); the order of the
columns and any other column do not matter. Rows are numbered as Excel numbers them, so an
error says the row the admin sees in their spreadsheet.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn

import openpyxl
from flask_babel import gettext as _

from govhub.database import ServiceError

# Column key -> (the template's Chinese header, the English one, other accepted spellings).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name", "full name", "名字"),
    "phone": ("手机号", "phone", "mobile", "手机号码", "手机", "联系电话", "mobile number"),
    "community": ("社区编码", "community code", "社区代码"),
    "grid": ("网格编码", "grid code", "网格代码"),
    "skills": ("技能", "skills", "特长"),
    "party": ("党员", "party member", "是否党员"),
    "employer": ("工作单位", "employer unit", "employer", "单位"),
}
REQUIRED = ("name", "phone", "community")
# The header is looked for in the first rows (a title row above it is allowed); only so
# many columns are read.
HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 40


def _header_key(value) -> str:
    return re.sub(r"[\s_\-:：*（）()]", "", str(value or "")).lower()


_BY_HEADER = {_header_key(name): key for key, names in COLUMNS.items() for name in names}


@dataclass(frozen=True)
class SheetRow:
    number: int  # the Excel row number
    values: dict[str, str]  # column key -> the cell as text, stripped ("" when empty)


def cell_text(value) -> str:
    """A cell as the text the admin sees: 13800000001 typed as a number is "13800000001",
    not "13800000001.0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _refuse(message: str) -> NoReturn:
    raise ServiceError(message, field="file")


def read_rows(content: bytes, max_rows: int) -> list[SheetRow]:
    """The data rows of the first sheet of an .xlsx roster (empty rows left out), or a
    ``ServiceError`` at the ``file`` field: not an .xlsx, no header row, a required column
    missing, more than ``max_rows`` rows."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl cannot open is not a roster
        _refuse(_("This is not an Excel .xlsx file. Save the roster as .xlsx and upload it again."))
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            _refuse(_("This file has no sheet."))
        rows: list[SheetRow] = []
        columns: dict[int, str] | None = None
        for number, cells in enumerate(
            sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
        ):
            if columns is None:
                if number > HEADER_SEARCH_ROWS:
                    break
                found = {i: _BY_HEADER.get(_header_key(c)) for i, c in enumerate(cells)}
                found_keys = {k for k in found.values() if k}
                if {"name", "phone"} <= found_keys:
                    columns = {i: key for i, key in found.items() if key}
                continue
            values = {key: cell_text(cells[i]) for i, key in columns.items() if i < len(cells)}
            if not any(values.values()):
                continue
            if len(rows) >= max_rows:
                _refuse(
                    _(
                        "The roster has more than %(n)d rows. Split it into smaller files.",
                        n=max_rows,
                    )
                )
            rows.append(SheetRow(number, values))
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet inside a readable zip
        _refuse(_("This is not an Excel .xlsx file. Save the roster as .xlsx and upload it again."))
    finally:
        book.close()
    if columns is None:
        _refuse(
            _(
                "No header row found. The first row names the columns: %(columns)s.",
                columns="、".join(COLUMNS[key][0] for key in COLUMNS),
            )
        )
    missing = [key for key in REQUIRED if key not in set(columns.values())]
    if missing:
        _refuse(_("The column %(column)s is missing.", column=COLUMNS[missing[0]][0]))
    if not rows:
        _refuse(_("The roster has no rows below its header."))
    return rows


def template_xlsx() -> bytes:
    """A blank roster with the header row (Chinese names) and a sheet that explains it."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append([names[0] for names in COLUMNS.values()])
    for letter, width in zip("ABCDEFG", (12, 16, 16, 16, 24, 8, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("说明")
    help_sheet.append([_("Column"), _("What to write")])
    for key, explanation in (
        ("name", _("Required. At most 40 characters.")),
        ("phone", _("Required. 11-digit mainland mobile number starting with 1.")),
        ("community", _("Required. The code of the community in the org tree.")),
        ("grid", _("Optional. The code of a grid of that community.")),
        ("skills", _("Optional. Skills from the platform's list, separated by 、 , ，or ;")),
        ("party", _("Optional. 是 or 否 (yes / no, 1 / 0); empty is 否.")),
        ("employer", _("Optional. In-service party members' employer unit.")),
    ):
        help_sheet.append([f"{COLUMNS[key][0]} ({COLUMNS[key][1]})", explanation])
    help_sheet.column_dimensions["A"].width = 28
    help_sheet.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
