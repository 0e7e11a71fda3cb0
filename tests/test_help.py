"""The user guide at /help: its pages, its screenshots, and what it refuses."""

from __future__ import annotations

import re

import pytest

from govhub.help import guide

ROLE_PAGES = list(guide.PAGES)
SOURCES = [guide.INDEX, *ROLE_PAGES]


@pytest.fixture
def backend() -> str:
    """The guide reads no table: one database is enough."""
    return "sqlite"


def in_english(client) -> None:
    response = client.post("/preferences/language", data={"locale": "en", "next": "/help/"})
    assert response.status_code == 303


def body(response) -> str:
    return response.get_data(as_text=True)


def headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)]


@pytest.mark.parametrize("english", [False, True], ids=["zh", "en"])
def test_index_lists_every_role_page_without_login(client, english):
    if english:
        in_english(client)
    response = client.get("/help/")
    assert response.status_code == 200
    html = body(response)
    assert headings(html) == ["使用指南"]  # the guide itself is Chinese in both
    for slug in ROLE_PAGES:
        assert f'href="/help/{slug}"' in html
    if english:
        assert "<title>User guide · " in html
        assert "Guides by role" in html and "Community staff" in html
        assert "This guide is written in Simplified Chinese" in html
    else:
        assert "<title>使用指南 · " in html
        assert "按身份查看指南" in html and "社区工作人员" in html and "街道/区监管人员" in html
        assert "This guide is written" not in html
    # The screenshots the index shows, each served from the guide's folder.
    for name in guide.referenced_screenshots(guide.source_path("index").read_text("utf-8")):
        assert f'src="/help/screenshots/{name}"' in html


@pytest.mark.parametrize("english", [False, True], ids=["zh", "en"])
@pytest.mark.parametrize("slug", ROLE_PAGES)
def test_each_role_page_renders_with_its_screenshots(client, slug, english):
    if english:
        in_english(client)
    response = client.get(f"/help/{slug}")
    assert response.status_code == 200
    html = body(response)
    source = guide.source_path(slug).read_text("utf-8")
    title = re.search(r"^# (.+)$", source, re.M).group(1)
    assert headings(html) == [title]
    assert 'lang="zh-CN"' in html  # the article, whatever the page's language
    back = "‹ User guide" if english else "‹ 使用指南"
    assert f'href="/help/">{back}</a>' in html
    assert f'href="/help/{slug}" aria-current="page"' in html
    shots = guide.referenced_screenshots(source)
    assert shots, f"{slug}: a role page without screenshots"
    for name in shots:
        tag = re.search(rf'<img src="/help/screenshots/{re.escape(name)}"[^>]*>', html)
        assert tag, name
        assert re.search(r'alt="[^"]+"', tag.group(0)), f"{name} has no description"
        assert re.search(r'width="\d+" height="\d+"', tag.group(0)), name
    # Every section is in the contents at the top, and the contents' links land.
    for anchor in re.findall(r'<a href="#(s\d+)"', html):
        assert f'<h2 id="{anchor}">' in html


def test_guide_pages_link_each_other_and_the_site(client):
    html = body(client.get("/help/shop"))
    assert 'href="/help/volunteer"' in html  # [志愿者指南](volunteer.md)
    html = body(client.get("/help/volunteer"))
    assert 'href="/help/"' in html  # [使用指南首页](index.md)


@pytest.mark.parametrize(
    "path",
    [
        "/help/nope",
        "/help/index",
        "/help/Volunteer",
        "/help/volunteer.md",
        "/help/..%2Fpyproject.toml",
        "/help/..%2F..%2Fetc%2Fpasswd",
        "/help/%00",
        "/help/volunteer%00",
        "/help/" + "a" * 5000,
        "/help/screenshots/nope.png",
        "/help/screenshots/..%2F..%2Fpyproject.toml",
        "/help/screenshots/..%2Fguide%2Findex.md",
        "/help/screenshots/.png",
        "/help/screenshots/board.PNG",
        "/help/screenshots/board.png%00",
        "/help/screenshots/" + "a" * 5000 + ".png",
    ],
)
def test_unknown_and_hostile_names_are_the_normal_404_page(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), path
    if response.status_code == 404:
        assert "页面不存在" in body(response)


def test_a_screenshot_is_served_as_an_image_and_may_be_cached(client):
    name = guide.referenced_screenshots(guide.source_path("volunteer").read_text("utf-8"))[0]
    response = client.get(f"/help/screenshots/{name}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == (guide.SCREENSHOT_DIR / name).read_bytes()
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_referenced_screenshot_exists_and_every_file_is_referenced():
    referenced = set()
    for slug in SOURCES:
        for name in guide.referenced_screenshots(guide.source_path(slug).read_text("utf-8")):
            assert guide.screenshot_path(name) is not None, f"{slug}.md shows a missing {name}"
            referenced.add(name)
    files = {path.name for path in guide.SCREENSHOT_DIR.iterdir()}
    assert files - referenced == set(), "screenshots no page of the guide shows"
    total = sum(path.stat().st_size for path in guide.SCREENSHOT_DIR.iterdir())
    assert total < 2 * 1024 * 1024, f"docs/screenshots is {total} bytes"


def test_the_footer_links_to_the_guide(client):
    assert 'href="/help/"' in body(client.get("/login"))


@pytest.fixture
def fake_guide(tmp_path, monkeypatch):
    """A guide folder of the test's own: write ``<slug>.md`` into it."""
    (tmp_path / "guide").mkdir()
    monkeypatch.setattr(guide, "GUIDE_DIR", tmp_path / "guide")

    def write(slug: str, text: str) -> None:
        (tmp_path / "guide" / f"{slug}.md").write_text(text, encoding="utf-8")

    return write


def test_raw_html_in_the_guide_comes_out_as_text(app, fake_guide):
    fake_guide(
        "volunteer",
        "# 标题\n\n<script>alert(1)</script>\n\n"
        '<p style="color:red" onclick="x()">段落</p>\n\n'
        "点 <b>这里</b>，[坏链接](javascript:alert(1))。\n",
    )
    with app.test_request_context():
        html = str(guide.load("volunteer").html)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<p style" not in html and "<b>" not in html
    assert "javascript:" not in html.replace("[坏链接](javascript:alert(1))", "")
    assert not re.search(r"<[a-z]+[^>]*\s(style|on\w+)=", html)


def test_bold_words_sit_in_chinese_text_without_spaces(app, fake_guide):
    fake_guide(
        "volunteer", "# 标题\n\n点 **保存** 即可，再点 **大字模式（适老化）**。Then **Save** it.\n"
    )
    with app.test_request_context():
        html = str(guide.load("volunteer").html)
    assert "点<strong>保存</strong>即可，再点<strong>大字模式（适老化）</strong>。" in html
    assert "Then <strong>Save</strong> it." in html


@pytest.mark.parametrize(
    "line",
    [
        "![截图](screenshots/none-such.png)",
        "![截图](screenshots/../../pyproject.toml)",
        "![截图](/etc/passwd)",
        "![](screenshots/board.png)",  # no description
        "[另一页](nowhere.md)",
        "[外链](https://example.com/)",
    ],
)
def test_a_broken_image_or_link_in_the_guide_is_an_error(app, fake_guide, line):
    fake_guide("volunteer", f"# 标题\n\n{line}\n")
    with app.test_request_context(), pytest.raises(guide.GuideError):
        guide.load("volunteer")
