import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from govhub.accounts import services
from govhub.accounts.models import HomeMove, Role, RoleAssignment, User
from govhub.audit.models import AuditEvent
from govhub.database import ServiceError
from govhub.extensions import db
from tests.factories import PASSWORD, make_tree, make_user, next_phone


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_creates_profile_and_volunteer_role(app):
    tree = make_tree()
    user = services.register(
        " 139-1234-5678 ", " 张三 ", "walk-dog-2026", tree.community_a, tree.grid_a2
    )
    user = db.session.get(User, user.id)
    assert user.phone == "13912345678"
    assert user.name == "张三"
    assert user.profile.community_id == tree.community_a
    assert user.profile.grid_id == tree.grid_a2
    assert [(a.role, a.org_unit_id) for a in user.roles] == [(Role.volunteer, tree.community_a)]
    assert check_password_hash(user.password_hash, "walk-dog-2026")
    assert "walk-dog-2026" not in user.password_hash


@pytest.mark.parametrize(
    ("phone", "password", "field", "message"),
    [
        ("1391234567", "walk-dog-2026", "phone", "11位手机号"),
        ("23912345678", "walk-dog-2026", "phone", "11位手机号"),
        ("1391234567a", "walk-dog-2026", "phone", "11位手机号"),
        ("13912345678", "short1", "password", "至少需要8个字符"),
        ("13912345678", "onlyletters", "password", "字母和数字"),
        ("13912345678", "x13912345678", "password", "手机号"),
    ],
)
def test_register_refuses_bad_input_and_writes_nothing(app, phone, password, field, message):
    """Outside a request, messages are in the default language, Simplified Chinese."""
    tree = make_tree()
    with pytest.raises(ServiceError) as refused:
        services.register(phone, "张三", password, tree.community_a, tree.grid_a1)
    assert refused.value.field == field
    assert message in refused.value.message
    assert count(User) == 0


def test_register_refuses_a_grid_of_another_community(app):
    tree = make_tree()
    with pytest.raises(ServiceError) as refused:
        services.register(next_phone(), "张三", PASSWORD, tree.community_a, tree.grid_b1)
    assert refused.value.field == "grid_id"
    assert count(User) == 0


def test_register_requires_a_grid_only_where_the_community_has_grids(app):
    tree = make_tree()
    with pytest.raises(ServiceError) as refused:
        services.register(next_phone(), "张三", PASSWORD, tree.community_a, None)
    assert refused.value.field == "grid_id"
    user = services.register(next_phone(), "李四", PASSWORD, tree.community_c, None)
    assert user.profile.grid_id is None


def test_register_refuses_a_street_as_home(app):
    tree = make_tree()
    with pytest.raises(ServiceError) as refused:
        services.register(next_phone(), "张三", PASSWORD, tree.street, None)
    assert refused.value.field == "community_id"


def test_duplicate_phone_is_refused(app):
    tree = make_tree()
    user = make_user(tree)
    with pytest.raises(ServiceError) as refused:
        services.register(user.phone, "Someone else", PASSWORD, tree.community_a, tree.grid_a1)
    assert refused.value.field == "phone"
    assert refused.value.message == "这个手机号已经注册过了。"
    assert count(User) == 1


def test_concurrent_registrations_of_one_phone_make_one_account(app):
    """Eight clients register the same phone at the same moment: one account, seven refusals."""
    tree = make_tree()
    phone = next_phone()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def register(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.register(phone, f"Racer {n}", PASSWORD, tree.community_a, tree.grid_a1)
                outcomes.append("created")
            except ServiceError as error:
                assert error.field == "phone"
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["refused"] * 7
    db.session.rollback()  # end this session's snapshot to see the other sessions' commits
    assert db.session.scalar(select(func.count()).where(User.phone == phone)) == 1
    assert count(RoleAssignment) == 1


def test_authenticate(app):
    tree = make_tree()
    user = make_user(tree)
    assert services.authenticate(user.phone, PASSWORD).id == user.id
    assert services.authenticate(user.phone, "wrong-pass-1") is None
    assert services.authenticate("13000000000", PASSWORD) is None


def test_inactive_user_cannot_authenticate_or_keep_a_session(app):
    tree = make_tree()
    user = make_user(tree)
    login_id = user.get_id()
    user.active = False
    db.session.commit()
    assert services.authenticate(user.phone, PASSWORD) is None
    assert services.load_session_user(login_id) is None


def test_change_password_checks_the_current_one_and_voids_sessions(app):
    tree = make_tree()
    user = make_user(tree)
    old_login_id = user.get_id()
    with pytest.raises(ServiceError) as refused:
        services.change_password(user.id, "not-it-123", "new-pass-2026")
    assert refused.value.field == "current_password"
    with pytest.raises(ServiceError) as refused:
        services.change_password(user.id, PASSWORD, "weak")
    assert refused.value.field == "new_password"

    services.change_password(user.id, PASSWORD, "new-pass-2026")
    assert services.load_session_user(old_login_id) is None
    assert services.authenticate(user.phone, "new-pass-2026") is not None
    assert services.authenticate(user.phone, PASSWORD) is None


def test_end_sessions_voids_the_login_id(app):
    tree = make_tree()
    user = make_user(tree)
    login_id = user.get_id()
    assert services.load_session_user(login_id).id == user.id
    services.end_sessions(user.id)
    assert services.load_session_user(login_id) is None
    assert services.load_session_user("garbage") is None
    assert services.load_session_user(f"{user.id}:") is None


def test_update_profile_moves_the_volunteer_role_with_the_home(app):
    tree = make_tree()
    user = make_user(tree)
    skills = [services.add_skill(None, "理发"), services.add_skill(None, "驾驶")]
    services.update_profile(
        user.id,
        name="新名字",
        community_id=tree.community_b,
        grid_id=tree.grid_b1,
        skill_ids=[s.id for s in skills],
        is_party_member=True,
        employer_unit="区税务局",
        availability="周末",
    )
    user = db.session.get(User, user.id)
    assert user.name == "新名字"
    assert user.profile.community_id == tree.community_b
    assert [s.name for s in user.profile.skills] == sorted(["理发", "驾驶"])
    assert user.profile.employer_unit == "区税务局"
    assert [(a.role, a.org_unit_id) for a in user.roles] == [(Role.volunteer, tree.community_b)]


def test_update_profile_refuses_unknown_skills(app):
    tree = make_tree()
    user = make_user(tree)
    with pytest.raises(ServiceError) as refused:
        services.update_profile(
            user.id,
            name="x",
            community_id=tree.community_a,
            grid_id=tree.grid_a1,
            skill_ids=[999],
            is_party_member=False,
            employer_unit=None,
            availability=None,
        )
    assert refused.value.field == "skills"


def test_assign_role_checks_the_level_and_duplicates(app):
    tree = make_tree()
    user = make_user(tree)
    with pytest.raises(ServiceError) as refused:
        services.assign_role(None, user.id, Role.community_admin, org_unit_id=tree.street)
    assert refused.value.field == "org_unit_id"
    services.assign_role(None, user.id, Role.oversight_admin, org_unit_id=tree.street)
    with pytest.raises(ServiceError) as refused:
        services.assign_role(None, user.id, Role.oversight_admin, org_unit_id=tree.street)
    assert refused.value.field == "role"
    roles = {(a.role, a.org_unit_id) for a in db.session.get(User, user.id).roles}
    assert roles == {(Role.volunteer, tree.community_a), (Role.oversight_admin, tree.street)}


def test_the_last_system_admin_cannot_be_removed(app):
    tree = make_tree()
    admin = make_user(tree, roles=[(Role.system_admin, "city")])
    assignment = next(a for a in admin.roles if a.role is Role.system_admin)
    with pytest.raises(ServiceError):
        services.revoke_role(admin.id, assignment.id)
    other = make_user(tree, roles=[(Role.system_admin, "city")])
    services.revoke_role(other.id, assignment.id, "left the office")
    assert not any(a.role is Role.system_admin for a in db.session.get(User, admin.id).roles)


def test_database_refuses_a_role_without_the_right_scope(app):
    """The CHECK constraint holds even if Python code gets it wrong."""
    from sqlalchemy.exc import IntegrityError

    tree = make_tree()
    user = make_user(tree)
    db.session.add(RoleAssignment(user_id=user.id, role=Role.community_admin, org_unit_id=None))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_every_home_change_is_audited_old_to_new(app):
    tree = make_tree()
    user = make_user(tree)  # community A, grid A1
    profile = {
        "name": user.name,
        "skill_ids": [],
        "is_party_member": False,
        "employer_unit": None,
        "availability": None,
    }
    moved_at = datetime(2026, 12, 1, 2, 0)
    services.update_profile(
        user.id, community_id=tree.community_b, grid_id=tree.grid_b1, now=moved_at, **profile
    )
    services.update_profile(user.id, community_id=tree.community_b, grid_id=tree.grid_b1, **profile)
    services.update_profile(user.id, community_id=tree.community_a, grid_id=tree.grid_a2, **profile)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "account.home_changed")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.target_id) for e in events] == [(user.id, user.id)] * 2
    assert events[0].created_at == moved_at
    assert (events[0].data["before"], events[0].data["after"]) == (
        {"community_id": tree.community_a, "grid_id": tree.grid_a1},
        {"community_id": tree.community_b, "grid_id": tree.grid_b1},
    )
    assert events[1].data["after"] == {"community_id": tree.community_a, "grid_id": tree.grid_a2}
    moves = db.session.scalars(select(HomeMove).order_by(HomeMove.id)).all()
    assert [(m.from_community_id, m.to_community_id) for m in moves] == [
        (tree.community_a, tree.community_b),
        (tree.community_b, tree.community_a),
    ]
