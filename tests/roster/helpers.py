"""Rosters as .xlsx bytes, and the people and admins the roster tests start from."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import func, select

from govhub.accounts import services as accounts
from govhub.extensions import db

HEADER = ["姓名", "手机号", "社区编码", "网格编码", "技能", "党员", "工作单位"]


def roster_xlsx(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, filename: str = "花名册.xlsx"):
    return client.post(
        "/roster/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def batch_id_of(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/roster/batches/(\d+)", response.headers["Location"]).group(1))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def add_skill(name: str, actor_id: int) -> None:
    accounts.add_skill(actor_id, name)


def slip_codes(html: str) -> list[str]:
    return re.findall(r'class="slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', html)
