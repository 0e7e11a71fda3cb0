"""The table writer (govhub/exports/writer.py) on its own: formula text, file names, the
sheet names and a table longer than an Excel sheet. No database."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from govhub.exports import writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+86 138", "'+86 138"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("张晓明", "张晓明"),
        ("a=b", "a=b"),
        (-1, -1),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_text_a_spreadsheet_would_run_is_quoted_and_numbers_are_not(value, written):
    assert writer.neutralise(value) == written


def test_the_csv_starts_with_the_byte_order_mark_and_comes_in_batches():
    rows = [(n, f"第{n}行", "=1+1") for n in range(writer.CSV_BATCH * 2 + 1)]
    chunks = list(writer.csv_chunks(["编号", "名称", "公式"], rows))
    assert len(chunks) == 3
    text = "".join(chunks)
    assert text.startswith("\ufeff编号,名称,公式\r\n")
    read = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert read[1] == ["0", "第0行", "'=1+1"]
    assert len(read) == len(rows) + 1


def test_a_table_longer_than_a_sheet_goes_on_in_the_next(monkeypatch):
    monkeypatch.setattr(writer, "XLSX_MAX_ROWS", 3)
    target = io.BytesIO()
    writer.write_xlsx(target, ["名称", "数"], [("甲", 1), ("乙", 2), ("丙", 3), ("丁", None)],
                      title="志愿者")  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(target.getvalue()))
    assert book.sheetnames == ["志愿者", "志愿者 (2)"]
    first, second = ([list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets)
    assert first == [["名称", "数"], ["甲", 1], ["乙", 2]]
    assert second == [["名称", "数"], ["丙", 3], ["丁", None]]


def test_excel_cells_keep_formula_text_as_text():
    target = io.BytesIO()
    writer.write_xlsx(target, ["a"], [('=HYPERLINK("http://x")',), ("http://x",), ("0012",)])
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue())).worksheets[0]
    assert [(c.value, c.data_type) for (c,) in sheet.iter_rows(min_row=2)] == [
        ('=HYPERLINK("http://x")', "s"),
        ("http://x", "s"),
        ("0012", "s"),
    ]
    assert not sheet._hyperlinks


@pytest.mark.parametrize(
    ("title", "name"),
    [("Units' reporting", "Units' reporting"), ("a/b:c*d?[e]\\f", "a b c d  e  f"),
     ("很" * 40, "很" * 31), ("", "Sheet")],
)  # fmt: skip
def test_sheet_names_are_what_excel_accepts(title, name):
    assert writer.sheet_name(title) == name
    assert len(writer.sheet_name(title, 12)) <= 31


def test_the_content_disposition_has_an_ascii_name_and_the_chinese_one():
    value = writer.content_disposition("CA-志愿者 2026/11.csv", "金叶社区-志愿者-2026年11月.csv")
    assert value == (
        "attachment; filename=\"CA-_2026_11.csv\"; filename*=UTF-8''"
        "%E9%87%91%E5%8F%B6%E7%A4%BE%E5%8C%BA-%E5%BF%97%E6%84%BF%E8%80%85-2026%E5%B9%B411%E6%9C%88.csv"
    )
    assert writer.content_disposition('a";b.csv') == 'attachment; filename="a_b.csv"'
    assert writer.ascii_filename("志愿者") == "export"
