"""Importing a roster: the preview, confirming it once, and who may import."""

from __future__ import annotations

import io

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from govhub.accounts.models import Role, User
from govhub.audit.models import AuditEvent
from govhub.extensions import db
from govhub.roster import services
from govhub.roster.models import RosterBatch, RosterMember
from govhub.roster.services import RowStatus
from tests.concurrency import run_at_once
from tests.factories import NOW, PASSWORD, make_admin, make_system_admin, make_tree, make_user
from tests.roster.helpers import add_skill, batch_id_of, count, roster_xlsx, upload

# Rows 2 to 10 of the test roster, for the admin of community A (code CA, grids CA-1, CA-2).
ROWS = [
    ("张三", "13700000001", "CA", "CA-1", "急救、弹钢琴", "是", "区税务局"),  # 2: create
    ("李四", 13700000002, "CA", None, None, "否", None),  # 3: create (phone as a number)
    ("王五", "137 0000 0001", "CA", "CA-2", None, None, None),  # 4: same phone as row 2
    ("赵六", "13700000004", "ZZ9", None, None, None, None),  # 5: unknown community
    ("钱七", "1370000", "CA", None, None, None, None),  # 6: malformed phone
    ("孙八", "13700000008", "CB", None, None, None, None),  # 7: not admin A's community
    ("周九", "13800009999", "CA", None, None, None, None),  # 8: already in CA: nothing to do
    ("吴十", "13800008888", "CA", None, None, None, None),  # 9: someone else's phone (in CB)
    ("郑一", "13700000011", "CA", "CB-1", None, None, None),  # 10: grid of another community
    (None, "13700000012", "CA", None, None, None, None),  # 11: no name
]


@pytest.fixture
def world(app):
    tree = make_tree()
    admin = make_admin(tree, scope="community_a", name="Alpha admin")
    sysadmin = make_system_admin(tree)
    add_skill("急救", sysadmin.id)
    make_user(tree, phone="13800009999", name="周九")  # lives in community A
    make_user(tree, phone="13800008888", community="community_b", grid="grid_b1", name="吴")
    return tree, admin, sysadmin


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return client


def test_the_preview_lists_what_would_be_created_and_each_error_with_its_row(world):
    _tree, admin, _sysadmin = world
    batch = services.upload(admin.id, "roster.xlsx", roster_xlsx(ROWS), now=NOW)
    with force_locale("en"):
        preview = services.preview(batch, admin)
    by_row = {row.number: row for row in preview.rows}
    assert [r.number for r in preview.to_create] == [2, 3]
    assert [r.number for r in preview.already] == [8]
    assert [r.number for r in preview.with_errors] == [4, 5, 6, 7, 9, 10, 11]
    reasons = {number: row.errors for number, row in by_row.items() if row.errors}
    assert reasons == {
        4: ["The same phone number as row 2 (each person once)."],
        5: ["Unknown community code ZZ9."],
        6: ["The phone number 1370000 is not an 11-digit mainland mobile number."],
        7: ["Beta Community is not a community you administer."],
        9: ["This phone number is already registered by someone else."],
        10: ["CB-1 is not a grid of Alpha Community."],
        11: ["The name is missing."],
    }
    zhang = by_row[2]
    assert (zhang.phone, zhang.grid.code, zhang.is_party_member) == ("13700000001", "CA-1", True)
    assert [s.name for s in zhang.skills] == ["急救"]
    assert zhang.warnings == ["Skills not in the platform's list, left out: 弹钢琴."]
    assert by_row[3].phone == "13700000002" and by_row[3].status is RowStatus.create


def test_the_preview_page_shows_the_rows_and_writes_no_one(app, world):
    _tree, admin, _sysadmin = world
    client = login(app, admin)
    users_before = count(User)
    batch_id = batch_id_of(upload(client, roster_xlsx(ROWS)))
    page = client.get(f"/roster/batches/{batch_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "第5行" in html and "社区编码「ZZ9」不存在" in html
    assert "第4行" in html and "与第2行的手机号相同" in html
    assert "第6行" in html and "1370000" in html
    assert "确认：导入2人" in html
    assert count(User) == users_before
    assert count(RosterMember) == 0


def test_confirm_imports_exactly_the_good_rows_as_inactive_accounts(app, world):
    tree, admin, _sysadmin = world
    client = login(app, admin)
    batch_id = batch_id_of(upload(client, roster_xlsx(ROWS)))
    response = client.post(f"/roster/batches/{batch_id}/confirm")
    assert response.status_code == 303
    imported = db.session.scalars(
        select(User).join(RosterMember, RosterMember.user_id == User.id).order_by(User.phone)
    ).all()
    assert [(u.name, u.phone) for u in imported] == [
        ("张三", "13700000001"),
        ("李四", "13700000002"),
    ]
    zhang = imported[0]
    assert not zhang.active and zhang.awaiting_activation
    assert zhang.profile.community_id == tree.community_a and zhang.profile.grid_id == tree.grid_a1
    assert [s.name for s in zhang.profile.skills] == ["急救"]
    assert zhang.profile.is_party_member and zhang.profile.employer_unit == "区税务局"
    assert [(a.role, a.org_unit_id) for a in zhang.roles] == [(Role.volunteer, tree.community_a)]
    assert count(User, User.phone.in_(["13700000004", "1370000", "13700000008"])) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.imported"))
    assert event.actor_id == admin.id and event.target_id == batch_id
    assert (event.data["created"], event.data["already"], event.data["errors"]) == (2, 1, 7)
    page = client.get(f"/roster/batches/{batch_id}").get_data(as_text=True)
    assert "打印激活单（2人还没有）" in page


def test_confirming_again_or_uploading_the_same_file_again_creates_nothing(app, world):
    tree, admin, _sysadmin = world
    client = login(app, admin)
    content = roster_xlsx(ROWS)
    batch_id = batch_id_of(upload(client, content))
    client.post(f"/roster/batches/{batch_id}/confirm")
    users = count(User)
    again = client.post(f"/roster/batches/{batch_id}/confirm", follow_redirects=True)
    assert "这份花名册已经导入过了" in again.get_data(as_text=True)
    assert batch_id_of(upload(client, content)) == batch_id  # the same file: the same batch
    # Another admin of the community uploads the same file: everyone is already there.
    other = make_admin(tree, scope="community_a", name="Second admin")
    other_client = login(app, other)
    other_batch = batch_id_of(upload(other_client, content))
    assert other_batch != batch_id
    with force_locale("en"):
        preview = services.preview(db.session.get(RosterBatch, other_batch), other)
    assert preview.to_create == [] and [r.number for r in preview.already] == [2, 3, 8]
    other_client.post(f"/roster/batches/{other_batch}/confirm")
    assert count(User) == users + 1  # only the second admin
    assert count(RosterMember) == 2


def test_two_confirmations_at_the_same_moment_import_once(app, world):
    _tree, admin, _sysadmin = world
    client = login(app, admin)
    batch_id = batch_id_of(upload(client, roster_xlsx(ROWS)))
    clients = [login(app, admin) for _ in range(3)]
    url = f"/roster/batches/{batch_id}/confirm"
    results = run_at_once([lambda c=c: c.post(url) for c in clients])
    assert [getattr(r, "status_code", r) for r in results] == [303, 303, 303]
    db.session.rollback()
    assert count(RosterMember) == 2
    assert count(User, User.phone == "13700000001") == 1
    assert count(AuditEvent, AuditEvent.action == "roster.imported") == 1


def test_two_rosters_with_the_same_person_confirmed_at_once_create_them_once(app, world):
    tree, admin, _sysadmin = world
    other = make_admin(tree, scope="community_a", name="Second admin")
    first = services.upload(admin.id, "a.xlsx", roster_xlsx(ROWS[:1]), now=NOW)
    second = services.upload(other.id, "b.xlsx", roster_xlsx(ROWS[:2]), now=NOW)
    pairs = [(admin.id, first.id), (other.id, second.id)]
    results = run_at_once(
        [
            lambda a=a, b=b: _in_context(app, lambda: services.confirm(a, b, now=NOW))
            for a, b in pairs
        ]
    )
    assert all(isinstance(r, services.ImportResult) for r in results), results
    db.session.rollback()
    assert sorted(r.created for r in results) in ([1, 1], [0, 2])
    assert count(User, User.phone == "13700000001") == 1
    assert count(RosterMember) == 2


def _in_context(app, job):
    with app.app_context():
        try:
            return job()
        finally:
            db.session.remove()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,phone\n", "这不是Excel .xlsx文件"),
        (roster_xlsx([("张三", "13700000001")], header=["姓名", "手机号"]), "缺少「社区编码」列"),
        (roster_xlsx([], header=["姓名", "手机号", "社区编码"]), "表头下面没有数据行"),
        (roster_xlsx([("x", "y", "z")], header=["甲", "乙", "丙"]), "找不到表头"),
    ],
)
def test_a_file_that_is_not_a_roster_is_refused_at_the_field(app, world, content, message):
    _tree, admin, _sysadmin = world
    client = login(app, admin)
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(RosterBatch) == 0


@pytest.mark.app_config(ROSTER_MAX_ROWS=3, ROSTER_MAX_BYTES=20_000)
def test_too_many_rows_or_bytes_are_refused_with_the_limit(app, world):
    _tree, admin, _sysadmin = world
    client = login(app, admin)
    rows = [("某某", f"1370000{n:04d}", "CA") for n in range(4)]
    response = upload(client, roster_xlsx(rows))
    assert response.status_code == 422
    assert "花名册超过3行" in response.get_data(as_text=True)
    big = roster_xlsx([("某某" * 10, f"1370{n:07d}", "CA", "", "技能" * 20) for n in range(3)])
    assert len(big) < 20_000
    huge = big + b"\0" * 20_000
    response = upload(client, huge)
    assert response.status_code == 422
    assert "文件超过" in response.get_data(as_text=True)


def test_the_template_has_the_roster_columns(app, world):
    _tree, admin, _sysadmin = world
    client = login(app, admin)
    response = client.get("/roster/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert list(header) == ["姓名", "手机号", "社区编码", "网格编码", "技能", "党员", "工作单位"]


def test_english_headers_are_read_too(world):
    _tree, admin, _sysadmin = world
    header = ["Name", "Phone", "Community code", "Grid code", "Party member"]
    content = roster_xlsx([("Li Lei", "13700000021", "CA", "CA-2", "yes")], header=header)
    batch = services.upload(admin.id, "en.xlsx", content, now=NOW)
    (row,) = services.preview(batch, admin).rows
    assert (row.status, row.grid.code, row.is_party_member) == (RowStatus.create, "CA-2", True)


@pytest.mark.parametrize(
    ("who", "status"),
    [("oversight", 403), ("volunteer", 403)],
)
def test_oversight_and_volunteers_cannot_import(app, world, who, status):
    tree, _admin, _sysadmin = world
    user = (
        make_admin(tree, role=Role.oversight_admin, scope="street", name="Street")
        if who == "oversight"
        else make_user(tree, name="Someone")
    )
    client = login(app, user)
    assert client.get("/roster/import").status_code == status
    assert upload(client, roster_xlsx(ROWS)).status_code == status
    assert count(RosterBatch) == 0


def test_another_admin_cannot_open_confirm_or_print_someone_elses_roster(app, world):
    tree, admin, _sysadmin = world
    batch = services.upload(admin.id, "roster.xlsx", roster_xlsx(ROWS), now=NOW)
    other = make_admin(tree, scope="community_b", name="Beta admin")
    client = login(app, other)
    assert client.get(f"/roster/batches/{batch.id}").status_code == 404
    assert client.post(f"/roster/batches/{batch.id}/confirm").status_code == 404
    assert client.post(f"/roster/batches/{batch.id}/slips").status_code == 404
    assert count(RosterMember) == 0


def test_a_community_admin_imports_only_into_their_own_community(app, world):
    tree, _admin, sysadmin = world
    other = make_admin(tree, scope="community_b", name="Beta admin")
    batch = services.upload(other.id, "roster.xlsx", roster_xlsx(ROWS[:2]), now=NOW)
    with force_locale("en"):
        rows = services.preview(batch, other).rows
        assert {r.status for r in rows} == {RowStatus.error}
        assert rows[0].errors == ["Alpha Community is not a community you administer."]
        # A system admin imports anywhere.
        mine = services.upload(sysadmin.id, "roster.xlsx", roster_xlsx(ROWS[:2]), now=NOW)
        assert len(services.preview(mine, sysadmin).to_create) == 2
