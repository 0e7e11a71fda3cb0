import pytest
from sqlalchemy import func, select

from govhub.accounts.models import Role
from govhub.database import ServiceError
from govhub.extensions import db
from govhub.orgs import services
from govhub.orgs.models import OrgLevel, OrgUnit
from tests.factories import make_tree, make_user


def names(units) -> list[str]:
    return [unit.name for unit in units]


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OrgUnit))


def test_levels_follow_the_parent(app):
    tree = make_tree()
    assert db.session.get(OrgUnit, tree.city).level is OrgLevel.city
    assert db.session.get(OrgUnit, tree.grid_a1).level is OrgLevel.grid
    with pytest.raises(ServiceError):
        services.create_unit(None, tree.grid_a1, "X", "Below a grid")


def test_subtree_is_one_range_on_the_path(app):
    tree = make_tree()
    street = db.session.get(OrgUnit, tree.street)
    assert names(services.subtree(street)) == [
        "North Street",
        "Alpha Community",
        "Alpha Grid 1",
        "Alpha Grid 2",
        "Beta Community",
        "Beta Grid 1",
    ]
    assert names(services.units_at_level(OrgLevel.community, within=street)) == [
        "Alpha Community",
        "Beta Community",
    ]
    assert street.contains(db.session.get(OrgUnit, tree.grid_b1))
    assert not street.contains(db.session.get(OrgUnit, tree.community_c))


def test_subtree_does_not_confuse_ids_with_a_common_prefix(app):
    """Unit 1's subtree must not include unit 10, 11… whose paths also start with "/1"."""
    tree = make_tree()
    city = db.session.get(OrgUnit, tree.city)
    other_city = services.create_unit(None, None, "C2", "Other City")
    for n in range(12):
        services.create_unit(None, other_city.id, f"OD{n}", f"Other District {n}")
    assert all(city.contains(unit) for unit in services.subtree(city))
    assert len(services.subtree(city)) == 10


def test_the_subtree_query_uses_the_path_index(app):
    tree = make_tree()
    street = db.session.get(OrgUnit, tree.street)
    query = select(OrgUnit.id).where(OrgUnit.subtree_clause(street.path))
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(
            str(row) for row in db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
        assert "INDEX" in plan and "(path>? AND path<?)" in plan
    else:
        db.session.execute(db.text("SET enable_seqscan = off"))
        plan = " ".join(str(row) for row in db.session.execute(db.text(f"EXPLAIN {compiled}")))
        assert "uq_org_unit_path" in plan


def test_moving_a_unit_moves_its_subtree(app):
    tree = make_tree()
    services.update_unit(None, tree.community_a, "CA", "Alpha Community", tree.street2)
    moved = db.session.get(OrgUnit, tree.community_a)
    street2 = db.session.get(OrgUnit, tree.street2)
    assert moved.parent_id == tree.street2
    assert street2.contains(db.session.get(OrgUnit, tree.grid_a1))
    assert street2.contains(db.session.get(OrgUnit, tree.grid_a2))
    assert not db.session.get(OrgUnit, tree.street).contains(db.session.get(OrgUnit, tree.grid_a1))


def test_a_unit_cannot_move_under_the_wrong_level(app):
    tree = make_tree()
    with pytest.raises(ServiceError) as refused:
        services.update_unit(None, tree.community_a, "CA", "Alpha", tree.district)
    assert refused.value.field == "parent_id"
    assert db.session.get(OrgUnit, tree.community_a).parent_id == tree.street


def test_codes_are_unique(app):
    tree = make_tree()
    with pytest.raises(ServiceError) as refused:
        services.create_unit(None, tree.street, "CB", "Copy of Beta")
    assert refused.value.field == "code"
    with pytest.raises(ServiceError):
        services.update_unit(None, tree.community_a, "CB", "Alpha", tree.street)


def test_delete_refuses_units_with_children_or_people(app):
    tree = make_tree()
    with pytest.raises(ServiceError):
        services.delete_unit(None, tree.community_a)
    make_user(tree, community="community_c", grid=None)
    with pytest.raises(ServiceError):
        services.delete_unit(None, tree.community_c)
    assert db.session.get(OrgUnit, tree.community_c) is not None
    services.delete_unit(None, tree.grid_a2)
    assert db.session.get(OrgUnit, tree.grid_a2) is None


GOOD_CSV = """code,name,level,parent_code
CN,New Community,community,S1
CN-1,New Grid,grid,CN
CA,Alpha Renamed,community,S1
CB,Beta Community,community,S1
"""


def test_import_adds_and_renames(app):
    tree = make_tree()
    before = unit_count()
    result = services.import_csv(None, GOOD_CSV)
    assert (result.created, result.renamed, result.unchanged) == (2, 1, 1)
    assert unit_count() == before + 2
    grid = services.find_by_code("CN-1")
    assert grid.level is OrgLevel.grid
    assert db.session.get(OrgUnit, tree.street).contains(grid)
    assert db.session.get(OrgUnit, tree.community_a).name == "Alpha Renamed"


def test_import_accepts_rows_in_any_order_and_a_whole_new_tree(app):
    text = "\n".join(
        [
            "code,name,level,parent_code",
            "G1,Grid,grid,CM",
            "CM,Community,community,ST",
            "ST,Street,street,DI",
            "DI,District,district,CI",
            "CI,City,city,",
        ]
    )
    assert services.import_csv(None, text).created == 5
    assert services.find_by_code("G1").path.count("/") == 6


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (["CN,New,community,S1", "CX,Bad,village,S1"], 3, "village"),
        (["CN,New,community,S1", "CX,Orphan,community,NOPE"], 3, "NOPE"),
        (["CN,New,community,S1", "CX,Wrong level,grid,S1"], 3, "网格"),
        (["CN,New,community,S1", "CN,Again,community,S1"], 3, "CN"),
        (["CN,New,community,S1", ",No code,community,S1"], 3, "编码"),
        (["CN,New,community,S1", "CX,Too,few"], 3, "4"),
        (["CN,New,community,S1", "CA,Alpha moved,community,S2"], 3, "CA"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(app, rows, line, message):
    make_tree()
    before = unit_count()
    with pytest.raises(services.ImportRefused) as refused:
        services.import_csv(None, "\n".join(["code,name,level,parent_code", *rows]))
    assert [n for n, _ in refused.value.errors] == [line]
    assert message in refused.value.errors[0][1]
    assert unit_count() == before
    assert services.find_by_code("CN") is None


def test_import_needs_the_header(app):
    with pytest.raises(services.ImportRefused) as refused:
        services.import_csv(None, "CN,New,community,S1\n")
    assert refused.value.errors[0][0] == 1


def test_csv_from_a_chinese_spreadsheet_is_decoded(app):
    text = "code,name,level,parent_code\nCI,咸宁市,city,\n"
    assert services.decode_csv(text.encode("gb18030")) == text
    assert services.decode_csv(("\ufeff" + text).encode("utf-8")) == text
    with pytest.raises(services.ImportRefused):
        services.decode_csv(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\xfd")


def test_search_escapes_wildcards(app):
    make_tree()
    assert names(services.search("Alpha")) == ["Alpha Community", "Alpha Grid 1", "Alpha Grid 2"]
    assert services.search("%") == []
    assert names(services.search("CB")) == ["Beta Community", "Beta Grid 1"]


def test_role_assignment_audit_trail(app):
    from govhub.audit.models import AuditEvent

    tree = make_tree()
    admin = make_user(tree, roles=[(Role.system_admin, "city")])
    services.update_unit(admin.id, tree.community_b, "CB", "Beta Renamed", tree.street)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "org.updated")).one()
    assert event.actor_id == admin.id
    assert event.data["before"]["name"] == "Beta Community"
    assert event.data["after"]["name"] == "Beta Renamed"
