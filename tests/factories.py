"""Test data built through the services, so tests start from states the app can reach."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, User
from govhub.extensions import db
from govhub.needs.models import Need
from govhub.orgs import services as orgs
from govhub.partners import services as partners
from govhub.partners.models import PartnerKind

PASSWORD = "secret-pass-1"
_phones = itertools.count(13900000000)


def next_phone() -> str:
    return str(next(_phones))


def make_tree() -> SimpleNamespace:
    """city → district → street → two communities (A with two grids, B with one) and a
    second street with community C (no grids)."""
    city = orgs.create_unit(None, None, "C1", "Test City")
    district = orgs.create_unit(None, city.id, "D1", "Test District")
    street = orgs.create_unit(None, district.id, "S1", "North Street")
    community_a = orgs.create_unit(None, street.id, "CA", "Alpha Community")
    grid_a1 = orgs.create_unit(None, community_a.id, "CA-1", "Alpha Grid 1")
    grid_a2 = orgs.create_unit(None, community_a.id, "CA-2", "Alpha Grid 2")
    community_b = orgs.create_unit(None, street.id, "CB", "Beta Community")
    grid_b1 = orgs.create_unit(None, community_b.id, "CB-1", "Beta Grid 1")
    street2 = orgs.create_unit(None, district.id, "S2", "South Street")
    community_c = orgs.create_unit(None, street2.id, "CC", "Gamma Community")
    return SimpleNamespace(**{k: v.id for k, v in locals().items()})


def make_user(
    tree,
    *,
    community="community_a",
    grid="grid_a1",
    name="Volunteer",
    phone=None,
    password=PASSWORD,
    roles=(),
):
    """A registered volunteer, with extra ``roles`` as (Role, unit attribute of ``tree``)."""
    user = accounts.register(
        phone or next_phone(),
        name,
        password,
        getattr(tree, community),
        getattr(tree, grid) if grid else None,
    )
    for role, scope in roles:
        accounts.assign_role(None, user.id, role, org_unit_id=getattr(tree, scope))
    return db.session.get(User, user.id)


def make_admin(tree, role=Role.community_admin, scope="community_a", **kwargs):
    return make_user(tree, roles=[(role, scope)], name=kwargs.pop("name", "Admin"), **kwargs)


def make_system_admin(tree, **kwargs):
    return make_user(tree, roles=[(Role.system_admin, "city")], name="Sysadmin", **kwargs)


def make_partner(tree, community="community_a", name="Kind Grocery", owner_id=None, **kwargs):
    return partners.apply(
        kind=kwargs.pop("kind", PartnerKind.business),
        name=name,
        community_id=getattr(tree, community),
        address=kwargs.pop("address", "1 Market Road"),
        contact_name=kwargs.pop("contact_name", "Ms Li"),
        contact_phone=kwargs.pop("contact_phone", next_phone()),
        owner_id=owner_id,
        **kwargs,
    )


def registration_form(tree, **overrides) -> dict:
    """The fields of the registration page, filled in for community A, grid A1."""
    return {
        "phone": next_phone(),
        "name": "王小红",
        "password": "walk-dog-2026",
        "confirm": "walk-dog-2026",
        "district_id": tree.district,
        "street_id": tree.street,
        "community_id": tree.community_a,
        "grid_id": tree.grid_a1,
        **overrides,
    }


# --- Needs -----------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 2, 0)  # 10:00 in Shanghai: the tests' "now" (naive UTC)


def make_category(code: str = "elderly") -> int:
    from govhub.extensions import db
    from govhub.needs.models import Category

    existing = db.session.scalar(select(Category.id).where(Category.code == code))
    if existing:
        return existing
    category = Category(code=code, name_zh="助老服务", name_en="Elderly care")
    db.session.add(category)
    db.session.commit()
    return category.id


def make_need(
    tree,
    *,
    admin=None,
    community="community_a",
    title="Visit lonely elders",
    shifts=((1, 2, 10),),
    publish=True,
    now=NOW,
    **fields,
):
    """A need with ``shifts`` given as (days from now, hours long, capacity)."""
    from govhub.needs import posting

    admin = admin or make_admin(tree, scope=community)
    data = posting.NeedInput(
        title=title,
        description=fields.pop("description", "Chat and help with shopping."),
        category_id=fields.pop("category_id", None) or make_category(),
        place=fields.pop("place", "Community centre"),
        contact_name="Organizer",
        contact_phone=fields.pop("contact_phone", "13812345678"),
        **fields,
    )
    inputs = [
        posting.ShiftInput(
            now + timedelta(days=days), now + timedelta(days=days, hours=hours), capacity
        )
        for days, hours, capacity in shifts
    ]
    need = posting.save_need(admin.id, getattr(tree, community), data, inputs, now=now)
    if publish:
        posting.publish(admin.id, need.id, now=now)
    return db.session.get(Need, need.id)


def shown_day(moment: datetime, lang: str = "en") -> str:
    """How a page shows the local day of a stored (UTC) moment, in any year: "28 Nov" or
    "11月28日" (the page says "Sat 28 Nov" / "11月28日 周六", with the year outside the
    current one)."""
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{local.month}月{local.day}日" if lang == "zh" else f"{local.day} {local:%b}"
