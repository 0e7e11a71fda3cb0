"""The user guide's screenshots (docs/screenshots), taken from the demo city.

Each test walks one page of the guide (docs/guide/<page>.md) as the demo user it is
written for, on a phone (360x780, zh-CN), and writes every screenshot that page shows,
overwriting the old one, so the guide never shows a screen that no longer exists. Each
test ends by checking that the screenshots it took are exactly the ones its page refers
to: a new picture in the guide without a shot here fails, and so does a shot the guide
no longer shows.

Refresh the pictures after changing a page of the app:

    .venv/bin/pytest tests/browser/test_guide_screenshots.py

The tests run on a server of their own (the demo city plus a few arranged things: a
shift running now, one that ended with attendance to confirm, a voucher, a partner
application waiting for review), so what other browser tests change never shows in the
guide and the shots are the same whichever tests ran before.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from govhub.help import guide
from tests.browser.conftest import JINYE_ADMIN, TIMEOUT_MS, VOLUNTEER_PASSWORD, demo_server

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
SCREENSHOTS = guide.SCREENSHOT_DIR

ZHANG = ("13800000010", VOLUNTEER_PASSWORD)  # 张晓明, 金叶社区
SHOP_OWNER = ("13800000020", "demo-business-2026")  # 周老板, 香城惠民超市
YONGAN_OVERSIGHT = ("13800000004", "demo-yongan-2026")  # 赵科长, 永安街道

# What the arranged data is called, so the pages can be found again.
ENDED_TITLE = "重阳敬老：陪老人包饺子"
APPLICANT = "金叶便民药房"
SHOP = "香城惠民超市"
REWARD = "洗衣液一瓶"
VISITED_NEED = "五彩夕阳：独居老人上门探访"


@dataclass
class Arranged:
    running_shift: int = 0
    running_need: int = 0
    ended_shift: int = 0
    voucher: int = 0
    voucher_token: str = ""
    applicant: int = 0
    shop: int = 0
    reward: int = 0
    visited_need: int = 0
    zhang: int = 0


@dataclass
class Server:
    url: str
    app: object
    data: Arranged = field(default_factory=Arranged)


def _arrange(data: Arranged) -> None:
    """What the guide shows beyond the seeded demo city, made through the services."""
    from sqlalchemy import select

    from govhub.accounts.models import User
    from govhub.checkin import services as checkin
    from govhub.checkin.models import Evidence
    from govhub.database import transactional, utcnow
    from govhub.demo import start_activity
    from govhub.extensions import db
    from govhub.needs import claims, posting
    from govhub.needs.models import Category, Need
    from govhub.orgs.models import OrgUnit
    from govhub.partners import services as partners
    from govhub.partners.models import Partner, PartnerKind
    from govhub.points import services as points
    from govhub.rewards import vouchers
    from govhub.rewards.models import Reward
    from govhub.tokens import voucher_token

    @transactional
    def arrange() -> None:
        now = utcnow()
        users = {u.phone: u for u in db.session.scalars(select(User))}
        admin, zhang, chen = users[JINYE_ADMIN[0]], users[ZHANG[0]], users["13800000011"]
        community = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "金叶社区")).one()
        data.zhang = zhang.id

        # A shift running now (张晓明 and 陈丽华 claimed it): the check-in screen.
        need, data.running_shift = start_activity(now=now)
        data.running_need = need.id

        # A shift that ended an hour ago, both checked in and out: attendance to confirm.
        start = (now - timedelta(hours=3)).replace(second=0, microsecond=0)
        end = start + timedelta(hours=2)
        before = start - timedelta(days=2)
        ended = posting.save_need(
            admin.id,
            community.id,
            posting.NeedInput(
                title=ENDED_TITLE,
                description="到社区老年食堂陪老人一起包饺子、聊聊天。",
                category_id=db.session.scalar(
                    select(Category.id).where(Category.code == "elderly")
                ),
                place="金叶社区老年食堂",
                contact_name=admin.name,
                contact_phone=admin.phone,
            ),
            [posting.ShiftInput(start, end, 6)],
            now=before,
        )
        posting.publish(admin.id, ended.id, now=before)
        data.ended_shift = ended.shifts[0].id
        for volunteer, (came, left) in ((zhang, (3, 118)), (chen, (10, 95))):
            claims.claim_shift(volunteer.id, data.ended_shift, now=before)
            checkin.check_in(
                volunteer.id,
                data.ended_shift,
                now=start + timedelta(minutes=came),
                evidence=Evidence.code_scan,
            )
            checkin.check_out(
                volunteer.id,
                data.ended_shift,
                now=start + timedelta(minutes=left),
                evidence=Evidence.code_scan,
            )

        # Points enough for a reward, and a voucher waiting at the counter.
        points.adjust(
            admin.id, zhang.id, 300, "社区表彰：连续三个月参加志愿服务", key="guide-adjust", now=now
        )
        shop = db.session.scalars(select(Partner).where(Partner.name == SHOP)).one()
        reward = db.session.scalars(
            select(Reward).where(Reward.partner_id == shop.id, Reward.title == REWARD)
        ).one()
        voucher = vouchers.redeem(zhang.id, reward.id, key="guide-redeem", now=now)
        data.shop, data.reward, data.voucher = shop.id, reward.id, voucher.id
        data.voucher_token = voucher_token(voucher.id)

        # A partner application waiting for review.
        applicant = partners.apply(
            kind=PartnerKind.business,
            name=APPLICANT,
            community_id=community.id,
            address="金叶路 16 号",
            contact_name="黄店长",
            contact_phone="13800000050",
            description="每月为志愿者提供 10 次免费测血压，捐赠常用药品。",
        )
        data.applicant = applicant.id
        data.visited_need = db.session.scalars(
            select(Need.id).where(Need.title == VISITED_NEED)
        ).one()

        # The nightly ledger audit has run once.
        points.audit_ledger(now=now)

    arrange()


@pytest.fixture(scope="module")
def guide_server(chromium_available, tmp_path_factory):
    """govhub on the demo city with the arranged data, for this module only."""
    data = Arranged()
    with demo_server(tmp_path_factory, "guide", lambda: _arrange(data)) as (url, app):
        yield Server(url, app, data)


class Camera:
    """A phone in a fresh browser context; ``shoot`` writes docs/screenshots/<name>."""

    def __init__(self, browser, server: Server):
        self.context = browser.new_context(
            viewport=PHONE, locale="zh-CN", base_url=server.url, device_scale_factor=1
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.taken: list[str] = []

    def log_in(self, phone: str, password: str) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_label("手机号").fill(phone)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/login"))

    def visit(self, path: str, text: str | re.Pattern) -> None:
        """Open ``path`` and check it is the page the guide means: it shows ``text``."""
        response = self.page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        expect(self.page.locator("main")).to_contain_text(text)

    def shoot(self, name: str, *, show: str | None = None) -> None:
        """The first screen as the user sees it; ``show``: scroll this element into view."""
        page = self.page
        if show is not None:
            target = page.locator(show).first
            expect(target).to_be_visible()
            # Below the first screen: scroll it to the middle, with what leads to it above.
            target.evaluate(
                "(el) => { const box = el.getBoundingClientRect();"
                " if (box.top < 0 || box.bottom > innerHeight)"
                " el.scrollIntoView({block: 'center'}); }"
            )
        page.wait_for_load_state("load")
        page.wait_for_function("Array.from(document.images).every((i) => i.complete)")
        png = page.screenshot(animations="disabled", caret="hide")
        save(name, png)
        self.taken.append(name)

    def close(self) -> None:
        assert self.errors == [], "uncaught JavaScript errors"
        self.context.close()


def save(name: str, png: bytes) -> None:
    """Write the screenshot as a small PNG: a 256-colour palette, optimised."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    small.save(SCREENSHOTS / name, format="PNG", optimize=True)


def assert_shows_what_the_guide_refers_to(taken: list[str], *pages: str) -> None:
    referenced = []
    for slug in pages:
        referenced += guide.referenced_screenshots(guide.source_path(slug).read_text("utf-8"))
    missing = sorted(set(referenced) - set(taken))
    unused = sorted(set(taken) - set(referenced))
    assert not missing, f"the guide ({', '.join(pages)}) shows screenshots no test takes: {missing}"
    assert not unused, f"screenshots taken that {', '.join(pages)} does not show: {unused}"


@pytest.fixture
def camera(browser, guide_server):
    cameras = []

    def open_camera() -> Camera:
        cameras.append(Camera(browser, guide_server))
        return cameras[-1]

    yield open_camera
    for each in cameras:
        each.close()


def test_volunteer_guide_screenshots(camera, guide_server):
    data = guide_server.data
    visitor = camera()
    visitor.visit("/register", "注册")
    visitor.shoot("register.png")

    phone = camera()
    phone.log_in(*ZHANG)
    phone.visit("/", re.compile(r"张晓明|首页"))
    phone.shoot("home-volunteer.png")

    # Elder mode, switched on and off again with the button at the top.
    phone.page.get_by_role("button", name=re.compile("大字模式")).click()
    expect(phone.page.locator("html.elder, body.elder").first).to_be_attached()
    phone.shoot("elder-mode.png")
    phone.page.get_by_role("button", name="标准字号").click()
    expect(phone.page.locator("html.elder, body.elder")).to_have_count(0)

    phone.visit("/account/profile", "个人资料")
    phone.shoot("profile.png")
    phone.visit("/needs", "需求大厅")
    phone.shoot("board.png")
    phone.visit(f"/needs/{data.visited_need}", VISITED_NEED)
    phone.shoot("need.png", show="button:has-text('认领名额')")
    phone.visit("/my/tasks", "我的任务")
    phone.shoot("my-tasks.png")

    # Scanning the running shift's check-in code: the address its QR code holds.
    with guide_server.app.app_context():
        from govhub.database import utcnow
        from govhub.tokens import Purpose, shift_token

        token = shift_token(data.running_shift, Purpose.check_in, utcnow())
    phone.page.goto(f"/s/{data.running_shift}/in/{token}")
    expect(phone.page.locator("#result h1")).to_contain_text("签到成功")
    phone.shoot("checkin-done.png")

    phone.visit("/my/card", "我的志愿者卡")
    phone.shoot("my-card.png")
    phone.visit("/my/points", "我的积分")
    phone.shoot("my-points.png")
    phone.visit("/rewards", "积分超市")
    phone.shoot("supermarket.png")
    phone.visit(f"/rewards/{data.reward}", REWARD)
    phone.shoot("reward.png", show="button:has-text('积分兑换')")
    phone.visit(f"/my/vouchers/{data.voucher}", REWARD)
    phone.shoot("voucher.png")
    phone.visit("/requests/new", "向社区求助")
    phone.shoot("ask-help.png")

    assert_shows_what_the_guide_refers_to(visitor.taken + phone.taken, "index", "volunteer")


def test_community_staff_guide_screenshots(camera, guide_server):
    data = guide_server.data
    staff = camera()
    staff.log_in(*JINYE_ADMIN)
    staff.visit("/workbench", "需求管理")
    staff.shoot("workbench-community.png")
    staff.visit("/manage/needs", "需求管理")
    staff.shoot("manage-needs.png")
    staff.visit("/manage/needs/new", "发布需求")
    staff.shoot("need-form.png")
    staff.visit(f"/manage/needs/{data.running_need}", "演示活动")
    staff.shoot("manage-need.png", show="a:has-text('签到屏')")
    staff.visit(f"/manage/shifts/{data.running_shift}/checkin", "演示活动")
    expect(staff.page.locator("#code img")).to_be_visible()
    staff.shoot("checkin-screen.png")
    staff.visit(f"/manage/shifts/{data.ended_shift}/attendance", ENDED_TITLE)
    staff.shoot("attendance.png", show="#confirm-hours")
    staff.visit("/requests/review", "居民诉求")
    staff.shoot("requests.png")
    staff.visit(f"/manage/volunteers/{data.zhang}", "张晓明")
    staff.shoot("volunteer-points.png")
    staff.visit("/partners/review", "共建单位")
    expect(staff.page.get_by_text(APPLICANT)).to_be_visible()
    staff.shoot("partner-review.png")

    assert_shows_what_the_guide_refers_to(staff.taken, "community")


def test_shop_guide_screenshots(camera, guide_server):
    data = guide_server.data
    visitor = camera()
    visitor.visit("/partners/apply", "申请成为共建单位")
    visitor.shoot("partner-apply.png")

    shop = camera()
    shop.log_in(*SHOP_OWNER)
    shop.visit("/workbench", "核销兑换券")
    shop.shoot("shop-home.png")
    shop.visit(f"/shop/{data.shop}/verify", "核销兑换券")
    shop.shoot("shop-verify.png")
    shop.visit(f"/v/{data.voucher_token}", "交付奖品并确认核销")
    expect(shop.page.get_by_text(REWARD).first).to_be_visible()
    shop.shoot("voucher-check.png", show="button:has-text('交付奖品并确认核销')")
    shop.visit(f"/shop/{data.shop}/rewards/new", "上架奖品")
    shop.shoot("reward-form.png")
    shop.visit(f"/partners/{data.shop}/staff", "店员")
    shop.shoot("shop-staff.png")

    assert_shows_what_the_guide_refers_to(visitor.taken + shop.taken, "shop")


def test_oversight_guide_screenshots(camera, guide_server):
    data = guide_server.data
    oversight = camera()
    oversight.log_in(*YONGAN_OVERSIGHT)
    oversight.visit("/workbench", "共建单位申请")
    oversight.shoot("workbench-oversight.png")
    oversight.visit(f"/partners/{data.applicant}", APPLICANT)
    oversight.shoot("partner-detail.png", show="button:has-text('通过')")
    oversight.visit("/manage/economy", "积分收支")
    oversight.shoot("economy.png")
    oversight.visit("/manage/ledger-audit", "积分核对")
    expect(oversight.page.get_by_text("所有余额均与流水一致")).to_be_visible()
    oversight.shoot("ledger-audit.png")

    assert_shows_what_the_guide_refers_to(oversight.taken, "oversight")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_the_guide_reads_on_a_phone_with_its_pictures(page, browser_log, elder):
    """/help and each role page: every picture loads, nothing scrolls sideways, and the
    page keeps the Content-Security-Policy (no inline style or script from the guide)."""
    page.goto("/help/")
    if elder:
        page.get_by_role("button", name=re.compile("大字模式")).click()
        expect(page.locator("html.elder, body.elder").first).to_be_attached()
    for path in ["/help/", *(f"/help/{slug}" for slug in guide.PAGES)]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        pictures = page.locator("article.guide img.shot")
        count = pictures.count()
        assert count >= 1, path
        for index in range(count):
            picture = pictures.nth(index)
            picture.scroll_into_view_if_needed()
            expect(picture).to_have_js_property("complete", True)
            assert picture.evaluate("(img) => img.naturalWidth") > 0, (path, index)
            box = picture.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, path
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), path
    browser_log.assert_clean()
