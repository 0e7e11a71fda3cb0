"""The oversight exports (导出): each dataset downloaded as CSV and Excel, read back with
the ``csv`` module and openpyxl, for a street admin who must never get the other
street's rows; who may export; what a bad unit or period gives. Every test runs on
SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from govhub.exports.datasets import DATASETS
from tests.exports.helpers import (
    FORMULA_TITLE,
    period_args,
    read_csv,
    read_xlsx,
    xlsx_cells,
)
from tests.factories import PASSWORD

# The Chinese headers the national system's import expects (README, "Exports").
NATIONAL_HEADER = [
    "志愿者姓名",
    "证件类型",
    "证件号码",
    "手机号",
    "项目名称",
    "服务开始时间",
    "服务结束时间",
    "服务时长（小时）",
    "服务地点",
    "服务类别",
    "所属组织",
    "记录方式",
    "确认时间",
    "govhub记录号",
]

# Per dataset: text of North Street's rows, and text only South Street's rows hold.
NORTH_AND_SOUTH = {
    "service-records": ("张晓明", "王芳"),
    "volunteers": ("张晓明", "王芳"),
    "needs": (FORMULA_TITLE, "南街巡防"),
    "points": ("Alpha Community", "Gamma Community"),
    "redemptions": ("早餐券", "理发券"),
    "unit-reports": ("咸安区税务局", "温泉供电所"),
}


def url(dataset: str, fmt: str, world, unit: int | str | None = None, **extra) -> str:
    args = {"unit": world.tree.street if unit is None else unit, **period_args(world), **extra}
    query = "&".join(f"{k}={quote(str(v))}" for k, v in args.items())
    return f"/oversight/exports/{dataset}.{fmt}?{query}"


def download(client, address: str):
    """GET ``address`` and read the whole body inside the request's own context (the
    ``IsolatedClient`` runs each request in a context of its own; a streamed body read
    later, outside it, would leave Flask's contexts in the wrong one)."""
    return client.get(address, buffered=True)


def text(rows) -> str:
    return "\n".join("\t".join(str(cell) for cell in row) for row in rows)


@pytest.mark.parametrize("dataset", list(NORTH_AND_SOUTH))
def test_a_street_admin_gets_the_streets_rows_in_csv_and_excel_and_never_the_other_streets(
    client, auth, world, dataset
):
    auth.login(world.north.phone)
    north, south = NORTH_AND_SOUTH[dataset]
    found = {}
    for fmt, read in (("csv", read_csv), ("xlsx", read_xlsx)):
        response = download(client, url(dataset, fmt, world))
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        found[fmt] = read(response)
        body = text(found[fmt])
        assert north in body
        assert south not in body
    # Both formats hold the same table under the same header: the dataset's, translated
    # (Chinese by default; the national layout's is checked below).
    assert found["csv"][0] == found["xlsx"][0]
    if dataset != "service-records":
        assert found["csv"][0] == DATASETS[dataset].header()
    assert len(found["csv"]) == len(found["xlsx"]) >= 2


def test_the_other_streets_admin_gets_only_their_own_street(client, auth, world):
    auth.login(world.south.phone)
    assert download(client, url("volunteers", "csv", world)).status_code == 403
    rows = read_csv(download(client, url("volunteers", "csv", world, unit=world.tree.street2)))
    names = {row[1] for row in rows[1:]}
    assert "王芳" in names and "张晓明" not in names


def test_the_national_layout_has_the_chinese_columns_and_leaves_the_id_columns_empty(
    client, auth, world
):
    auth.login(world.north.phone)
    # The pages in English: the national layout stays in Chinese.
    client.post("/preferences/language", data={"locale": "en"})
    rows = read_csv(download(client, url("service-records", "csv", world)))
    assert rows[0] == NATIONAL_HEADER
    (zhang,) = [row for row in rows[1:] if row[0] == "张晓明"]
    assert zhang[1] == "" and zhang[2] == ""  # no identity documents in govhub
    assert zhang[3] == f"{world.zhang.phone[:3]}****{world.zhang.phone[-4:]}"
    assert zhang[4] == "'" + FORMULA_TITLE  # formula text quoted
    assert zhang[7] == "2.0"
    assert zhang[9] == "助老服务"
    assert zhang[10] == "Alpha Community"
    assert zhang[11] == "本人扫码"
    assert zhang[5].endswith("08:00:00") and zhang[6].endswith("10:00:00")
    xlsx = read_xlsx(download(client, url("service-records", "xlsx", world)))
    assert xlsx[0] == NATIONAL_HEADER
    assert [row[7] for row in xlsx[1:]] == [2]  # a number, not text


def test_formula_text_is_quoted_in_csv_and_kept_as_text_in_excel(client, auth, world):
    auth.login(world.north.phone)
    rows = read_csv(download(client, url("needs", "csv", world)))
    (need,) = rows[1:]
    assert need[3] == "'" + FORMULA_TITLE
    assert need[8:] == ["20", "1", "5.0"]  # places offered, filled, fill rate
    sheet = xlsx_cells(download(client, url("needs", "xlsx", world)))
    cell = sheet.cell(row=2, column=4)
    assert cell.value == FORMULA_TITLE
    assert cell.data_type == "s"  # text, not a formula ("f")
    assert sheet.cell(row=2, column=9).value == 20


def test_phones_are_whole_for_the_communitys_admin_and_masked_for_the_street(client, auth, world):
    phone = world.zhang.phone
    auth.login(world.alpha.phone)
    rows = read_csv(download(client, url("volunteers", "csv", world, unit=world.tree.community_a)))
    assert [row[2] for row in rows[1:] if row[1] == "张晓明"] == [phone]
    auth.logout()
    auth.login(world.north.phone)
    rows = read_csv(download(client, url("volunteers", "csv", world)))
    assert [row[2] for row in rows[1:] if row[1] == "张晓明"] == [f"{phone[:3]}****{phone[-4:]}"]
    assert phone not in text(rows)


def test_volunteers_carry_their_hours_star_level_and_balance(client, auth, world):
    auth.login(world.north.phone)
    rows = read_xlsx(download(client, url("volunteers", "xlsx", world)))
    header = rows[0]
    (zhang,) = [row for row in rows[1:] if row[1] == "张晓明"]
    record = dict(zip(header, zhang, strict=True))
    assert record["本期服务时长（小时）"] == 2
    assert record["累计服务时长（小时）"] == 2
    assert record["星级"] == 0
    assert record["积分余额"] == 100  # 20 earned + 100 credited - 20 for breakfast
    assert record["社区"] == "Alpha Community"
    assert record["在职党员"] == "否"


def test_points_per_community_hold_every_community_of_the_street(client, auth, world):
    auth.login(world.north.phone)
    rows = read_csv(download(client, url("points", "csv", world)))
    by_code = {row[1]: row for row in rows[1:]}
    assert sorted(by_code) == ["CA", "CB"]
    alpha = by_code["CA"]
    assert alpha[0] == "North Street"
    # issued, redeemed, refunded, expired, adjusted, balance at the end
    assert alpha[4:] == ["20", "20", "0", "0", "100", "100"]
    assert by_code["CB"][4:] == ["0", "0", "0", "0", "0", "0"]


def test_unit_reports_carry_the_completion(client, auth, world):
    auth.login(world.north.phone)
    rows = read_csv(download(client, url("unit-reports", "csv", world)))
    (tax,) = rows[1:]
    assert tax[1:7] == ["咸安区税务局", "Alpha Community", "张晓明", "10", "1", "10.0"]


def test_redemptions_carry_the_voucher_and_a_masked_phone(client, auth, world):
    auth.login(world.north.phone)
    rows = read_csv(download(client, url("redemptions", "csv", world)))
    (voucher,) = rows[1:]
    assert voucher[1:6] == ["香城惠民超市", "Alpha Community", "早餐券", "20", "张晓明"]
    assert "****" in voucher[6]
    assert voucher[8] == "待使用"


def test_the_filename_names_the_unit_the_dataset_and_the_period(client, auth, world):
    auth.login(world.north.phone)
    response = download(client, url("volunteers", "xlsx", world, period="month", month="2026-11"))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="S1-volunteers-2026-11.xlsx"')
    assert "filename*=UTF-8''" + quote("North Street-志愿者-2026年11月.xlsx", safe="") in (
        disposition
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.mimetype.endswith("spreadsheetml.sheet")


def test_the_csv_response_is_streamed(plain_client, world):
    plain_client.post("/login", data={"phone": world.north.phone, "password": PASSWORD})
    response = plain_client.get(url("service-records", "csv", world))
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    chunks = list(response.response)
    assert b"".join(chunks).decode("utf-8-sig").splitlines()[0].startswith("志愿者姓名,")
    response.close()


# -- who may export ------------------------------------------------------------------------


def test_a_volunteer_and_a_visitor_get_no_export(client, auth, world):
    assert download(client, url("volunteers", "csv", world)).status_code == 302  # to log in
    auth.login(world.outsider.phone)
    assert client.get("/oversight/exports/").status_code == 403
    assert download(client, url("volunteers", "csv", world)).status_code == 403
    assert download(client, url("volunteers", "xlsx", world)).status_code == 403


def test_a_community_admin_exports_their_community_not_the_street(client, auth, world):
    auth.login(world.alpha.phone)
    assert download(client, url("needs", "csv", world)).status_code == 403
    other = url("needs", "csv", world, unit=world.tree.community_b)
    assert download(client, other).status_code == 403
    rows = read_csv(download(client, url("needs", "csv", world, unit=world.tree.community_a)))
    assert len(rows) == 2


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"period": "month", "month": "2026-13"}, "2026-11"),
        ({"period": "dates", "from": "2026-11-30", "to": "2026-11-01"}, "The last day"),
        ({"period": "year", "year": "99999"}, "Choose a year"),
        ({"period": "dates", "from": "0001-01-01", "to": "9999-12-31"}, "Enter both dates"),
        ({"period": "dates", "from": "2026-11-01\x00", "to": "2026-11-02"}, "</main>"),
        ({"period": "week"}, "Choose a month"),
    ],
)
def test_a_bad_period_is_the_page_with_the_error_not_a_file(client, auth, world, extra, message):
    auth.login(world.north.phone)
    client.post("/preferences/language", data={"locale": "en"})
    response = download(client, url("volunteers", "csv", world, **extra))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("unit", ["abc", "-1", "99999999999999999999", "2147483648", "1.5", "１"])
def test_a_bad_unit_is_the_page_with_the_error(client, auth, world, unit):
    auth.login(world.north.phone)
    client.post("/preferences/language", data={"locale": "en"})
    response = download(client, url("points", "xlsx", world, unit=unit))
    assert response.status_code == 400
    assert "Choose an area from the list." in response.get_data(as_text=True)


def test_a_unit_that_does_not_exist_is_not_found(client, auth, world):
    auth.login(world.north.phone)
    assert download(client, url("points", "csv", world, unit=2147483647)).status_code == 404
    assert client.get("/oversight/exports/secrets.csv").status_code == 404
    assert client.get(f"/oversight/exports/points.pdf?unit={world.tree.street}").status_code == 404


# -- the page ------------------------------------------------------------------------------


def test_the_page_lists_every_dataset_with_both_formats_and_the_dashboard_links_to_it(
    client, auth, world
):
    auth.login(world.north.phone)
    page = client.get(f"/oversight/exports/?unit={world.tree.street}&period=month&month=2026-11")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for key in DATASETS:
        for fmt in ("csv", "xlsx"):
            link = f"/oversight/exports/{key}.{fmt}?unit={world.tree.street}&amp;period=month"
            assert link in body
    assert "2026年11月" in body
    dashboard = client.get(f"/oversight/units/{world.tree.street}?period=month&month=2026-11")
    assert (
        f'href="/oversight/exports/?unit={world.tree.street}&amp;period=month&amp;month=2026-11"'
        in dashboard.get_data(as_text=True)
    )


def test_a_grids_export_holds_what_sits_in_the_grid(client, auth, world):
    auth.login(world.alpha.phone)
    grid = world.tree.grid_a1
    volunteers = read_csv(download(client, url("volunteers", "csv", world, unit=grid)))
    assert "张晓明" in {row[1] for row in volunteers[1:]}
    assert {row[4] for row in volunteers[1:]} == {"Alpha Grid 1"}
    points = read_csv(download(client, url("points", "csv", world, unit=grid)))
    assert [(row[1], row[4], row[5]) for row in points[1:]] == [("CA", "20", "20")]
    # The need was posted for the whole community, vouchers and units' reports belong to
    # no grid: those tables are empty.
    for dataset in ("needs", "service-records", "redemptions", "unit-reports"):
        rows = read_xlsx(download(client, url(dataset, "xlsx", world, unit=grid)))
        assert len(rows) == 1, dataset


def test_a_system_admin_exports_the_whole_city_with_whole_phones(client, auth, world):
    from tests.factories import make_system_admin

    admin = make_system_admin(world.tree)
    auth.login(admin.phone)
    rows = read_csv(download(client, url("volunteers", "csv", world, unit=world.tree.city)))
    phones = {row[1]: row[2] for row in rows[1:]}
    assert phones["张晓明"] == world.zhang.phone and phones["王芳"] == world.wang.phone
