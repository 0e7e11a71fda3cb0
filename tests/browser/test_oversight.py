"""The management face on a phone, in Chinese (监测调度): the street office of the demo
(赵科长, 永安街道) opens its dashboard, changes the period (htmx, the address bar follows),
drills down to 金叶社区 and then to 金叶一网格, opens a need's roster read-only, and prints
the monthly report. Every chart is drawn, and holds the numbers of the table beside it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

STREET_ADMIN = ("13800000004", "demo-yongan-2026")  # 赵科长, oversight of 永安街道

# Each drawn chart's numbers and its table's: [[label, value, ...], ...] for both.
CHART_AND_TABLE = """
(figure) => {
  const canvas = figure.querySelector('.chart-canvas');
  const chart = window.echarts.getInstanceByDom(canvas);
  if (!chart) { return null; }
  const option = chart.getOption();
  const drawn = [];
  const labels = option.series[0].type === 'pie'
    ? option.series[0].data.map((d) => d.name)
    : (option.xAxis[0].type === 'category' ? option.xAxis[0].data : option.yAxis[0].data);
  labels.forEach((label, i) => {
    drawn.push([String(label), ...option.series.map((s) => {
      const d = s.data[i];
      return String(typeof d === 'object' && d !== null ? d.value : d);
    })]);
  });
  const table = [...figure.querySelectorAll('tbody tr')].map(
    (tr) => [...tr.children].map((cell) => cell.textContent.trim()));
  return {drawn: drawn, table: table, svg: canvas.querySelector('svg') !== null};
}
"""


def numbers(row: list[str]) -> tuple:
    """A row as (label, value, ...) with the values as numbers (the chart says 0, its
    table 0.0)."""
    return (row[0], *(float(value) for value in row[1:]))


def assert_charts_hold_their_tables(page) -> int:
    figures = page.locator("figure.chart:has(.chart-canvas)")
    count = figures.count()
    assert count >= 3
    for i in range(count):
        figure = figures.nth(i)
        expect(figure.locator(".chart-canvas svg")).to_have_count(1)
        found = figure.evaluate(CHART_AND_TABLE)
        assert found is not None and found["svg"]
        drawn = sorted(numbers(row) for row in found["drawn"])
        table = sorted(numbers(row) for row in found["table"])
        assert drawn == table, (figure.get_attribute("id"), drawn, table)
    return count


def test_a_street_office_oversees_its_communities(new_page):
    page, log = new_page()
    log_in(page, *STREET_ADMIN)

    # From the workbench's first tool to the street's dashboard for this month.
    page.goto("/oversight/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("永安街道")
    assert re.search(r"/oversight/units/\d+", page.url)
    expect(page.locator("#figure-needs_posted")).to_be_visible()
    assert_charts_hold_their_tables(page)

    # The year instead: the dashboard is swapped in and the address bar names the year.
    page.locator("#period").select_option("year")
    with page.expect_response(lambda r: "/oversight/units/" in r.url and "period=year" in r.url):
        page.locator("#period-form").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"period=year&year=\d{4}"))
    expect(page.locator("#period-label")).to_contain_text("年")
    assert_charts_hold_their_tables(page)

    # Down to 金叶社区, then its grid 金叶一网格, the year kept on the way.
    breakdown = page.locator("#breakdown")
    expect(breakdown.get_by_role("link", name="南昌路社区")).to_be_visible()
    breakdown.get_by_role("link", name="金叶社区").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("金叶社区")
    expect(page).to_have_url(re.compile(r"period=year"))
    page.locator("#breakdown").get_by_role("link", name="金叶一网格").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("金叶一网格")
    expect(page.locator("#breakdown")).to_have_count(0)

    # The community's needs, and one need's roster: read, with nothing to act on.
    page.get_by_role("link", name="需求清单").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.locator("main a[href^='/manage/needs/']").first.click()
    expect(page.locator("main")).to_be_visible()
    assert page.locator("main form[method='post']").count() == 0
    phones = re.findall(r"1[3-9]\d{9}", page.locator("main").inner_text())
    assert phones == [], phones  # volunteers' phones stay masked for oversight

    # The street's monthly report, as it prints.
    page.go_back()
    page.go_back()
    page.goto(page.url.split("/oversight/")[0] + "/oversight/")
    page.get_by_role("link", name="月度报告").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("永安街道志愿服务监测月报")
    assert_charts_hold_their_tables(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".period-nav")).to_be_hidden()
    expect(page.locator("#figure-hours")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 6, pages
    log.assert_clean()
