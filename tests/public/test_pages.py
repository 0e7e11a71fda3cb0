"""The public three-lists pages (居务公开): no login, only what the community published,
no phone number and no full name of anyone, hostile input a 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from govhub.accounts.models import User
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs.models import Need
from govhub.partners.models import Partner
from govhub.projects.models import ProjectStatus
from govhub.resources import services as resources
from tests.factories import make_admin, make_need, make_partner, make_tree, make_user
from tests.public.helpers import PHOTO_BYTES, make_project
from tests.resources.helpers import make_liaison, make_unit, offer

PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture
def world(app):
    tree = make_tree()
    now = utcnow()
    admin = make_admin(tree, name="管理员甲")
    volunteer = make_user(tree, name="张小明")
    make_user(tree, name="欧阳小华", community="community_b", grid="grid_b1")
    soon = ((30, 2, 10),)
    open_need = make_need(
        tree, admin=admin, title="看望独居老人", shifts=soon, place="幸福里3号", now=now
    )
    make_need(tree, admin=admin, title="草稿需求", shifts=soon, publish=False, now=now)
    make_need(
        tree,
        admin=make_admin(tree, scope="community_b", name="管理员乙"),
        community="community_b",
        title="贝塔社区的需求",
        shifts=soon,
        now=now,
    )
    offer(volunteer, tree, title="理发服务", contact_name="张小明", now=now)
    unit, owner = make_unit(tree, name="税务局", owner=make_user(tree, name="单位员工丙"))
    offer(owner, tree, partner=unit, title="会议室", contact_name="李主任", now=now)
    gone = offer(owner, tree, partner=unit, title="撤回的场地", now=now)
    resources.withdraw(owner.id, gone.id, now=now)
    make_liaison(tree, unit, liaison=make_user(tree, name="联络员丁"))
    grocery = make_partner(tree, name="爱心超市", contact_name="王老板")
    grocery = db.session.get(Partner, grocery.id)
    from govhub.partners import services as partners

    partners.decide(admin.id, grocery.id, approve=True, now=now)
    make_partner(tree, name="待审小店", contact_name="赵老板")
    make_project(
        tree.community_a, title="河道清洁", partners=[grocery], needs=[open_need], photo=True
    )
    make_project(tree.community_a, title="未公开项目", published=False)
    make_project(tree.community_a, title="进行中项目", status=ProjectStatus.active)
    make_project(tree.community_b, title="贝塔项目")
    return tree


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response


def full_names() -> set[str]:
    names = set(db.session.scalars(select(User.name)))
    names |= set(db.session.scalars(select(Need.contact_name)))
    names |= set(db.session.scalars(select(Partner.contact_name)))
    from govhub.resources.models import Resource

    names |= {n for n in db.session.scalars(select(Resource.contact_name)) if n}
    return names


@pytest.mark.parametrize("kind", ["communities", "streets"])
def test_no_phone_and_no_full_name(world, client, kind):
    unit_id = world.community_a if kind == "communities" else world.street
    html = page(client, f"/public/{kind}/{unit_id}").text
    assert not PHONE.search(html)
    shown = [name for name in full_names() if name in html]
    assert shown == []
    # The volunteer who offers a haircut is there, shortened.
    assert "张*明" in html


def test_only_what_the_community_published(world, client):
    response = page(client, f"/public/communities/{world.community_a}")
    html = response.text
    assert response.headers["Cache-Control"] == "public, max-age=300"
    for shown in [
        "看望独居老人",
        "幸福里3号",
        "理发服务",
        "会议室",
        "税务局",
        "爱心超市",
        "河道清洁",
    ]:
        assert shown in html, shown
    for hidden in [
        "草稿需求",
        "贝塔社区的需求",
        "撤回的场地",
        "未公开项目",
        "进行中项目",
        "贝塔项目",
        "待审小店",
    ]:
        assert hidden not in html, hidden


def test_the_street_page_covers_its_communities(world, client):
    html = page(client, f"/public/streets/{world.street}").text
    assert "看望独居老人" in html and "贝塔社区的需求" in html and "贝塔项目" in html
    assert "Alpha Community" in html and "Beta Community" in html
    assert "草稿需求" not in html and "未公开项目" not in html
    other = page(client, f"/public/streets/{world.street2}").text
    assert "看望独居老人" not in other and "河道清洁" not in other


def test_the_need_links_to_its_page_which_asks_to_log_in(world, client):
    html = page(client, f"/public/communities/{world.community_a}").text
    need_id = db.session.scalar(select(Need.id).where(Need.title == "看望独居老人"))
    assert f'href="/needs/{need_id}"' in html
    assert client.get(f"/needs/{need_id}").status_code == 302


def test_published_photos_only(world, client):
    from govhub.projects.models import Project, ProjectPhoto

    photo = db.session.scalars(select(ProjectPhoto)).one()
    response = client.get(f"/public/projects/{photo.project_id}/photos/{photo.id}.jpg")
    assert response.status_code == 200 and response.data == PHOTO_BYTES
    assert (
        f"/public/projects/{photo.project_id}/photos/{photo.id}.jpg"
        in page(client, f"/public/communities/{world.community_a}").text
    )
    other = db.session.scalar(select(Project.id).where(Project.title == "贝塔项目"))
    assert client.get(f"/public/projects/{other}/photos/{photo.id}.jpg").status_code == 404
    db.session.get(Project, photo.project_id).published = False
    db.session.commit()
    assert (
        client.get(f"/public/projects/{photo.project_id}/photos/{photo.id}.jpg").status_code == 404
    )


def test_the_qr_code_is_a_png(world, client):
    response = client.get(f"/public/communities/{world.community_a}/qr.png")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


def test_the_year_selector(world, client):
    this_year = utcnow().year
    html = page(client, f"/public/communities/{world.community_a}?year={this_year - 1}").text
    assert "河道清洁" not in html  # completed this year
    assert "看望独居老人" in html  # open needs are today's


@pytest.mark.parametrize(
    "url",
    [
        "/public/communities/{street}",
        "/public/streets/{community}",
        "/public/communities/{grid}",
        "/public/communities/99999999999999999999999",
        "/public/communities/{community}?year=1999",
        "/public/communities/{community}?year=99999999999999999999",
        "/public/communities/{community}?year=2026%00",
        "/public/communities/{community}?year=abc",
        "/public/communities/{community}?year=-1",
        "/public/communities/{community}?year=3000",
        "/public/streets/{community}/qr.png",
        "/public/projects/99999999999999999999/photos/1.jpg",
    ],
)
def test_hostile_input_is_a_404(world, client, url):
    url = url.format(street=world.street, community=world.community_a, grid=world.grid_a1)
    # A NUL byte is refused before any view (400); everything else is not found.
    assert client.get(url).status_code == (400 if "%00" in url else 404)


def test_the_index_lists_the_communities(world, client):
    html = page(client, "/public/").text
    assert f"/public/communities/{world.community_a}" in html
    assert f"/public/streets/{world.street2}" in html


def test_the_links_in(world, client, auth):
    from govhub.accounts.models import Role

    welcome = client.get("/").text
    assert 'href="/public/"' in welcome and "本社区居务公开" in welcome
    admin = make_admin(world, name="管理员戊")
    auth.login(admin.phone)
    bench = client.get(f"/workbench/community/{world.community_a}").text
    assert f'href="/public/communities/{world.community_a}"' in bench
    auth.logout()
    overseer = make_admin(world, role=Role.oversight_admin, scope="street", name="督导己")
    auth.login(overseer.phone)
    bench = client.get("/workbench/oversight").text
    assert f'href="/public/streets/{world.street}"' in bench


def test_no_login_needed_even_when_logged_in(world, client, auth):
    auth.login(make_user(world, name="路人庚").phone)
    html = page(client, f"/public/communities/{world.community_a}").text
    assert "看望独居老人" in html and "草稿需求" not in html
