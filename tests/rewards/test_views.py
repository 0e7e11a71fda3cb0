"""The points supermarket as people use it: volunteers browse and redeem, show a voucher's
QR code at the counter, the business's staff verify it, list rewards and download the
settlement; owners manage staff, admins suspend partners and read the points economy.

The UI's default language is Chinese, so the tests check status codes, element ids,
numbers, names, redirects, the database and CSV content rather than sentences.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import zxingcpp
from flask import url_for
from PIL import Image
from sqlalchemy import func, select

from govhub import clock
from govhub.accounts.models import Role, RoleAssignment
from govhub.clock import to_utc
from govhub.database import utcnow
from govhub.extensions import db
from govhub.notifications.models import Notification
from govhub.partners import services as partners
from govhub.partners.models import Partner, PartnerStatus
from govhub.points import services as points
from govhub.points.models import EntryKind, LedgerEntry, PointsAccount
from govhub.rewards import catalog, vouchers
from govhub.rewards.models import Redemption, Reward, RewardPhoto, RewardStatus, VoucherStatus
from govhub.tokens import voucher_token
from tests.factories import PASSWORD, make_admin, make_system_admin, make_tree
from tests.rewards.helpers import give_points, make_reward, make_shop, make_volunteer

HOLDER_PHONE = "13812340000"
HOLDER_MASKED = "138****0000"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def login(app, user):
    """A fresh browser session logged in as ``user``."""
    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303, text_of(response)
    return client


def new_key() -> str:
    return uuid.uuid4().hex


def post_redeem(client, reward_id: int, key: str | None = None):
    return client.post(f"/rewards/{reward_id}/redeem", data={"key": key or new_key()})


def voucher_id_from(response) -> int:
    match = re.fullmatch(r"/my/vouchers/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def issue(volunteer, reward, *, now=None) -> Redemption:
    """A voucher issued now (the pages use the real clock)."""
    return vouchers.redeem(volunteer.id, reward.id, key=f"test:{new_key()}", now=now or utcnow())


def balance(volunteer_id: int) -> int:
    db.session.expire_all()
    account = db.session.get(PointsAccount, volunteer_id)
    return account.balance if account else 0


def reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def field_error(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error"[^>]*>(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else None


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def cards(page: str) -> dict[int, str]:
    """The catalog's reward cards by reward id."""
    return {
        int(rid): body
        for rid, body in re.findall(
            r'<li class="card reward-card" id="reward-(\d+)">(.*?)</li>', page, re.S
        )
    }


def reward_form(**overrides) -> dict:
    values = {
        "title": "Soy sauce",
        "description": "One bottle.",
        "price": "40",
        "stock": "5",
        "monthly_limit": "",
        "available_from": "",
        "available_until": "",
        "area": "community",
    }
    values.update(overrides)
    return values


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def world(app):
    """Shop A (Kind Grocery, community A) and shop B (Beta Bakery, community B), each
    with a reward; a volunteer of each community with points; a bystander volunteer."""
    tree = make_tree()
    owner = make_volunteer(tree, name="Owner Wang")
    shop, owner = make_shop(tree, name="Kind Grocery", owner=owner)
    reward = make_reward(shop, owner, title="5 kg of rice", price=100, stock=10, monthly_limit=3)
    holder = make_volunteer(tree, name="张晓明", phone=HOLDER_PHONE)
    give_points(holder.id, 1000)
    other = make_volunteer(tree, name="Other Volunteer")
    b_owner = make_volunteer(tree, "community_b", name="Owner Bai")
    b_shop, b_owner = make_shop(tree, community="community_b", name="Beta Bakery", owner=b_owner)
    b_reward = make_reward(b_shop, b_owner, title="Sourdough loaf", price=30, stock=5)
    b_holder = make_volunteer(tree, "community_b", name="Beta Holder")
    give_points(b_holder.id, 500)
    return SimpleNamespace(
        tree=tree,
        shop=shop,
        owner=owner,
        reward=reward,
        holder=holder,
        other=other,
        b_shop=b_shop,
        b_owner=b_owner,
        b_reward=b_reward,
        b_holder=b_holder,
    )


def add_staff(world, name="Clerk Zhou"):
    """A second staff member of shop A, added by the owner."""
    clerk = make_volunteer(world.tree, name=name)
    partners.invite_staff(world.owner.id, world.shop.id, clerk.phone)
    return clerk


# --- The catalog ---------------------------------------------------------------------


def test_catalog_shows_eligible_rewards_with_price_stock_and_allowance(app, world):
    tea_shop, tea_owner = make_shop(world.tree, name="Corner Tea")
    tea = make_reward(tea_shop, tea_owner, title="Green tea", price=50, stock=4)
    haircut = make_reward(world.shop, world.owner, title="A haircut", price=1500, stock=2)
    soap = make_reward(world.shop, world.owner, title="Hidden soap", price=10)
    catalog.set_paused(world.owner.id, soap.id, True)
    issue(world.holder, world.reward)  # balance 900, rice stock 9, allowance 3 - 1

    client = login(app, world.holder)
    response = client.get("/rewards")
    assert response.status_code == 200
    page = text_of(response)
    shown = cards(page)
    assert set(shown) == {world.reward.id, tea.id, haircut.id}  # not paused, not B's
    assert "Hidden soap" not in page and "Sourdough loaf" not in page
    rice = shown[world.reward.id]
    assert "5 kg of rice" in rice and "Kind Grocery" in rice
    assert re.search(r'class="price">[^<]*(?<!\d)100(?!\d)', rice)  # 100积分
    assert re.search(r'class="stock">\s*9\s*<', rice)
    assert re.search(r'class="allowance">\s*2\s*<', rice)
    assert re.search(r'class="stock">\s*4\s*<', shown[tea.id])
    assert re.search(r'class="price">[^<]*(?<!\d)1500(?!\d)', shown[haircut.id])
    assert "900" in page[: page.index('id="catalog"')]  # the balance line
    # Cheapest first.
    assert page.index(f'id="reward-{tea.id}"') < page.index(f'id="reward-{world.reward.id}"')
    assert page.index(f'id="reward-{world.reward.id}"') < page.index(f'id="reward-{haircut.id}"')
    # Both businesses of the volunteer's area are in the filter, B's is not.
    assert f'<option value="{world.shop.id}"' in page
    assert f'<option value="{tea_shop.id}"' in page
    assert f'<option value="{world.b_shop.id}"' not in page


def test_catalog_filters_and_htmx_fragment(app, world):
    tea_shop, tea_owner = make_shop(world.tree, name="Corner Tea")
    tea = make_reward(tea_shop, tea_owner, title="Green tea", price=50, stock=4)
    haircut = make_reward(world.shop, world.owner, title="A haircut", price=1500, stock=2)
    gone = make_reward(world.shop, world.owner, title="Sold-out oil", price=20, stock=0)
    client = login(app, world.holder)

    affordable = cards(text_of(client.get("/rewards?affordable=1")))
    assert set(affordable) == {tea.id, world.reward.id}  # not too dear, not sold out
    by_partner = cards(text_of(client.get(f"/rewards?partner={tea_shop.id}")))
    assert set(by_partner) == {tea.id}
    cheap = cards(text_of(client.get("/rewards?max_price=100")))
    assert set(cheap) == {tea.id, world.reward.id, gone.id}
    combined = cards(text_of(client.get(f"/rewards?max_price=500&partner={world.shop.id}")))
    assert set(combined) == {world.reward.id, gone.id}
    assert haircut.id in cards(text_of(client.get("/rewards")))

    response = client.get("/rewards?affordable=1", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = text_of(response)
    assert fragment.lstrip().startswith('<section id="catalog"')
    assert "<html" not in fragment and 'role="search"' not in fragment
    assert set(cards(fragment)) == {tea.id, world.reward.id}
    assert "HX-Request" in response.headers.get("Vary", "")


def test_catalog_and_reward_need_a_login(world, client):
    for url in ("/rewards", f"/rewards/{world.reward.id}", "/my/vouchers"):
        response = client.get(url)
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]


def test_a_reward_of_another_area_is_not_found(app, world):
    client = login(app, world.holder)
    assert client.get(f"/rewards/{world.b_reward.id}").status_code == 404
    assert post_redeem(client, world.b_reward.id).status_code == 404
    assert count(Redemption) == 0


# --- Redeeming -----------------------------------------------------------------------


def test_redeem_issues_a_voucher_and_a_resend_finds_it(app, world):
    client = login(app, world.holder)
    page = text_of(client.get(f"/rewards/{world.reward.id}"))
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page).group(1)

    response = post_redeem(client, world.reward.id, key)
    assert response.status_code == 303
    voucher_id = voucher_id_from(response)
    again = post_redeem(client, world.reward.id, key)  # a double click or a retry
    assert again.status_code == 303
    assert voucher_id_from(again) == voucher_id

    assert count(Redemption) == 1
    voucher = reload(Redemption, voucher_id)
    assert voucher.volunteer_id == world.holder.id
    assert (voucher.title, voucher.price, voucher.status) == (
        "5 kg of rice",
        100,
        VoucherStatus.issued,
    )
    assert balance(world.holder.id) == 900
    assert reload(Reward, world.reward.id).stock == 9
    assert count(LedgerEntry, LedgerEntry.kind == EntryKind.redeem) == 1


def test_a_key_reused_for_another_reward_is_refused(app, world):
    oil = make_reward(world.shop, world.owner, title="Peanut oil", price=60)
    client = login(app, world.holder)
    key = new_key()
    first = post_redeem(client, world.reward.id, key)
    assert first.status_code == 303

    response = post_redeem(client, oil.id, key)
    assert response.status_code == 409
    page = text_of(response)
    # The form comes back with a fresh key, so pressing the button again works.
    fresh = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert fresh != key
    assert count(Redemption) == 1
    assert count(Redemption, Redemption.reward_id == oil.id) == 0
    assert balance(world.holder.id) == 900
    assert reload(Reward, oil.id).stock == 10


def test_redeeming_without_enough_points_changes_nothing(app, world):
    dear = make_reward(world.shop, world.owner, title="Rice cooker", price=1500, stock=3)
    entries = count(LedgerEntry)
    client = login(app, world.holder)
    response = post_redeem(client, dear.id)
    assert response.status_code == 422
    assert 'id="redeem-form"' in text_of(response)
    assert count(Redemption) == 0
    assert count(LedgerEntry) == entries
    assert balance(world.holder.id) == 1000
    assert reload(Reward, dear.id).stock == 3


def test_a_form_without_a_valid_key_issues_nothing(app, world):
    client = login(app, world.holder)
    response = client.post(f"/rewards/{world.reward.id}/redeem", data={"key": "not-a-key"})
    assert response.status_code == 422
    assert count(Redemption) == 0
    assert balance(world.holder.id) == 1000


# --- The volunteer's voucher ---------------------------------------------------------


def test_voucher_page_shows_the_code_and_a_qr_that_opens_the_voucher(app, world):
    client = login(app, world.holder)
    voucher_id = voucher_id_from(post_redeem(client, world.reward.id))
    voucher = reload(Redemption, voucher_id)

    response = client.get(f"/my/vouchers/{voucher_id}")
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(rf'id="short-code">\s*{voucher.display_code}\s*<', page)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", voucher.display_code)
    assert f'src="/my/vouchers/{voucher_id}/qr.png"' in page
    assert "5 kg of rice" in page and "Kind Grocery" in page

    qr = client.get(f"/my/vouchers/{voucher_id}/qr.png")
    assert qr.status_code == 200
    assert qr.headers["Content-Type"] == "image/png"
    assert "no-store" in qr.headers["Cache-Control"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.data)))[0].text
    token = voucher_token(voucher_id)
    assert decoded == f"http://localhost/v/{token}"
    with app.test_request_context():
        assert decoded == url_for("rewards.open_voucher", token=token, _external=True)

    # What the URL opens: the holder is sent to their voucher, the staff see it.
    path = decoded.removeprefix("http://localhost")
    opened = client.get(path)
    assert opened.status_code in (302, 303)
    assert opened.headers["Location"].endswith(f"/my/vouchers/{voucher_id}")
    staff = login(app, world.owner)
    counter = staff.get(path)
    assert counter.status_code == 200
    assert "5 kg of rice" in text_of(counter)
    assert 'id="confirm-voucher"' in text_of(counter)


def test_the_full_screen_view_shows_only_the_qr_and_the_code_in_large(app, world):
    voucher = issue(world.holder, world.reward)
    client = login(app, world.holder)
    page = text_of(client.get(f"/my/vouchers/{voucher.id}"))
    # Tapping the QR code opens the full-screen view.
    full_link = rf'<a class="voucher-qr" href="/my/vouchers/{voucher.id}/full"[^>]*>'
    assert re.search(full_link + r'\s*<img id="voucher-qr"', page)

    response = client.get(f"/my/vouchers/{voucher.id}/full")
    assert response.status_code == 200
    full = text_of(response)
    assert f'src="/my/vouchers/{voucher.id}/qr.png"' in full
    assert re.search(rf'id="full-code">\s*{voucher.display_code}\s*<', full)
    assert "调高屏幕亮度" in full  # the brightness hint
    assert 'class="site-header"' not in full  # nothing else on the screen
    assert "取消" not in full  # no cancelling from there

    # Nobody else sees it; once used it is the voucher page again.
    assert login(app, world.other).get(f"/my/vouchers/{voucher.id}/full").status_code == 403
    login(app, world.owner).post(f"/v/{voucher_token(voucher.id)}/fulfil")
    used = client.get(f"/my/vouchers/{voucher.id}/full")
    assert used.status_code == 302
    assert used.headers["Location"].endswith(f"/my/vouchers/{voucher.id}")


def test_cancelling_a_voucher_sits_behind_a_second_tap_below_the_code(app, world):
    voucher = issue(world.holder, world.reward)
    page = text_of(login(app, world.holder).get(f"/my/vouchers/{voucher.id}"))
    cancel = page.index('<details class="voucher-cancel')
    assert page.index('id="short-code"') < page.index('id="voucher-price"') < cancel
    assert page.index(f'action="/my/vouchers/{voucher.id}/cancel"') > cancel
    assert "confirm(" not in page


def test_vouchers_list_links_every_voucher(app, world):
    first = issue(world.holder, world.reward)
    second = issue(world.holder, world.reward)
    vouchers.cancel(world.holder.id, second.id, now=utcnow())
    client = login(app, world.holder)
    page = text_of(client.get("/my/vouchers"))
    assert f'id="voucher-{first.id}"' in page and f'id="voucher-{second.id}"' in page
    assert f'href="/my/vouchers/{first.id}"' in page
    assert page.index(f'id="voucher-{first.id}"') < page.index(f'id="voucher-{second.id}"')
    assert "voucher-cancelled" in page and "voucher-issued" in page


@pytest.mark.parametrize("who", ["other", "owner", "sysadmin"])
def test_nobody_else_sees_a_voucher_or_its_qr(app, world, who):
    voucher = issue(world.holder, world.reward)
    user = make_system_admin(world.tree) if who == "sysadmin" else getattr(world, who)
    client = login(app, user)
    assert client.get(f"/my/vouchers/{voucher.id}").status_code == 403
    assert client.get(f"/my/vouchers/{voucher.id}/qr.png").status_code == 403
    assert client.post(f"/my/vouchers/{voucher.id}/cancel").status_code == 403
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued


def test_cancel_refunds_the_points_and_the_stock(app, world):
    client = login(app, world.holder)
    voucher_id = voucher_id_from(post_redeem(client, world.reward.id))
    assert balance(world.holder.id) == 900

    response = client.post(f"/my/vouchers/{voucher_id}/cancel")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/my/vouchers/{voucher_id}")
    voucher = reload(Redemption, voucher_id)
    assert voucher.status is VoucherStatus.cancelled
    assert balance(world.holder.id) == 1000 == points.ledger_sum(world.holder.id)
    assert reload(Reward, world.reward.id).stock == 10
    assert [category for category, _ in flashes(client)] == ["success"]
    page = text_of(client.get(f"/my/vouchers/{voucher_id}"))
    assert "voucher-cancelled" in page and 'id="voucher-qr"' not in page
    assert client.get(f"/my/vouchers/{voucher_id}/qr.png").status_code == 404
    # A second cancel refunds nothing more.
    client.post(f"/my/vouchers/{voucher_id}/cancel")
    assert balance(world.holder.id) == 1000
    assert count(LedgerEntry, LedgerEntry.kind == EntryKind.refund) == 1


# --- At the counter: /v/<token> --------------------------------------------------------


def assert_no_leak(page: str, world, title: str = "5 kg of rice") -> None:
    assert "张晓明" not in page
    assert HOLDER_PHONE not in page and HOLDER_MASKED not in page
    assert title not in page


def test_anonymous_visitor_is_sent_to_login_and_learns_nothing(world, client):
    voucher = issue(world.holder, world.reward)
    token = voucher_token(voucher.id)
    response = client.get(f"/v/{token}")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    assert_no_leak(text_of(response), world)
    fulfil = client.post(f"/v/{token}/fulfil")
    assert fulfil.status_code in (302, 303) and "/login" in fulfil.headers["Location"]
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued


@pytest.mark.parametrize("who", ["other", "b_owner"])
def test_a_stranger_gets_403_and_learns_nothing(app, world, who):
    voucher = issue(world.holder, world.reward)
    token = voucher_token(voucher.id)
    client = login(app, getattr(world, who))
    response = client.get(f"/v/{token}")
    assert response.status_code == 403
    assert_no_leak(text_of(response), world)
    for action in ("fulfil", "reject"):
        response = client.post(f"/v/{token}/{action}", data={"reason": "Nope"})
        assert response.status_code == 403
        assert_no_leak(text_of(response), world)
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued
    assert balance(world.holder.id) == 900


def test_the_holder_opening_the_link_is_sent_to_their_voucher(app, world):
    voucher = issue(world.holder, world.reward)
    client = login(app, world.holder)
    response = client.get(f"/v/{voucher_token(voucher.id)}")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(f"/my/vouchers/{voucher.id}")


def test_staff_see_the_voucher_with_a_masked_phone_and_fulfil_it_once(app, world):
    voucher = issue(world.holder, world.reward)
    token = voucher_token(voucher.id)
    clerk = add_staff(world)
    owner = login(app, world.owner)

    response = owner.get(f"/v/{token}")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>5 kg of rice</h1>" in page
    assert re.search(r'id="volunteer-name">\s*张晓明\s*<', page)
    assert re.search(rf'id="volunteer-phone">\s*{re.escape(HOLDER_MASKED)}\s*<', page)
    assert HOLDER_PHONE not in page
    assert voucher.display_code in page

    response = owner.post(f"/v/{token}/fulfil")
    assert response.status_code == 200
    assert "voucher-fulfilled" in text_of(response)
    done = reload(Redemption, voucher.id)
    assert done.status is VoucherStatus.fulfilled
    assert done.fulfilled_by_id == world.owner.id and done.fulfilled_at is not None
    assert balance(world.holder.id) == 900  # spent for good

    second = login(app, clerk).post(f"/v/{token}/fulfil")
    assert second.status_code == 409
    page = text_of(second)
    result = re.search(r'id="counter-result">(.*?)</p>', page, re.S).group(1)
    assert "Owner Wang" in result  # who verified it (the clerk is the one logged in)
    local = done.fulfilled_at + timedelta(hours=8)
    assert local.strftime("%H:%M") in page
    assert reload(Redemption, voucher.id).fulfilled_by_id == world.owner.id
    assert count(LedgerEntry, LedgerEntry.kind == EntryKind.refund) == 0


def test_a_forged_token_is_refused(app, world):
    voucher = issue(world.holder, world.reward)
    client = login(app, world.owner)
    real = voucher_token(voucher.id)
    for token in ("garbage", real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB")):
        response = client.get(f"/v/{token}")
        assert response.status_code == 400
        assert_no_leak(text_of(response), world)
        assert client.post(f"/v/{token}/fulfil").status_code == 400
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued


def test_a_forged_voucher_link_explains_itself_as_a_voucher_on_the_shared_problem_page(app, world):
    client = login(app, world.owner)
    client.post("/preferences/language", data={"locale": "en"})
    response = client.get("/v/garbage")
    assert response.status_code == 400
    page = text_of(response)
    assert '<section class="card scan-result problem">' in page
    assert "This voucher link is not valid." in page
    assert "organizer" not in page  # not the check-in code's advice


def test_reject_needs_a_reason_and_refunds(app, world):
    voucher = issue(world.holder, world.reward)
    token = voucher_token(voucher.id)
    client = login(app, world.owner)

    response = client.post(f"/v/{token}/reject", data={"reason": "  "})
    assert response.status_code == 422
    assert field_error(text_of(response), "reason")
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued
    assert balance(world.holder.id) == 900

    response = client.post(f"/v/{token}/reject", data={"reason": "The rice ran out"})
    assert response.status_code == 200
    rejected = reload(Redemption, voucher.id)
    assert rejected.status is VoucherStatus.rejected
    assert rejected.close_reason == "The rice ran out"
    assert rejected.closed_by_id == world.owner.id
    assert balance(world.holder.id) == 1000 == points.ledger_sum(world.holder.id)
    assert reload(Reward, world.reward.id).stock == 9  # the staff said the goods are gone
    # The voucher cannot be used afterwards.
    assert client.post(f"/v/{token}/fulfil").status_code == 409
    assert reload(Redemption, voucher.id).status is VoucherStatus.rejected


def test_a_voucher_past_its_date_cannot_be_used_at_the_counter(app, world):
    voucher = issue(world.holder, world.reward, now=utcnow() - timedelta(days=31))
    token = voucher_token(voucher.id)
    client = login(app, world.owner)
    page = text_of(client.get(f"/v/{token}"))
    assert 'id="confirm-voucher"' not in page
    response = client.post(f"/v/{token}/fulfil")
    assert response.status_code == 409
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued
    # The job refunds it later.
    assert vouchers.expire_vouchers(now=utcnow()) == 1
    assert reload(Redemption, voucher.id).status is VoucherStatus.expired
    assert balance(world.holder.id) == 1000


def test_staff_logging_in_from_the_qr_link_come_back_to_the_voucher(app, world):
    voucher = issue(world.holder, world.reward)
    token = voucher_token(voucher.id)
    client = app.test_client()
    response = client.get(f"/v/{token}")
    login_url = response.headers["Location"]
    assert token in login_url
    response = client.post(login_url, data={"phone": world.owner.phone, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/v/{token}")
    assert client.get(f"/v/{token}").status_code == 200


def test_the_open_voucher_page_turns_to_used_when_the_staff_confirm(app, world):
    voucher = issue(world.holder, world.reward)
    holder = login(app, world.holder)
    poll = {"HX-Request": "true"}
    page = text_of(holder.get(f"/my/vouchers/{voucher.id}"))
    assert 'data-hx-trigger="every 5s"' in page
    # Until something happens the page's question gets an empty answer: nothing moves.
    unchanged = holder.get(f"/my/vouchers/{voucher.id}", headers=poll)
    assert unchanged.status_code == 204 and unchanged.data == b""
    assert "HX-Request" in unchanged.headers.get("Vary", "")
    assert login(app, world.owner).post(f"/v/{voucher_token(voucher.id)}/fulfil").status_code == 200
    fragment = text_of(holder.get(f"/my/vouchers/{voucher.id}", headers=poll))
    assert fragment.lstrip().startswith('<section id="voucher-status"')
    assert "<html" not in fragment
    assert "voucher-fulfilled" in fragment and 'id="used-at"' in fragment
    assert re.search(r'id="voucher-state">\s*已使用 \d\d:\d\d\s*<', fragment)
    assert "hx-trigger" not in fragment and 'id="voucher-qr"' not in fragment
    assert 'id="voucher-cancel"' not in fragment
    assert holder.get(f"/my/vouchers/{voucher.id}/qr.png").status_code == 404


# --- Who may act for a business ------------------------------------------------------


def test_staff_of_one_business_cannot_run_another(app, world):
    b = world.b_shop.id
    client = login(app, world.owner)
    assert client.get(f"/shop/{world.shop.id}/").status_code == 200
    assert client.get(f"/shop/{b}/").status_code == 403
    assert client.get(f"/shop/{b}/rewards/new").status_code == 403
    assert client.post(f"/shop/{b}/rewards/new", data=reward_form()).status_code == 403
    edit = f"/shop/{b}/rewards/{world.b_reward.id}/edit"
    assert client.get(edit).status_code == 403
    assert client.post(edit, data=reward_form(title="Hacked", price="1")).status_code == 403
    assert client.post(f"/shop/{b}/rewards/{world.b_reward.id}/pause").status_code == 403
    assert client.get(f"/shop/{b}/verify").status_code == 403
    export = client.get(f"/shop/{b}/export.csv?start=2026-11-01&end=2026-11-30")
    assert export.status_code == 403
    assert "text/csv" not in export.headers["Content-Type"]
    # B's reward through A's own shop URL: not found.
    own = f"/shop/{world.shop.id}/rewards/{world.b_reward.id}"
    assert client.get(f"{own}/edit").status_code == 404
    assert client.post(f"{own}/edit", data=reward_form(title="Hacked")).status_code == 404
    assert client.post(f"{own}/pause").status_code == 404

    b_reward = reload(Reward, world.b_reward.id)
    assert (b_reward.title, b_reward.price, b_reward.status) == (
        "Sourdough loaf",
        30,
        RewardStatus.active,
    )
    assert count(Reward, Reward.partner_id == b) == 1


def test_a_system_admin_does_not_act_for_a_business(app, world):
    voucher = issue(world.holder, world.reward)
    token = voucher_token(voucher.id)
    client = login(app, make_system_admin(world.tree))
    assert client.get(f"/shop/{world.shop.id}/").status_code == 403
    assert client.get(f"/shop/{world.shop.id}/verify").status_code == 403
    response = client.get(f"/v/{token}")
    assert response.status_code == 403
    assert_no_leak(text_of(response), world)
    assert client.post(f"/v/{token}/fulfil").status_code == 403
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued


def test_pause_and_resume_take_a_reward_out_of_the_catalog_and_back(app, world):
    staff = login(app, world.owner)
    volunteer = login(app, world.holder)
    base = f"/shop/{world.shop.id}/rewards/{world.reward.id}"
    assert staff.post(f"{base}/pause").status_code == 303
    assert reload(Reward, world.reward.id).status is RewardStatus.paused
    assert world.reward.id not in cards(text_of(volunteer.get("/rewards")))
    assert post_redeem(volunteer, world.reward.id).status_code == 422
    assert staff.post(f"{base}/resume").status_code == 303
    assert world.reward.id in cards(text_of(volunteer.get("/rewards")))


# --- Verifying by code -----------------------------------------------------------------


@pytest.mark.parametrize("style", ["dash", "spaces"])
def test_a_code_typed_in_lower_case_finds_the_voucher(app, world, style):
    voucher = issue(world.holder, world.reward)
    code = voucher.code.lower()
    typed = f"{code[:4]}-{code[4:]}" if style == "dash" else f" {code[:4]} {code[4:]} "
    client = login(app, world.owner)
    assert client.get(f"/shop/{world.shop.id}/verify").status_code == 200
    response = client.post(f"/shop/{world.shop.id}/verify", data={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/v/{voucher_token(voucher.id)}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_code_of_another_business_is_not_found_and_not_revealed(app, world):
    b_voucher = issue(world.b_holder, world.b_reward)
    client = login(app, world.owner)
    response = client.post(f"/shop/{world.shop.id}/verify", data={"code": b_voucher.code})
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "code")
    assert "Sourdough loaf" not in page and "Beta Holder" not in page
    assert voucher_token(b_voucher.id) not in page
    assert reload(Redemption, b_voucher.id).status is VoucherStatus.issued
    # Nonsense is refused the same way.
    response = client.post(f"/shop/{world.shop.id}/verify", data={"code": "zzzz"})
    assert response.status_code == 422 and field_error(text_of(response), "code")


# --- The reward form -----------------------------------------------------------------


def test_list_a_reward_with_a_photo(app, world):
    client = login(app, world.owner)
    assert client.get(f"/shop/{world.shop.id}/rewards/new").status_code == 200
    data = reward_form(title="Soy sauce", price="40", stock="5", monthly_limit="2")
    data["photo"] = (io.BytesIO(png_bytes()), "sauce.png", "image/png")
    response = client.post(
        f"/shop/{world.shop.id}/rewards/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/shop/{world.shop.id}/")
    reward = db.session.scalar(select(Reward).where(Reward.title == "Soy sauce"))
    assert (reward.price, reward.stock, reward.monthly_limit) == (40, 5, 2)
    assert reward.partner_id == world.shop.id and reward.photo_id is not None

    photo = client.get(f"/rewards/photos/{reward.photo_id}.jpg")
    assert photo.status_code == 200
    assert photo.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in photo.headers["Cache-Control"]
    image = Image.open(io.BytesIO(photo.data))
    assert image.format == "JPEG" and image.size == (40, 30)
    assert photo.data != png_bytes()
    # The volunteer sees it in the catalog with its photo.
    catalog = text_of(login(app, world.holder).get("/rewards"))
    assert f"/rewards/photos/{reward.photo_id}.jpg" in cards(catalog)[reward.id]
    assert client.get("/rewards/photos/999999.jpg").status_code == 404


def test_a_text_file_as_photo_is_refused_at_the_field(app, world):
    client = login(app, world.owner)
    data = reward_form(title="Fake photo reward")
    data["photo"] = (io.BytesIO(b"hello, this is not an image\n" * 10), "notes.txt", "text/plain")
    response = client.post(
        f"/shop/{world.shop.id}/rewards/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert field_error(text_of(response), "photo")
    assert count(Reward, Reward.title == "Fake photo reward") == 0
    assert count(RewardPhoto) == 0


def test_reward_form_errors_are_shown_at_the_fields(app, world):
    client = login(app, world.owner)
    response = client.post(
        f"/shop/{world.shop.id}/rewards/new",
        data=reward_form(title="", price="0", stock="-1"),
    )
    assert response.status_code == 422
    page = text_of(response)
    for name in ("title", "price", "stock"):
        assert field_error(page, name), name
    assert count(Reward, Reward.partner_id == world.shop.id) == 1


def test_the_edit_form_adds_the_staffs_change_to_the_stock_as_it_is_now(app, world):
    staff = login(app, world.owner)
    edit = f"/shop/{world.shop.id}/rewards/{world.reward.id}/edit"
    page = text_of(staff.get(edit))
    seen = re.search(r'<input name="stock_seen" type="hidden" value="(\d+)">', page)
    assert seen and seen.group(1) == "10"
    issue(world.holder, world.reward)  # while the form is open: 9 left
    response = staff.post(
        edit,
        data=reward_form(title="5 kg of rice", price="100", stock="12", stock_seen="10"),
    )
    assert response.status_code == 303
    assert reload(Reward, world.reward.id).stock == 11


def test_a_new_price_leaves_issued_vouchers_as_they_were(app, world):
    voucher = issue(world.holder, world.reward)
    staff = login(app, world.owner)
    edit = f"/shop/{world.shop.id}/rewards/{world.reward.id}/edit"
    page = text_of(staff.get(edit))
    assert 'value="5 kg of rice"' in page and 'value="100"' in page
    response = staff.post(
        edit, data=reward_form(title="5 kg of rice", price="150", stock="9", monthly_limit="3")
    )
    assert response.status_code == 303
    assert reload(Reward, world.reward.id).price == 150

    holder = login(app, world.holder)
    page = text_of(holder.get(f"/my/vouchers/{voucher.id}"))
    assert re.search(r'id="voucher-price">\s*100\s*</dd>', page)
    assert not re.search(r"<dd[^>]*>\s*150\s*</dd>", page)
    assert reload(Redemption, voucher.id).price == 100
    # Cancelling refunds what was paid, not the new price.
    holder.post(f"/my/vouchers/{voucher.id}/cancel")
    assert balance(world.holder.id) == 1000
    # A new voucher costs the new price.
    new_id = voucher_id_from(post_redeem(holder, world.reward.id))
    assert reload(Redemption, new_id).price == 150
    assert balance(world.holder.id) == 850


# --- Settlement CSV ------------------------------------------------------------------


def local(y, m, d, hh, mm) -> datetime:
    """A Shanghai wall-clock time as stored (naive UTC)."""
    return to_utc(datetime(y, m, d, hh, mm))


def fulfilled_at(world, volunteer, reward, when: datetime, staff=None) -> Redemption:
    voucher = issue(volunteer, reward, now=when - timedelta(hours=1))
    result = vouchers.fulfil((staff or world.owner).id, voucher.id, now=when)
    assert result.done
    return voucher


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_export_lists_fulfilled_vouchers_in_the_local_date_range(app, world):
    rice = make_reward(world.shop, world.owner, title="Rice bag", price=100, stock=50)
    inside_first = fulfilled_at(world, world.holder, rice, local(2026, 11, 1, 0, 10))
    inside_last = fulfilled_at(world, world.holder, rice, local(2026, 11, 10, 23, 30))
    before = fulfilled_at(world, world.holder, rice, local(2026, 10, 31, 23, 50))
    after = fulfilled_at(world, world.holder, rice, local(2026, 11, 11, 0, 5))
    unused = issue(world.holder, rice, now=local(2026, 11, 5, 12, 0))
    cancelled = issue(world.holder, rice, now=local(2026, 11, 5, 12, 0))
    vouchers.cancel(world.holder.id, cancelled.id, now=local(2026, 11, 5, 13, 0))
    b_voucher = fulfilled_at(
        world, world.b_holder, world.b_reward, local(2026, 11, 5, 12, 0), staff=world.b_owner
    )

    client = login(app, world.owner)
    response = client.get(f"/shop/{world.shop.id}/export.csv?start=2026-11-01&end=2026-11-10")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(response)
    assert rows[0] == [
        "voucher_code",
        "reward",
        "points",
        "volunteer",
        "volunteer_phone",
        "issued_at",
        "fulfilled_at",
        "verified_by",
    ]
    codes = [row[0] for row in rows[1:]]
    assert codes == [inside_first.display_code, inside_last.display_code]
    for skipped in (before, after, unused, cancelled, b_voucher):
        assert skipped.display_code not in codes
    first = rows[1]
    assert first[1:5] == ["Rice bag", "100", "张晓明", HOLDER_MASKED]
    assert first[6] == "2026-11-01 00:10" and first[7] == "Owner Wang"
    assert rows[2][6] == "2026-11-10 23:30"
    assert HOLDER_PHONE not in response.data.decode("utf-8-sig")


def test_export_with_the_end_before_the_start_redirects_with_a_message(app, world):
    fulfilled_at(world, world.holder, world.reward, local(2026, 11, 5, 12, 0))
    client = login(app, world.owner)
    response = client.get(f"/shop/{world.shop.id}/export.csv?start=2026-11-10&end=2026-11-01")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/shop/{world.shop.id}/")
    assert "text/csv" not in response.headers.get("Content-Type", "")
    assert "Content-Disposition" not in response.headers
    assert [category for category, _ in flashes(client)] == ["error"]
    # A missing date, too.
    response = client.get(f"/shop/{world.shop.id}/export.csv?start=2026-11-10")
    assert response.status_code == 303 and "Content-Disposition" not in response.headers


def test_export_quotes_text_a_spreadsheet_would_run(app, world):
    formula = make_reward(world.shop, world.owner, title='=HYPERLINK("http://x.test","rice")')
    minus = make_reward(world.shop, world.owner, title="-2+3 bottles")
    mallory = make_volunteer(world.tree, name="@SUM(1+1)")
    give_points(mallory.id, 500)
    fulfilled_at(world, world.holder, formula, local(2026, 11, 3, 10, 0))
    fulfilled_at(world, mallory, minus, local(2026, 11, 3, 11, 0))
    client = login(app, world.owner)
    url = f"/shop/{world.shop.id}/export.csv?start=2026-11-03&end=2026-11-03"
    rows = read_csv(client.get(url))
    titles = [row[1] for row in rows[1:]]
    assert titles == ['\'=HYPERLINK("http://x.test","rice")', "'-2+3 bottles"]
    assert rows[2][3] == "'@SUM(1+1)"  # a volunteer's name is theirs to choose, too


# --- The shop page -------------------------------------------------------------------


def test_the_shop_page_shows_figures_rewards_and_recent_fulfilments(app, world):
    done = issue(world.holder, world.reward)
    vouchers.fulfil(world.owner.id, done.id, now=utcnow())
    issue(world.holder, world.reward)
    client = login(app, world.owner)
    response = client.get(f"/shop/{world.shop.id}/")
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(r'id="fulfilled-today">\s*1\s*<', page)
    assert re.search(r'id="outstanding">\s*1\s*<', page)
    assert f'id="shop-reward-{world.reward.id}"' in page
    recent = page[page.index('id="recent"') :]
    assert "张晓明" in recent and HOLDER_MASKED in recent and HOLDER_PHONE not in page
    assert done.display_code in recent
    assert f'href="/partners/{world.shop.id}/staff"' in page  # the owner manages staff


# --- Staff -----------------------------------------------------------------------------


def test_owner_adds_staff_by_phone_and_they_can_open_the_shop(app, world):
    newcomer = make_volunteer(world.tree, name="Newcomer Liu")
    assert login(app, newcomer).get(f"/shop/{world.shop.id}/").status_code == 403
    owner = login(app, world.owner)
    page = text_of(owner.get(f"/partners/{world.shop.id}/staff"))
    assert "Owner Wang" in page
    response = owner.post(f"/partners/{world.shop.id}/staff", data={"phone": newcomer.phone})
    assert response.status_code == 303
    assert "Newcomer Liu" in text_of(owner.get(f"/partners/{world.shop.id}/staff"))
    client = login(app, newcomer)
    assert client.get(f"/shop/{world.shop.id}/").status_code == 200
    assert client.get(f"/shop/{world.b_shop.id}/").status_code == 403  # this shop only
    # A staff member who is not the owner does not manage staff.
    assert client.get(f"/partners/{world.shop.id}/staff").status_code == 403
    assert f'href="/partners/{world.shop.id}/staff"' not in text_of(
        client.get(f"/shop/{world.shop.id}/")
    )
    # The owner takes them off again.
    response = owner.post(f"/partners/{world.shop.id}/staff/{newcomer.id}/remove")
    assert response.status_code == 303
    assert login(app, newcomer).get(f"/shop/{world.shop.id}/").status_code == 403


def test_an_unknown_phone_is_refused_at_the_field(app, world):
    owner = login(app, world.owner)
    response = owner.post(f"/partners/{world.shop.id}/staff", data={"phone": "13711112222"})
    assert response.status_code == 422
    assert "13711112222" in field_error(text_of(response), "phone")
    response = owner.post(f"/partners/{world.shop.id}/staff", data={"phone": "12345"})
    assert response.status_code == 422 and field_error(text_of(response), "phone")
    staff = count(RoleAssignment, RoleAssignment.partner_id == world.shop.id)
    assert staff == 1


def test_staff_who_are_not_the_owner_cannot_manage_staff(app, world):
    clerk = add_staff(world)
    someone = make_volunteer(world.tree, name="Someone")
    client = login(app, clerk)
    assert client.get(f"/partners/{world.shop.id}/staff").status_code == 403
    response = client.post(f"/partners/{world.shop.id}/staff", data={"phone": someone.phone})
    assert response.status_code == 403
    remove = client.post(f"/partners/{world.shop.id}/staff/{world.owner.id}/remove")
    assert remove.status_code == 403
    assert count(RoleAssignment, RoleAssignment.partner_id == world.shop.id) == 2
    # Nor does the owner of another business.
    other = login(app, world.b_owner)
    assert other.get(f"/partners/{world.shop.id}/staff").status_code == 403


def test_the_owner_cannot_remove_themself(app, world):
    owner = login(app, world.owner)
    response = owner.post(f"/partners/{world.shop.id}/staff/{world.owner.id}/remove")
    assert response.status_code == 303
    assert [category for category, _ in flashes(owner)] == ["error"]
    assert (
        count(
            RoleAssignment,
            RoleAssignment.partner_id == world.shop.id,
            RoleAssignment.user_id == world.owner.id,
            RoleAssignment.role == Role.partner_staff,
        )
        == 1
    )
    assert owner.get(f"/shop/{world.shop.id}/").status_code == 200


def test_staff_cannot_verify_their_own_voucher(app, world):
    """The owner is also a volunteer: they may redeem at their own shop, but the voucher
    must be verified by someone else."""
    give_points(world.owner.id, 500)
    own = issue(world.owner, world.reward)
    token = voucher_token(own.id)
    staff = login(app, world.owner)

    opened = staff.get(f"/v/{token}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/my/vouchers/{own.id}")
    assert staff.post(f"/v/{token}/fulfil").status_code == 302
    assert reload(Redemption, own.id).status is VoucherStatus.issued


# --- Suspending a partner ------------------------------------------------------------


def test_suspending_refunds_unused_vouchers_and_empties_the_shelf(app, world):
    used = issue(world.holder, world.reward)
    vouchers.fulfil(world.owner.id, used.id, now=utcnow())
    unused = issue(world.holder, world.reward)
    assert balance(world.holder.id) == 800
    admin = login(app, make_admin(world.tree, scope="community_a", name="Admin Zhao"))

    response = admin.post(f"/partners/{world.shop.id}/suspend", data={"reason": "Fake goods"})
    assert response.status_code == 303
    assert reload(Partner, world.shop.id).status is PartnerStatus.suspended
    assert reload(Redemption, unused.id).status is VoucherStatus.voided
    assert reload(Redemption, used.id).status is VoucherStatus.fulfilled
    assert balance(world.holder.id) == 900 == points.ledger_sum(world.holder.id)

    holder = login(app, world.holder)
    catalog = text_of(holder.get("/rewards"))
    assert world.reward.id not in cards(catalog) and "5 kg of rice" not in catalog
    assert f'<option value="{world.shop.id}"' not in catalog
    assert post_redeem(holder, world.reward.id).status_code in (404, 422)
    assert count(Redemption) == 2
    # The staff cannot verify anything any more.
    staff = login(app, world.owner)
    assert staff.post(f"/v/{voucher_token(unused.id)}/fulfil").status_code == 409
    assert reload(Redemption, unused.id).status is VoucherStatus.voided


@pytest.mark.parametrize("how", ["paused", "suspended", "ended"])
def test_a_reward_no_longer_on_offer_says_so_and_has_no_redeem_button(app, world, how):
    """An old link to a reward that is paused, ended or whose business is suspended
    opens its page, which says why it cannot be redeemed and offers no button."""
    if how == "paused":
        catalog.set_paused(world.owner.id, world.reward.id, True)
    elif how == "ended":
        yesterday = clock.local_date(utcnow()) - timedelta(days=1)
        catalog.save_reward(
            world.owner.id,
            world.shop.id,
            catalog.RewardInput(
                title="5 kg of rice",
                description="",
                price=100,
                stock=10,
                monthly_limit=3,
                available_from=None,
                available_until=yesterday,
                area=world.reward.area,
            ),
            reward_id=world.reward.id,
        )
    else:
        admin = make_admin(world.tree, scope="community_a", name="Admin Zhao")
        partners.suspend(admin.id, world.shop.id, "Fake goods", now=utcnow())
    holder = login(app, world.holder)
    response = holder.get(f"/rewards/{world.reward.id}")
    page = text_of(response)
    form = page.split('id="redeem-form"', 1)[1] if 'id="redeem-form"' in page else ""
    offers_redeem = 'type="submit" class="button primary"' in form
    assert (response.status_code, offers_redeem) == (200, False)
    assert 'id="not-on-offer"' in page
    assert post_redeem(holder, world.reward.id).status_code in (404, 422)
    assert count(Redemption) == 0 and balance(world.holder.id) == 1000


def test_an_admin_of_another_community_cannot_suspend(app, world):
    voucher = issue(world.holder, world.reward)
    admin = login(app, make_admin(world.tree, scope="community_b", name="Admin Bo"))
    response = admin.post(f"/partners/{world.shop.id}/suspend", data={"reason": "Nope"})
    assert response.status_code == 403
    assert reload(Partner, world.shop.id).status is PartnerStatus.approved
    assert reload(Redemption, voucher.id).status is VoucherStatus.issued
    assert balance(world.holder.id) == 900


# --- The points economy --------------------------------------------------------------


def figure(page: str, name: str) -> int:
    return int(re.search(rf'id="{name}">\s*(-?\d+)\s*<', page).group(1))


@pytest.fixture
def economy(world):
    """This month: community A's holder redeems 100 twice and cancels one; community B's
    holder redeems 30 (both got their points by adjustment in the fixture)."""
    issue(world.holder, world.reward)
    cancelled = issue(world.holder, world.reward)
    vouchers.cancel(world.holder.id, cancelled.id, now=utcnow())
    issue(world.b_holder, world.b_reward)
    return world


def test_a_community_admin_sees_their_communitys_economy(app, economy):
    world = economy
    client = login(app, make_admin(world.tree, scope="community_a", name="Admin Zhao"))
    response = client.get("/manage/economy")
    assert response.status_code == 200
    page = text_of(response)
    assert "Alpha Community" in page
    assert figure(page, "adjusted") == 1000
    assert figure(page, "redeemed") == 200
    assert figure(page, "refunded") == 100
    assert figure(page, "outstanding") == 900
    by_business = page[page.index('id="economy-partners"') :]
    assert "Kind Grocery" in by_business and "Beta Bakery" not in by_business
    assert "5 kg of rice" in page[page.index('id="economy-rewards"') :]
    assert f'<option value="{world.tree.community_b}"' not in page
    # An earlier month has none of it.
    month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    earlier = text_of(client.get(f"/manage/economy?month={month}"))
    assert figure(earlier, "redeemed") == 0 and figure(earlier, "outstanding") == 0


def test_an_oversight_admin_chooses_among_the_streets_communities(app, economy):
    world = economy
    admin = make_admin(world.tree, role=Role.oversight_admin, scope="street", name="Inspector")
    client = login(app, admin)
    page = text_of(client.get("/manage/economy"))
    assert f'<option value="{world.tree.community_a}"' in page
    assert f'<option value="{world.tree.community_b}"' in page
    assert f'<option value="{world.tree.community_c}"' not in page  # another street
    page = text_of(client.get(f"/manage/economy?community={world.tree.community_b}"))
    assert figure(page, "adjusted") == 500
    assert figure(page, "redeemed") == 30
    assert figure(page, "outstanding") == 470
    assert "Beta Bakery" in page[page.index('id="economy-partners"') :]
    page = text_of(client.get(f"/manage/economy?community={world.tree.community_a}"))
    assert figure(page, "redeemed") == 200


def test_a_volunteer_cannot_see_the_economy(app, economy):
    client = login(app, economy.holder)
    assert client.get("/manage/economy").status_code == 403
    assert 'href="/manage/economy"' not in text_of(client.get("/rewards"))


def test_an_admin_of_another_community_does_not_see_community_a(app, economy):
    world = economy
    admin = make_admin(
        world.tree, scope="community_b", community="community_b", grid="grid_b1", name="Admin Bo"
    )
    client = login(app, admin)
    response = client.get(f"/manage/economy?community={world.tree.community_a}")
    # What the code does: the request for A falls back to the admin's own community B.
    assert response.status_code == 200
    page = text_of(response)
    assert "Alpha Community" not in page and "Kind Grocery" not in page
    assert "5 kg of rice" not in page
    assert figure(page, "redeemed") == 30 and figure(page, "outstanding") == 470
    assert f'<option value="{world.tree.community_a}"' not in page


# --- Points history and notifications ------------------------------------------------


def test_my_points_shows_the_redemption_with_the_rewards_title(app, world):
    client = login(app, world.holder)
    voucher_id = voucher_id_from(post_redeem(client, world.reward.id))
    page = text_of(client.get("/my/points"))
    ledger = page[page.index('id="ledger"') :] if 'id="ledger"' in page else page
    assert "5 kg of rice" in ledger
    assert f'href="/my/vouchers/{voucher_id}"' in ledger
    assert "-100" in ledger or "−100" in ledger


def test_fulfilment_notifies_the_holder_with_a_link_to_the_voucher(app, world):
    voucher = issue(world.holder, world.reward)
    staff = login(app, world.owner)
    assert staff.post(f"/v/{voucher_token(voucher.id)}/fulfil").status_code == 200
    notification = db.session.scalar(
        select(Notification).where(
            Notification.user_id == world.holder.id, Notification.kind == "voucher_fulfilled"
        )
    )
    assert notification is not None
    holder = login(app, world.holder)
    page = text_of(holder.get("/notifications/"))
    assert f'action="/notifications/{notification.id}/open"' in page
    assert "5 kg of rice" in page and "Kind Grocery" in page
    response = holder.post(f"/notifications/{notification.id}/open")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/my/vouchers/{voucher.id}")
    opened = text_of(holder.get(response.headers["Location"]))
    assert "voucher-fulfilled" in opened and 'id="used-at"' in opened


@pytest.mark.app_config(BASE_URL="https://govhub.example.cn")
def test_voucher_qr_code_uses_the_configured_address_not_a_forged_host(app, world):
    client = app.test_client()
    forged = "http://evil.example"  # what a client sends in its Host header
    login = {"phone": world.holder.phone, "password": PASSWORD}
    assert client.post("/login", data=login, base_url=forged).status_code == 303
    redeemed = client.post(
        f"/rewards/{world.reward.id}/redeem", data={"key": new_key()}, base_url=forged
    )
    voucher_id = voucher_id_from(redeemed)
    qr = client.get(f"/my/vouchers/{voucher_id}/qr.png", base_url=forged)
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.data)))[0].text
    assert decoded == f"https://govhub.example.cn/v/{voucher_token(voucher_id)}"
