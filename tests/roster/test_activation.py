"""Activation slips and activating an imported account: the slip's code, once."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import select

from govhub.accounts.models import NO_PASSWORD, User
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.roster import services
from govhub.roster.models import RosterMember
from tests.factories import NOW, PASSWORD, make_admin, make_tree, registration_form
from tests.roster.helpers import roster_xlsx, slip_codes

PHONE = "13700000001"
NEW_PASSWORD = "river-walk-2026"


@pytest.fixture
def imported(app):
    """Admin A imported 张三 (13700000001) and 李四; returns (tree, admin, batch id)."""
    tree = make_tree()
    admin = make_admin(tree, scope="community_a", name="Alpha admin")
    rows = [("张三", PHONE, "CA", "CA-1"), ("李四", "13700000002", "CA", "")]
    batch = services.upload(admin.id, "roster.xlsx", roster_xlsx(rows), now=NOW)
    services.confirm(admin.id, batch.id, now=NOW)
    return tree, admin, batch.id


def admin_client(app, admin):
    client = app.test_client()
    client.post("/login", data={"phone": admin.phone, "password": PASSWORD})
    return client


def print_slips(client, batch_id, **data):
    response = client.post(f"/roster/batches/{batch_id}/slips", data=data)
    assert response.status_code == 200
    return response


def activate(client, code, phone=PHONE, password=NEW_PASSWORD):
    return client.post(
        "/activate",
        data={"phone": phone, "code": code, "password": password, "confirm": password},
    )


def is_active(phone=PHONE) -> bool:
    db.session.rollback()
    return db.session.scalar(select(User.active).where(User.phone == phone))


def test_the_slips_show_name_masked_phone_community_code_and_a_qr_of_the_activation_page(
    app, imported
):
    _tree, admin, batch_id = imported
    response = print_slips(admin_client(app, admin), batch_id)
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "张三" in html and "137****0001" in html and PHONE not in html
    assert "Alpha Community · Alpha Grid 1" in html
    codes = slip_codes(html)
    assert len(codes) == 2
    png = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    import base64

    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(png))))
    assert barcode.text == f"http://localhost/activate?code={codes[0].replace('-', '')}"
    # Only a digest of the code is kept.
    member = db.session.scalar(select(RosterMember).order_by(RosterMember.row_number))
    assert codes[0] not in member.code_digest and len(member.code_digest) == 64


def test_the_qr_link_fills_in_the_code(app, client, imported):
    html = client.get("/activate?code=abcd-efgh").get_data(as_text=True)
    assert 'value="ABCD-EFGH"' in html


def test_a_person_activates_once_with_the_code_of_their_slip(app, client, imported):
    _tree, admin, batch_id = imported
    code = slip_codes(print_slips(admin_client(app, admin), batch_id).get_data(as_text=True))[0]
    assert not is_active()
    response = activate(client, code.lower())
    assert response.status_code == 303
    assert is_active()
    assert "张三" in client.get("/account/profile").get_data(as_text=True)  # logged in
    client.post("/logout")
    assert client.post("/login", data={"phone": PHONE, "password": NEW_PASSWORD}).status_code == 303
    client.post("/logout")
    again = activate(client, code, password="another-pass-9")
    assert again.status_code == 422
    assert "激活码已经用过" in again.get_data(as_text=True)
    assert (
        client.post("/login", data={"phone": PHONE, "password": "another-pass-9"}).status_code
        == 422
    )


def test_a_guessed_code_is_refused_and_the_phone_alone_never_activates(app, client, imported):
    _tree, admin, batch_id = imported
    print_slips(admin_client(app, admin), batch_id)
    for guess in ("ABCD-EFGH", "", "22222222", "\x00" * 8, "9" * 40):
        response = activate(client, guess)
        assert response.status_code == 422
    html = activate(client, "ABCD-EFGH").get_data(as_text=True)
    assert "激活码与手机号不符" in html
    assert not is_active()
    # Before any slip there is no code at all, and the account cannot log in.
    login = {"phone": "13700000002", "password": NO_PASSWORD}  # not even the marker itself
    assert client.post("/login", data=login).status_code == 422
    assert activate(client, "ABCD-EFGH", phone="13700000002").status_code == 422
    assert not is_active("13700000002")


def test_a_reprinted_slip_replaces_the_old_code(app, client, imported):
    _tree, admin, batch_id = imported
    admin_side = admin_client(app, admin)
    old = slip_codes(print_slips(admin_side, batch_id).get_data(as_text=True))[0]
    member_id = db.session.scalar(select(User.id).where(User.phone == PHONE))
    html = print_slips(admin_side, batch_id, user_id=member_id).get_data(as_text=True)
    (new,) = slip_codes(html)  # only that person's slip
    assert new != old
    assert activate(client, old).status_code == 422
    assert activate(client, new).status_code == 303
    assert is_active()


def test_an_expired_code_is_refused(app, imported):
    _tree, admin, batch_id = imported
    (slip, _other) = services.issue_slips(admin.id, batch_id, now=NOW)
    later = NOW + timedelta(days=app.config["ROSTER_CODE_DAYS"], seconds=1)
    with force_locale("en"), pytest.raises(services.CodeRefused) as refused:
        services.activate(PHONE, slip.code, NEW_PASSWORD, now=later)
    assert refused.value.message == "This code has expired. Ask your community for a new slip."
    assert services.activate(PHONE, slip.code, NEW_PASSWORD, now=later - timedelta(seconds=2))


def test_a_weak_password_keeps_the_code_unused(app, imported):
    _tree, admin, batch_id = imported
    (slip, _other) = services.issue_slips(admin.id, batch_id, now=NOW)
    with pytest.raises(ServiceError) as refused:
        services.activate(PHONE, slip.code, "short", now=NOW)
    assert refused.value.field == "password"
    assert services.activate(PHONE, slip.code, NEW_PASSWORD, now=NOW).active


def test_refused_codes_are_throttled_per_phone(app, client, imported):
    _tree, admin, batch_id = imported
    code = slip_codes(print_slips(admin_client(app, admin), batch_id).get_data(as_text=True))[0]
    for _ in range(5):
        assert activate(client, "ABCD-EFGH").status_code == 422
    blocked = activate(client, code)
    assert blocked.status_code == 429
    assert not is_active()
    # Another phone is not blocked by this one's failures.
    assert activate(client, "ABCD-EFGH", phone="13700000002").status_code == 422


def test_password_typos_do_not_count_against_the_throttle(app, client, imported):
    _tree, admin, batch_id = imported
    code = slip_codes(print_slips(admin_client(app, admin), batch_id).get_data(as_text=True))[0]
    for _ in range(6):
        assert activate(client, code, password="short").status_code == 422
    assert activate(client, code).status_code == 303


def test_registering_with_an_imported_phone_points_to_the_slip(app, client, imported):
    tree, _admin, _batch_id = imported
    response = client.post("/register", data=registration_form(tree, phone=PHONE))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "社区已经为您登记" in html and "/activate" in html


def test_a_print_run_prints_who_has_no_slip_first_and_keeps_the_codes_people_hold(
    app, client, imported, monkeypatch
):
    _tree, admin, batch_id = imported
    monkeypatch.setattr(services, "SLIPS_PER_PRINT", 1)
    (first,) = services.issue_slips(admin.id, batch_id, now=NOW)
    (second,) = services.issue_slips(admin.id, batch_id, now=NOW)
    assert (first.name, second.name) == ("张三", "李四")
    # Both hold a slip; 张三's code still works.
    assert services.activate(PHONE, first.code, NEW_PASSWORD, now=NOW).active
    # Everyone not activated has one: the next run replaces 李四's.
    (third,) = services.issue_slips(admin.id, batch_id, now=NOW)
    assert third.name == "李四" and third.code != second.code
    with pytest.raises(services.CodeRefused):
        services.activate("13700000002", second.code, NEW_PASSWORD, now=NOW)
