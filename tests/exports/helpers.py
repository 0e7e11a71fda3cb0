"""Two streets for the export tests, and the readers that open what was downloaded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import openpyxl

from govhub.accounts.models import Role
from govhub.clock import local_today
from govhub.database import utcnow
from govhub.extensions import db
from govhub.points import services as points
from govhub.points.models import EntryKind
from tests.factories import make_admin, make_tree, make_user
from tests.reporting.rows import make_unit, member_report, served, shift_on, unit_report
from tests.rewards.helpers import give_points, make_reward, make_shop, redeem

FORMULA_TITLE = "=1+2 助老探访"


def make_world() -> SimpleNamespace:
    """North Street (S1: communities A and B) and South Street (S2: community C), each
    with a volunteer who served, earned and redeemed points, and a reported unit.

    Everything happens in the last 30 days, the period the tests export
    (``period_args``), so the clock of the machine running them does not matter."""
    tree = make_tree()
    today = local_today()
    north = make_admin(tree, Role.oversight_admin, "street", name="北街赵科长")
    south = make_admin(tree, Role.oversight_admin, "street2", name="南街钱科长")
    alpha = make_admin(tree, Role.community_admin, "community_a", name="金叶王书记")
    zhang = make_user(tree, community="community_a", grid="grid_a1", name="张晓明")
    wang = make_user(tree, community="community_c", grid=None, name="王芳")
    outsider = make_user(tree, community="community_b", grid="grid_b1", name="路人")

    day = today - timedelta(days=2)
    shift_a = shift_on(tree.community_a, day, title=FORMULA_TITLE, hours=2)
    shift_c = shift_on(tree.community_c, day, title="南街巡防", hours=2)
    served(zhang, shift_a, 120)
    shift_a.claimed = 1  # the claim served() wrote, as claiming counts it
    served(wang, shift_c, 90)
    for volunteer, minutes in ((zhang, 120), (wang, 90)):
        points.post_entry(
            volunteer.id, minutes // 6, EntryKind.earn, key=f"earn:{volunteer.id}", minutes=minutes
        )

    shop_a, owner_a = make_shop(tree, community="community_a", name="香城惠民超市")
    shop_c, owner_c = make_shop(tree, community="community_c", name="温泉理发店")
    breakfast = make_reward(shop_a, owner_a, title="早餐券", price=20)
    haircut = make_reward(shop_c, owner_c, title="理发券", price=10)
    give_points(zhang.id, 100)
    give_points(wang.id, 100)
    redeem(zhang, breakfast, now=utcnow())
    redeem(wang, haircut, now=utcnow())

    confirmed = today - timedelta(days=10)
    tax = make_unit(tree, name="咸安区税务局", community="community_a")
    power = make_unit(tree, name="温泉供电所", community="community_c")
    unit_report(tax, tree.community_a, zhang, party_members=10, confirmed_on=confirmed)
    unit_report(power, tree.community_c, wang, party_members=4, confirmed_on=confirmed)
    member_report(zhang, tree.community_a, tax, confirmed_on=confirmed, grid_id=tree.grid_a1)
    db.session.commit()
    return SimpleNamespace(
        tree=tree,
        today=today,
        north=north,
        south=south,
        alpha=alpha,
        zhang=zhang,
        wang=wang,
        outsider=outsider,
    )


def period_args(world) -> dict[str, str]:
    first = world.today - timedelta(days=30)
    return {"period": "dates", "from": first.isoformat(), "to": world.today.isoformat()}


def read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV without the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [
        ["" if v is None else v for v in row]
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]


def xlsx_cells(response):
    """The first sheet's cells (for their types), not read-only."""
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return book.worksheets[0]
