import csv
import io

import pytest

from govhub.accounts.models import Role, User
from govhub.extensions import db
from govhub.orgs import services
from govhub.orgs.models import OrgUnit
from tests.factories import make_admin, make_system_admin, make_tree, make_user


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_only_system_admins_manage_the_tree(app, client, auth):
    tree = make_tree()
    admin = make_admin(tree)
    auth.login(admin.phone)
    for url in (
        "/admin/orgs",
        f"/admin/orgs/{tree.street}",
        "/admin/orgs/import",
        "/admin/users",
        "/admin/skills",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "无权访问" in text_of(response)
    response = client.post(
        f"/admin/orgs/{tree.street}/edit",
        data={"code": "S1", "name": "Hacked", "parent_id": tree.district},
    )
    assert response.status_code == 403
    assert db.session.get(OrgUnit, tree.street).name == "North Street"


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    response = client.get("/admin/orgs")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_browse_add_and_edit_units(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    page = text_of(client.get(f"/admin/orgs/{tree.street}"))
    assert "Alpha Community" in page and "Beta Community" in page
    response = client.post(
        f"/admin/orgs/new?parent={tree.street}", data={"code": "CD", "name": "Delta Community"}
    )
    assert response.status_code == 303
    delta = services.find_by_code("CD")
    assert delta.parent_id == tree.street
    response = client.post(
        f"/admin/orgs/{delta.id}/edit",
        data={"code": "CD", "name": "Delta", "parent_id": tree.street2},
    )
    assert response.status_code == 303
    assert db.session.get(OrgUnit, tree.street2).contains(services.find_by_code("CD"))


def test_edit_errors_are_shown_at_the_field(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    response = client.post(
        f"/admin/orgs/{tree.community_a}/edit",
        data={"code": "CB", "name": "Alpha", "parent_id": tree.street},
    )
    assert response.status_code == 422
    assert "已有其他单位使用这个编码" in text_of(response)
    assert 'id="code-error"' in text_of(response)


def test_search_units(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    page = text_of(client.get("/admin/orgs?q=Beta"))
    assert "Beta Community" in page and "Alpha Community" not in page


def test_import_page_reports_bad_rows_by_line(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    data = b"code,name,level,parent_code\nCN,Fine,community,S1\nCX,Bad,hamlet,S1\n"
    response = client.post(
        "/admin/orgs/import",
        data={"file": (io.BytesIO(data), "tree.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text_of(response)
    assert '">3</td>' in page and "hamlet" in page
    assert services.find_by_code("CN") is None


def test_import_page_imports(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    data = "code,name,level,parent_code\nCN,新社区,community,S1\n".encode("gb18030")
    response = client.post(
        "/admin/orgs/import",
        data={"file": (io.BytesIO(data), "tree.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert services.find_by_code("CN").name == "新社区"


def test_assign_and_revoke_roles_from_the_unit_page(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    person = make_user(tree, name="小李")
    response = client.post(
        f"/admin/orgs/{tree.community_b}/roles",
        data={"phone": person.phone, "role": "community_admin"},
    )
    assert response.status_code == 303
    page = text_of(client.get(f"/admin/orgs/{tree.community_b}"))
    assert "小李" in page

    person = db.session.get(User, person.id)
    assignment = next(a for a in person.roles if a.role is Role.community_admin)
    assert assignment.org_unit_id == tree.community_b
    response = client.post(f"/admin/roles/{assignment.id}/revoke", data={"reason": "moved away"})
    assert response.status_code == 303
    assert not any(a.role is Role.community_admin for a in db.session.get(User, person.id).roles)


def test_assigning_a_role_to_an_unknown_phone_is_explained(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    response = client.post(
        f"/admin/orgs/{tree.community_b}/roles",
        data={"phone": "13012345678", "role": "community_admin"},
    )
    assert response.status_code == 422
    assert "没有使用这个手机号的账号。" in text_of(response)


def test_roles_offered_depend_on_the_level(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    street_page = text_of(client.get(f"/admin/orgs/{tree.street}"))
    assert 'value="oversight_admin"' in street_page
    assert 'value="community_admin"' not in street_page


def test_a_malformed_parent_is_not_an_error(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    assert client.get("/admin/orgs/new?parent=abc").status_code == 200
    assert client.get("/admin/orgs/new?parent=99999").status_code == 404


def _upload(client, data: bytes):
    return client.post(
        "/admin/orgs/import",
        data={"file": (io.BytesIO(data), "tree.csv")},
        content_type="multipart/form-data",
    )


def test_import_of_a_cell_over_the_csv_field_limit_is_the_uploads_own_error(app, client, auth):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    huge = b"x" * (csv.field_size_limit() + 10)
    response = _upload(client, b"code,name,level,parent_code\nCN," + huge + b",community,S1\n")
    assert response.status_code == 422
    page = text_of(response)
    assert "未导入任何内容" in page
    assert '">2</td>' in page
    assert services.find_by_code("CN") is None


@pytest.mark.parametrize("name", ["New\x00Community", "\u202eytinummoC"])
def test_import_refuses_nul_and_bidi_controls_in_a_name_at_its_line(app, client, auth, name):
    tree = make_tree()
    auth.login(make_system_admin(tree).phone)
    data = f"code,name,level,parent_code\nCN,{name},community,S1\n".encode()
    response = _upload(client, data)
    assert response.status_code == 422
    assert '">2</td>' in text_of(response)
    assert services.find_by_code("CN") is None
