"""Chinese typography of every page of the demo, as each demo role sees it.

The rules (README, "Translations"):

- Chinese text uses full-width punctuation: ，。、；：？！（）「」…… — never ASCII
  , : ; ? ! ( ) next to a Chinese character, never ASCII "..." (write ……), and quotes
  are 「」 only (not “” or ASCII quotes).
  ASCII punctuation stays inside numbers, times and codes (19:00, 3.5, A1B2-C3D4) and
  inside English words and names.
- No space next to full-width punctuation: nothing after 。，、；：？！ and nothing before
  them.
- No space between Chinese and a number or a Latin word: 3小时, 剩余100份, 30积分, 导出CSV
  文件, 第2页. The one exception is the date and time format of govhub/clock.py, whose
  parts are set apart by a space: 12月2日 周三 19:00, 2026年12月2日 周三 19:00–21:00;
  in a sentence the catalog puts no space around a date or time (已于12月2日 周三 19:00
  签到); this test does not check the spaces around a date, as pages also set dates
  apart from labels and badges beside them.
- Every number beside Chinese text carries its unit: 3小时, 剩余100份, 库存12份, 时长1.5小时
  — never "库存 12" or "时长：1.5". Numbers in dates and times (12月2日, 19:00), ranks
  (第2名), phone numbers and codes are not counts and need none.

The test seeds the demo city (the logic of ``flask seed-demo``) on SQLite, adds a few
vouchers and a running activity, logs in as each demo role, GETs the main pages and every
page they link to within the site (one level deep) in Chinese, takes the text a reader
sees (no tags, scripts, styles or attribute values) and reports every offence with its
URL and the text around it.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from contextlib import suppress
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select

from govhub import create_app, demo, tokens
from govhub.accounts.models import User
from govhub.database import ServiceError, utcnow
from govhub.extensions import db
from govhub.needs.models import Need, Shift
from govhub.points import services as points
from govhub.rewards import vouchers
from govhub.rewards.models import Redemption, Reward
from tests.conftest import TEST_CONFIG, build_schema

ROLE_PHONES = {
    "visitor": None,
    "volunteer": "13800000010",
    "community_admin": "13800000002",
    "shop_owner": "13800000020",
    "oversight_admin": "13800000004",
    "system_admin": "13800000001",
}

# Links that are not pages for reading: files, the way out, language and mode switches.
SKIPPED_PATHS = re.compile(r"^/(static/|logout)|\.(csv|png|svg|pdf|js|css)$|/export\b")

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
FULL_WIDTH_PUNCT = "。，、；：？！"
HAN = f"[{CJK}]"

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "br", "button", "caption", "dd",
    "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "input", "label", "legend",
    "li", "main", "nav", "ol", "optgroup", "option", "p", "pre", "section", "select",
    "summary", "table", "tbody", "td", "textarea", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
BREAK = "\x01"  # where a block element starts or ends
# Not prose: scripts and styles, and code (audit records, CSV examples, org codes).
HIDDEN_TAGS = {
    "script",
    "style",
    "template",
    "noscript",
    "svg",
    "title",
    "code",
    "pre",
    "kbd",
    "samp",
}


class VisibleText(HTMLParser):
    """The lines of text a reader sees: block elements break lines, inline ones do not,
    white space collapses as a browser collapses it. A badge (class "badge", e.g. the
    unread count on the bell) is a chip of its own, so it is a line of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.in_badge: list[str] = []  # the open tags of the badge being read

    def handle_starttag(self, tag, attrs):
        if self.in_badge:
            self.in_badge.append(tag)
        elif "badge" in (dict(attrs).get("class") or "").split():
            self.in_badge.append(tag)
            self.parts.append(BREAK)
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append(BREAK)

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append(BREAK)

    def handle_endtag(self, tag):
        if self.in_badge and self.in_badge[-1] == tag:
            self.in_badge.pop()
            if not self.in_badge:
                self.parts.append(BREAK)
        if tag in HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append(BREAK)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    def lines(self) -> list[str]:
        text = "".join(self.parts)
        lines = (re.sub(r"\s+", " ", line).strip() for line in text.split(BREAK))
        return [line for line in lines if line]


def visible_lines(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.lines()


# --- the checks -------------------------------------------------------------------------

# The date and time format of govhub/clock.py, as one token: "12月2日 周三 19:00–21:00".
WEEKDAY = "周[一二三四五六日]"
DATE = rf"(?:\d{{4}}年)?\d{{1,2}}月\d{{1,2}}日(?: {WEEKDAY})?"
CLOCK = r"\d{1,2}:\d{2}(?:\s?[–-]\s?\d{1,2}:\d{2})?"
WHEN = re.compile(rf"{DATE}(?: {CLOCK})?|{WEEKDAY} {CLOCK}|{CLOCK}")

# Things that are not Chinese prose and keep their ASCII: URLs, e-mail, codes, phone
# numbers (also masked ones, 138****0010).
NOT_PROSE = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+|\b[A-Z0-9]{3,}(?:-[A-Z0-9]{3,})+\b"
    r"|(?<!\d)1\d{2}(?:\d{4}|\*{4})\d{4}(?!\d)"
)

ASCII_PUNCT = [
    re.compile(rf"{HAN}\s*[,:;?!(]"),  # 你好, 电话: 是吗? 大字模式(
    re.compile(rf"\)\s*{HAN}"),  # ) 后面
    re.compile(rf"[(]\s*{HAN}"),  # (适老化
    re.compile(rf"{HAN}\s*\)"),  # 适老化)
    re.compile(rf"[,;?!]\s*{HAN}"),  # , 然后
]
QUOTES = re.compile(rf"[“”]|{HAN}\s*[\"']|[\"']\s*{HAN}")  # 「」 only
ELLIPSIS = re.compile(r"\.\.\.|(?<!…)…(?!…)")
SPACE_AFTER_PUNCT = re.compile(rf"[{FULL_WIDTH_PUNCT}] +\S|\S +[{FULL_WIDTH_PUNCT}]")
SPACE_LATIN_HAN = re.compile(rf"{HAN} +[0-9A-Za-z]|[0-9A-Za-z] +{HAN}")

# Units and measure words that may follow a number (the start of what follows is enough).
# fmt: off
UNITS = (
    "小时", "分钟", "分", "秒", "天", "日", "周", "个月", "月", "年", "岁", "份", "个", "人",
    "名", "位", "次", "张", "条", "项", "件", "星", "号", "级", "积分", "元", "角", "户", "家",
    "所", "处", "场", "批", "笔", "单", "期", "届", "栋", "幢", "楼", "层", "室", "座", "米",
    "公里", "千米", "克", "斤", "公斤", "台", "辆", "本", "套", "箱", "瓶", "袋", "盒", "双",
    "支", "把", "间", "门", "页", "行", "列", "段", "点", "时", "种", "类", "组", "队", "轮",
    "遍", "倍", "成", "万", "千", "百", "亿", "字", "格", "区", "网格", "岗", "班", "桌", "床",
    "餐", "盆", "封",
)
# fmt: on
NUMBER = re.compile(r"(?<![\w.#/+:-])\d+(?:\.\d+)?(?:\s?[/–~-]\s?\d+(?:\.\d+)?)*(?![\w.:%])")
# Words that may follow a number without being its unit: 以1开头, 大于0的, 150%即1.5倍.
# fmt: off
NOT_UNITS_BUT_FINE = (
    "的", "开头", "即", "表示", "至", "到", "或", "和", "与", "以", "起", "为", "后", "前", "内",
    "中", "之",
)
# fmt: on
BEFORE_IS_CHINESE = re.compile(rf"(?:{HAN}|[：（，、；])\s?$")
# What comes before a number that is not a count: a rank or a record number.
NOT_COUNTS = ("第", "No.", "编号", "编号：", "记录编号", "候补第")


def _number_offences(line: str):
    for match in NUMBER.finditer(line):
        token = match.group()
        if len(re.sub(r"\D", "", token)) >= 7:  # a phone number, an id
            continue
        before, after = line[: match.start()], line[match.end() :]
        if before.rstrip(" ").endswith(NOT_COUNTS):
            continue
        following = after.lstrip(" ")
        if following[:1] and re.match(HAN, following[:1]):
            if not following.startswith((*UNITS, *NOT_UNITS_BUT_FINE)):
                yield match.start(), "a number before Chinese without its unit"
        elif BEFORE_IS_CHINESE.search(before):
            yield match.start(), "a bare number after Chinese: its unit is missing"


def _masked(line: str) -> str:
    """The line with dates, times, URLs and codes replaced by neutral placeholders of the
    same length, so the checks do not look inside them."""

    def blank(match: re.Match) -> str:
        return "\x00" * len(match.group())

    return WHEN.sub(lambda m: "日" * len(m.group()), NOT_PROSE.sub(blank, line))


def offences_in(line: str) -> list[tuple[int, str]]:
    """(position, problem) for every typography offence in one line of visible text."""
    if not re.search(HAN, line):
        return []
    masked = _masked(line)
    found: list[tuple[int, str]] = []
    for pattern in ASCII_PUNCT:
        found += [
            (m.start(), "ASCII punctuation in Chinese text") for m in pattern.finditer(masked)
        ]
    found += [
        (m.start(), 'ASCII "..." or a lone … in Chinese text') for m in ELLIPSIS.finditer(masked)
    ]
    found += [
        (m.start(), "quotes other than 「」 in Chinese text") for m in QUOTES.finditer(masked)
    ]
    found += [
        (m.start(), "a space beside full-width punctuation")
        for m in SPACE_AFTER_PUNCT.finditer(masked)
    ]
    found += [
        (m.start(), "a space between Chinese and a number or Latin word")
        for m in SPACE_LATIN_HAN.finditer(masked)
    ]
    # Numbers are checked on the text with times and codes masked but dates kept, so that
    # "12月2日" counts its units and "19:00" is left alone.
    numbers = NOT_PROSE.sub(lambda m: "\x00" * len(m.group()), line)
    numbers = re.sub(CLOCK, lambda m: "\x00" * len(m.group()), numbers)
    found += list(_number_offences(numbers))
    return sorted(set(found))


# --- the checks catch what they must, and leave the rest --------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "大字模式(适老化)",
        "电话: 13800000002",
        "确定要取消吗?",
        "请稍候...",
        "加载中…",
        "已签到。 下一位",
        "剩余 100",
        "库存 12",
        "时长：1.5",
        "时长 1.5",
        "3 小时",
        "剩余100 份",
        "导出 CSV",
        "通知, 全部",
        "已删除“金叶社区”。",
        '已删除"金叶社区"。',
    ],
)
def test_the_checks_catch_bad_typography(line):
    assert offences_in(line), line


@pytest.mark.parametrize(
    "line",
    [
        "大字模式（适老化）",
        "12月2日 周三 19:00",
        "2026年12月2日 周三 19:00–21:00",
        "已于12月2日 周三 19:00签到",
        "时段：周三 19:00–21:00",
        "剩余100份，每人每月2次",
        "时长1.5小时",
        "30积分",
        "第2名",
        "电话：13800000002",
        "券码：A1B2-C3D4",
        "请稍候……",
        "导出CSV文件",
        "已认领3/10人",
        "已删除「金叶社区」。",
        "Volunteer points, in English: 3 hours",
    ],
)
def test_the_checks_leave_good_typography_alone(line):
    assert offences_in(line) == [], offences_in(line)


# --- the demo, page by page -------------------------------------------------------------


def _demo_passwords() -> dict[str, str]:
    path = Path(demo.__file__).parent / "city.json"
    return {u["phone"]: u["password"] for u in json.loads(path.read_text("utf-8"))["users"]}


def _add_vouchers_and_activity() -> None:
    """A voucher to use, a used one, and an activity running now, so that the voucher,
    verify and check-in pages have something to show."""
    now = utcnow()
    volunteer = db.session.scalars(select(User).where(User.phone == "13800000010")).one()
    shop = db.session.scalars(select(User).where(User.phone == "13800000020")).one()
    admin = db.session.scalars(select(User).where(User.phone == "13800000002")).one()
    points.adjust(admin.id, volunteer.id, 200, "演示：补录积分", key="typo-points", now=now)
    issued = []
    for index, reward in enumerate(db.session.scalars(select(Reward).order_by(Reward.id))):
        with suppress(ServiceError):
            issued.append(vouchers.redeem(volunteer.id, reward.id, key=f"typo-{index}", now=now))
        if len(issued) == 2:
            break
    if issued:
        with suppress(ServiceError):
            vouchers.fulfil(shop.id, issued[0].id, now=now + timedelta(minutes=1))
    demo.start_activity(now=now)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("typography")
    os.environ["GOVHUB_INSTANCE_PATH"] = str(tmp / "instance")
    url = f"sqlite:///{tmp / 'govhub.sqlite3'}"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        build_schema()
        demo.seed()
        _add_vouchers_and_activity()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _demo_paths() -> set[str]:
    """The pages of the core loop in the demo, some of which no page links to directly:
    the running activity (its page, check-in and check-out screens, the scan links, the
    attendance list), the last ended shift's attendance, and each voucher (the
    volunteer's page and the link the staff open)."""
    now = utcnow()
    activity = db.session.scalars(
        select(Shift).join(Shift.need).where(Need.title.startswith("演示活动"))
    ).first()
    ended = db.session.scalars(
        select(Shift).where(Shift.ends_at < now).order_by(Shift.ends_at.desc())
    ).first()
    paths = set()
    for shift in (activity, ended):
        assert shift is not None
        paths |= {
            f"/needs/{shift.need_id}",
            f"/manage/needs/{shift.need_id}",
            f"/manage/shifts/{shift.id}/attendance",
        }
    assert activity is not None
    paths |= {
        f"/manage/shifts/{activity.id}/checkin",
        f"/manage/shifts/{activity.id}/checkin?mode=out",
    }
    for purpose in tokens.Purpose:
        paths.add(
            f"/s/{activity.id}/{purpose.value}/{tokens.shift_token(activity.id, purpose, now)}"
        )
    for redemption in db.session.scalars(select(Redemption)):
        paths |= {f"/my/vouchers/{redemption.id}", f"/v/{tokens.voucher_token(redemption.id)}"}
    return paths


def _start_paths(app) -> list[str]:
    """The main pages: every GET route that takes no argument, and the demo's pages of
    the core loop."""
    paths = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not SKIPPED_PATHS.search(rule.rule)
    }
    with app.app_context():
        paths |= _demo_paths()
        db.session.remove()
    return sorted(paths)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _site_links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        href = urldefrag(href)[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if SKIPPED_PATHS.search(parts.path):
            continue
        out.append(href)
    return out


def _crawl(client) -> dict[str, str]:
    """url → HTML of the main pages and of every site page they link to."""
    pages: dict[str, str] = {}

    def get(url: str) -> str | None:
        if url in pages:
            return pages[url]
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            return None
        pages[url] = response.get_data(as_text=True)
        return pages[url]

    first_level = [url for url in _start_paths(client.application) if get(url) is not None]
    for url in first_level:
        for link in _site_links(pages[url]):
            get(link)
    return pages


@pytest.mark.parametrize("role", list(ROLE_PHONES))
def test_every_demo_page_follows_chinese_typography(city, role):
    client = city.test_client()
    phone = ROLE_PHONES[role]
    if phone:
        response = client.post(
            "/login", data={"phone": phone, "password": _demo_passwords()[phone]}
        )
        assert response.status_code == 303, role
    pages = _crawl(client)
    assert len(pages) >= 3, f"only {len(pages)} pages were read as {role}"

    offences: dict[tuple[str, str], list[str]] = defaultdict(list)
    for url, html in pages.items():
        for line in visible_lines(html):
            for position, problem in offences_in(line):
                context = line[max(0, position - 20) : position + 25]
                offences[(problem, context)].append(url)
    report = [
        f"{problem}: «{context}» on {urls[0]}"
        + (f" (+{len(urls) - 1} more)" if len(urls) > 1 else "")
        for (problem, context), urls in sorted(offences.items())
    ]
    assert not report, f"{len(report)} offences as {role}:\n" + "\n".join(report)
