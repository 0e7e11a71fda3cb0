from sqlalchemy import func, select

from govhub.accounts.models import Role, User
from govhub.extensions import db


def snapshot() -> dict:
    """Every row of every table, to compare before and after."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def test_seed_demo_loads_the_city_and_is_idempotent(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "13800000002" in result.output and "demo-jinye-2026" in result.output
    first = snapshot()
    assert len(first["org_unit"]) == 13
    # 10 from city.json, 4 extra residents, 2 units' liaisons and 1 party member (双报到),
    # and the history's 41 residents
    assert len(first["user_account"]) == 58
    assert len(first["partner"]) == 4
    # A living board: open needs with claims, a full shift with a waiting list, and
    # resident requests waiting for review.
    # 5 open, 1 completed two weeks ago, 1 completed last week (the party members' hours),
    # and the matched need (open); the history's 67 (58 activities, 9 from requests); and
    # the two of the integrity review's faked-looking entries
    assert len(first["need"]) == 77
    statuses = [row[3] for row in first["claim"]]
    # 8 on the board and the finished activity, 9 of the party members' service, the
    # place a member took of those a unit holds, and the accepted invitation's; and the
    # history's 215; and the integrity review's 15 (11 + 4).
    assert statuses.count("confirmed") == 249 and statuses.count("waitlisted") == 1
    # Matching: two invitations (one accepted), two resource requests (one accepted), a
    # completed project and two units' proposals (one accepted, one waiting).
    assert sorted(row[4] for row in first["invitation"]) == ["accepted", "pending"]
    assert len(first["resource_request"]) == 2
    # (and the history's two completed projects)
    assert sorted(row[4] for row in first["project"]) == [
        "active",
        "completed",
        "completed",
        "completed",
        "proposed",
    ]
    assert len(first["project_photo"]) == 1
    assert len(first["resident_request"]) == 2 + 14  # and the history's
    # The finished activity left confirmed hours and points behind; the history's year
    # 215 attendances (25 no-shows) and 212 entries (190 credits, 20 vouchers, 2 refunds).
    # The history is laid out by whole months before today's, so these do not depend on
    # the day of the month the tests run.
    # The integrity review's: 11 hand-entered attendances confirmed (11 earn entries), 4
    # at 香城社区 not yet confirmed, and a hand adjustment of 200 points.
    assert len(first["ledger_entry"]) == 235 and len(first["attendance"]) == 241
    # On the review queue: the 11 and the back-dated one, the adjustment, and the history's
    # hand entries of the last 45 days.
    assert len(first["review_item"]) >= 13

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert snapshot() == first


def test_seed_demo_if_empty_leaves_an_existing_database_alone(app, runner):
    from tests.factories import make_tree

    make_tree()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already has data" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_logins_work(app, runner, client, auth):
    runner.invoke(args=["seed-demo"])
    response = auth.login("13800000002", "demo-jinye-2026")
    assert response.status_code == 303
    assert "金叶社区" in client.get("/").get_data(as_text=True)


def test_create_admin_from_options(app, runner):
    args = [
        "create-admin",
        "--phone",
        "13700000001",
        "--name",
        "管理员",
        "--password",
        "strong-pass-1",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.phone == "13700000001"))
    assert [a.role for a in user.roles] == [Role.system_admin]
    assert runner.invoke(args=args).exit_code == 0  # running it again adds nothing
    db.session.rollback()
    assert len(db.session.get(User, user.id).roles) == 1


def test_create_admin_interactively(app, runner):
    result = runner.invoke(
        args=["create-admin"], input="13700000002\n管理员\nstrong-pass-1\nstrong-pass-1\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.phone == "13700000002")) is not None


def test_create_admin_refuses_bad_input(app, runner):
    result = runner.invoke(
        args=["create-admin", "--phone", "12345", "--name", "x", "--password", "strong-pass-1"]
    )
    assert result.exit_code != 0
    assert "11位手机号" in result.output
    result = runner.invoke(
        args=["create-admin", "--phone", "13700000003", "--name", "x", "--password", "weak"]
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_activity_starts_a_shift_open_for_check_in(app, runner):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["demo-activity"])
    assert result.exit_code == 0, result.output
    assert "/manage/shifts/" in result.output and "/checkin" in result.output
    again = runner.invoke(args=["demo-activity"])  # the running one is reused
    assert again.exit_code == 0, again.output
    assert again.output.split()[-1] == result.output.split()[-1]


def test_demo_activity_links_to_the_address_the_site_is_served_on(app, runner, monkeypatch):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["demo-activity", "--base-url", "http://192.168.1.20:8080/"])
    assert result.exit_code == 0, result.output
    assert "http://192.168.1.20:8080/manage/shifts/" in result.output
    assert "127.0.0.1" not in result.output
    # What `make demo-activity HOST=… PORT=…` passes: the same HOST and PORT as `make run`.
    result = runner.invoke(args=["demo-activity", "--host", "10.0.0.7", "--port", "8000"])
    assert "http://10.0.0.7:8000/manage/shifts/" in result.output
    monkeypatch.setenv("GOVHUB_BASE_URL", "https://govhub.example.cn")
    result = runner.invoke(args=["demo-activity"])
    assert "https://govhub.example.cn/manage/shifts/" in result.output


def test_demo_activity_on_all_interfaces_links_to_a_reachable_address(app, runner):
    runner.invoke(args=["seed-demo"])
    everywhere = "0.0.0.0"  # noqa: S104 (what `make run HOST=0.0.0.0` serves on)
    result = runner.invoke(args=["demo-activity", "--host", everywhere, "--port", "5001"])
    assert result.exit_code == 0, result.output
    link = result.output.split()[-1]
    assert link.endswith("/checkin") and ":5001/manage/shifts/" in link
    assert everywhere not in link
