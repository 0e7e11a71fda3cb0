"""Tables out of govhub: CSV and Excel (.xlsx) files, streamed to the browser.

One implementation for every export (the oversight exports, the shop's settlement CSV,
the audit trail): a table is a header (a sequence of column names) and rows (an iterable
of sequences of cells: ``str``, ``int``, ``float`` or ``None`` for an empty cell).

- **CSV**: UTF-8 with a byte-order mark (so Excel opens the Chinese text correctly),
  written ``CSV_BATCH`` rows at a time as the rows arrive: the response is a generator and
  a city-wide export never sits in memory whole. Text that a spreadsheet would run as a
  formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
  quoted with a leading apostrophe (:func:`neutralise`); numbers are written as numbers.
- **Excel**: XlsxWriter in ``constant_memory`` mode, which writes each row to disk as it
  comes (no shared-string table, so memory does not grow with the rows), into an
  anonymous temporary file that is streamed back and removed when the response is
  closed. Every text cell is written as text, never as a formula, a number or a link;
  a sheet that reaches Excel's row limit continues on the next sheet.

:func:`stream_table` is the one entry point for a view::

    return stream_table("csv", "CA-vouchers-2026-11", header, rows,
                        display_name="金叶社区-兑换-2026年11月")
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any
from urllib.parse import quote

import xlsxwriter
from flask import Response, request, stream_with_context
from werkzeug.wsgi import wrap_file

Cell = str | int | float | None
FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 200  # rows per chunk of a streamed CSV
XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header row included
CHUNK_BYTES = 64 * 1024


def neutralise(value: Any) -> Any:
    """``value``, with text that a spreadsheet would run as a formula quoted ('=…)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cells(values: Iterable[Any]) -> list:
    """A row of a CSV file: every text cell neutralised, numbers left as numbers."""
    return [neutralise(v) for v in values]


def csv_chunks(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of a table in pieces of ``CSV_BATCH`` rows: the byte-order mark and
    the header first, then the rows as ``rows`` yields them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(cells(str(h) for h in header))
    pending = 0
    for row in rows:
        writer.writerow(cells(row))
        pending += 1
        if pending == CSV_BATCH:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV text of a small table (a shop's month of vouchers)."""
    return "".join(csv_chunks(header, rows))


_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, number: int = 1) -> str:
    """A valid Excel sheet name from ``title``: no []:*?/\\, at most 31 characters, and
    the sheet's number after the first ("志愿者 (2)")."""
    name = _SHEET_NAME_BAD.sub(" ", title).strip().strip("'") or "Sheet"
    suffix = f" ({number})" if number > 1 else ""
    return name[: 31 - len(suffix)] + suffix


def write_xlsx(
    target: str | IO[bytes],
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet",
) -> None:
    """Write the table to ``target`` (a path or a binary file) as one workbook, row by
    row (XlsxWriter's constant_memory mode)."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    names = [str(h) for h in header]
    sheets = 0

    def new_sheet():
        nonlocal sheets
        sheets += 1
        sheet = workbook.add_worksheet(sheet_name(title, sheets))
        for column, name in enumerate(names):
            sheet.write_string(0, column, name, bold)
        sheet.freeze_panes(1, 0)
        return sheet

    sheet = new_sheet()
    line = 0
    for row in rows:
        line += 1
        if line == XLSX_MAX_ROWS:
            sheet, line = new_sheet(), 1
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(line, column, value)
            elif isinstance(value, int | float):
                sheet.write_number(line, column, value)
            else:
                sheet.write_string(line, column, str(value))
    workbook.close()


# --- Responses ---------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_filename(name: str) -> str:
    """``name`` with every run of characters other than ASCII letters, digits, ``.``,
    ``_`` and ``-`` made one ``_`` (a filename any browser and file system accepts)."""
    return _UNSAFE.sub("_", name).strip("_.") or "export"


def content_disposition(filename: str, display_name: str | None = None) -> str:
    """``attachment`` with an ASCII ``filename`` and, for a name in another script, the
    RFC 5987 ``filename*`` (UTF-8, percent-encoded) that browsers prefer."""
    value = f'attachment; filename="{ascii_filename(filename)}"'
    if display_name:
        cleaned = display_name.replace("/", "-").replace("\\", "-")
        value += f"; filename*=UTF-8''{quote(cleaned, safe='')}"
    return value


def stream_table(
    fmt: str,
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    display_name: str | None = None,
    title: str | None = None,
) -> Response:
    """A download of the table ``header`` + ``rows`` as ``fmt`` ("csv" or "xlsx").

    ``filename`` is the file's name without its extension (made ASCII-safe);
    ``display_name``, when given, is the name a browser saves it under (any script, sent
    as RFC 5987 ``filename*``); ``title`` names the Excel sheet (default: the filename).

    CSV: ``rows`` is read while the response is sent (inside the request's context, so a
    generator may query the database as it goes). Excel: the workbook is written to a
    temporary file before the response starts, then streamed from it. Either way the
    response is never held in memory whole. Call it from a view (it needs the request).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    name = f"{filename}.{fmt}"
    shown = f"{display_name}.{fmt}" if display_name else None
    headers = {
        "Content-Disposition": content_disposition(name, shown),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if fmt == "csv":
        body = stream_with_context(chunk.encode("utf-8") for chunk in csv_chunks(header, rows))
        return Response(body, mimetype=MIMETYPES["csv"], headers=headers)
    file = tempfile.TemporaryFile(prefix="govhub-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        write_xlsx(file, header, rows, title=title or filename)
        size = os.fstat(file.fileno()).st_size
        file.seek(0)
    except BaseException:
        file.close()
        raise
    headers["Content-Length"] = str(size)
    # The file is closed (and so removed: it never had a name) when the response is.
    return Response(
        wrap_file(request.environ, file, CHUNK_BYTES),
        mimetype=MIMETYPES["xlsx"],
        headers=headers,
        direct_passthrough=True,
    )
