import pytest

from govhub import permissions
from govhub.accounts.models import Role
from govhub.extensions import db
from govhub.partners.models import Partner
from tests.factories import make_admin, make_partner, make_system_admin, make_tree, make_user


@pytest.fixture
def world(app):
    tree = make_tree()
    return {
        "tree": tree,
        "volunteer": make_user(tree),
        "admin_a": make_admin(tree, scope="community_a"),
        "admin_b": make_admin(tree, scope="community_b"),
        "street": make_admin(tree, role=Role.oversight_admin, scope="street"),
        "street2": make_admin(tree, role=Role.oversight_admin, scope="street2"),
        "district": make_admin(tree, role=Role.oversight_admin, scope="district"),
        "sysadmin": make_system_admin(tree),
        "partner_a": db.session.get(Partner, make_partner(tree, community="community_a").id),
    }


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("volunteer", False),
        ("admin_a", True),
        ("admin_b", False),
        ("street", True),
        ("street2", False),
        ("district", True),
        ("sysadmin", True),
    ],
)
def test_who_may_decide_a_partner_in_community_a(world, who, allowed):
    user = world[who]
    assert permissions.can(user, permissions.DECIDE_PARTNER, world["partner_a"]) is allowed
    assert permissions.can(user, permissions.VIEW_PARTNER, world["partner_a"]) is allowed


@pytest.mark.parametrize("who", ["volunteer", "admin_a", "street", "district"])
def test_only_system_admins_manage_orgs_and_roles(world, who):
    assert not permissions.can(world[who], permissions.MANAGE_ORGS)
    assert not permissions.can(world[who], permissions.MANAGE_ROLES)
    assert permissions.can(world["sysadmin"], permissions.MANAGE_ROLES)


def test_inactive_and_anonymous_users_may_do_nothing(world):
    from flask_login import AnonymousUserMixin

    admin = world["sysadmin"]
    admin.active = False
    assert not permissions.can(admin, permissions.MANAGE_ORGS)
    assert not permissions.can(AnonymousUserMixin(), permissions.REVIEW_PARTNERS)


def test_unknown_actions_are_an_error_not_a_yes(world):
    with pytest.raises(ValueError):
        permissions.can(world["admin_a"], "needs.delete_everything")
