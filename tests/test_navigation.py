"""The navigation (govhub/navigation.py): which tab each page sits under, the tab bar each
page shows (the workbenches are tested in test_workbench.py)."""

from __future__ import annotations

import re

import pytest

from govhub import navigation
from tests.factories import make_tree, make_user


@pytest.mark.parametrize(
    ("endpoint", "tab"),
    [
        ("main.home", "home"),
        ("needs.board", "needs"),
        ("needs.detail", "needs"),
        ("needs.my_tasks", "tasks"),
        ("checkin.my_card", "tasks"),
        ("points.my_points", "points"),
        ("points.leaderboard", "points"),
        ("rewards.catalog", "points"),
        ("rewards.voucher", "points"),
        ("accounts.profile", "me"),
        ("notifications.index", "me"),
        # Role tools sit under 首页, where the workbenches are.
        ("manage.needs", "home"),
        ("shop.home", "home"),
        ("checkin.screen", "home"),
        ("points.ledger_audit", "home"),
        ("rewards.economy", "home"),
        ("rewards.open_voucher", "home"),  # the counter page staff open from a QR
        ("workbench.index", "home"),
    ],
)
def test_each_page_sits_under_one_tab(endpoint, tab):
    assert navigation.section(endpoint) == tab


def test_every_endpoint_of_the_app_is_decided(app):
    """A new page lands under a tab by its blueprint, or under none on purpose."""
    undecided = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if navigation.section(rule.endpoint) is None
    }
    assert undecided <= {"static", "main.healthz"}, sorted(undecided)


def test_the_tab_of_a_page_is_marked_and_the_rest_are_not():
    marks = {item.tab.name: item.current for item in navigation.tabs("needs.board")}
    assert marks == {"home": None, "needs": "page", "tasks": None, "points": None, "me": None}
    below = {item.tab.name: item.current for item in navigation.tabs("rewards.catalog")}
    assert below["points"] == "true" and list(below.values()).count(None) == 4


def _tab_bar(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="tabbar"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return [
        (label, current)
        for current, label in re.findall(
            r'<a class="tab" href="[^"]*"(?: aria-current="(\w+)")?>.*?'
            r'<span class="tab-label">([^<]*)</span>',
            nav,
            re.S,
        )
    ]


def test_a_logged_in_page_shows_the_five_tabs_with_its_own_marked(app, client, auth):
    user = make_user(make_tree())
    auth.login(user.phone)
    html = client.get("/my/points").get_data(as_text=True)
    assert _tab_bar(html) == [
        ("首页", ""),
        ("需求", ""),
        ("任务", ""),
        ("积分", "page"),
        ("我的", ""),
    ]
    # Role tools are not in the shell any more, and log out is on 我的 only.
    assert "需求管理" not in html and "退出登录" not in html
    assert "退出登录" in client.get("/account/profile").get_data(as_text=True)


def test_a_visitor_gets_log_in_and_register_instead_of_tabs(app, client):
    html = client.get("/login").get_data(as_text=True)
    assert 'aria-label="主菜单"' not in html
    guest = re.search(r'<nav class="tabbar guest" aria-label="账号">(.*?)</nav>', html, re.S)
    assert guest and "登录" in guest.group(1) and "注册" in guest.group(1)
    assert 'aria-current="page"' in guest.group(1)  # 登录, the page shown


def test_the_shell_describes_the_site_and_scales_in_elder_mode(app, client):
    html = client.get("/").get_data(as_text=True)
    assert '<meta name="description" content="为社区做志愿服务：' in html
    assert '<html lang="zh-CN">' in html
    assert 'aria-label="大字模式（适老化）"' in html
    client.post("/preferences/elder-mode", data={"enabled": "1", "next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN" class="elder">' in html and '<body class="elder"' in html
    assert 'aria-label="标准字号"' in html
