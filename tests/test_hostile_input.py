"""No input is ever a 500: every route, as every role, on both databases.

The demo city is seeded once per backend; each role logs in once. Then every rule of the
URL map is requested with hostile values in its path parameters, its query string and
its form body (every field name of every form, and the names views read by hand):
integers beyond the database's range, NUL and other control characters, bidi overrides,
overlong text, digits in odd forms and dates out of range. A 5xx (or an exception the
app let through) is a failure; all failures are listed at the end.
"""

from __future__ import annotations

import json
import os
import re
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from wtforms import FieldList, Form
from wtforms.fields.core import UnboundField

from govhub import create_app, demo
from govhub.extensions import db
from tests.conftest import TEST_CONFIG, build_schema

MAX_DB_INT = 2**31 - 1

# Path values that each used to reach the database as they are.
HUGE_INTS = [str(MAX_DB_INT + 1), str(2**63), str(2**64), "9" * 40]

ODD_NUMBERS = [
    "²",
    "١٢",
    "１２",
    "inf",
    "-inf",
    "1e400",
    "sNaN",
    "NaN",
    "-0",
    "9" * 400,
    "-" + "9" * 30,
    "0x10",
    "1_000",
    " 12 ",
    "12.",
    "-2147483649",
    "0",
    "-1",
]
EXTREME_DATES = [
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "10000-01-01",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30",
    "9999-12",
    "0000-01",
    "0001-01",
]
NASTY_TEXT = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f\x85",
    "\u202eevil\u202c",
    "\u2066name\u2069",
    "x" * 5000,
    "长" * 3000,
    "\ud7ff\ufffe\uffff",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00",
]

# Names that views read from the query string or the form by hand (grep request.args).
QUERY_NAMES = [
    "action",
    "affordable",
    "before",
    "community",
    "field",
    "for",
    "max_price",
    "mode",
    "month",
    "next",
    "page",
    "parent",
    "partner",
    "phone",
    "q",
    "request",
    "status",
    "start",
    "end",
    "u",
]
HAND_FORM_NAMES = [
    "decision",
    "enabled",
    "from",
    "locale",
    "next",
    "phone",
    "reason",
    "shift_id",
    "volunteer_id",
    "waitlist",
    "minutes-1",
    "minutes-99999999999",
    "minutes-x",
    "note-1",
    "noshow-1",
    "rate_1",
    "code",
    "in_at",
    "out_at",
]

SKIPPED_ENDPOINTS = {"static", "accounts.logout"}


def _demo_users() -> list[dict]:
    from pathlib import Path

    path = Path(demo.__file__).parent / "city.json"
    return json.loads(path.read_text(encoding="utf-8"))["users"]


ROLE_PHONES = {
    "anonymous": None,
    "volunteer": "13800000010",
    "community_admin": "13800000002",
    "oversight_admin": "13800000004",
    "partner_staff": "13800000020",
    "system_admin": "13800000001",
}


def _form_classes(base=Form):
    for cls in base.__subclasses__():
        yield cls
        yield from _form_classes(cls)


def _field_names(form_class, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for attr in dir(form_class):
        field = getattr(form_class, attr, None)
        if not isinstance(field, UnboundField):
            continue
        names.add(prefix + attr)
        if field.field_class is FieldList:  # FieldList(FormField(SubForm)): "shifts-0-x"
            sub_form = field.args[0].args[0]
            for index in (0, MAX_DB_INT + 1):
                names |= _field_names(sub_form, f"{prefix}{attr}-{index}-")
    return names


def _form_field_names() -> list[str]:
    """Every field name of every form class, as the browser would send it."""
    import govhub.accounts.forms
    import govhub.needs.forms
    import govhub.orgs.forms
    import govhub.partners.forms
    import govhub.points.forms
    import govhub.rewards.forms  # noqa: F401  (register the form classes)

    names: set[str] = set()
    for cls in _form_classes():
        if cls.__module__.startswith("govhub"):
            names |= _field_names(cls)
    # Prefixed forms (IssueRecordForm) and the buttons of the need editor.
    names |= {"issue-key", "add_shift", "remove_shift", "preview_recurring", "add_recurring"}
    return sorted(names)


FIELD_NAMES = _form_field_names()
POST_NAMES = sorted(set(FIELD_NAMES) | set(HAND_FORM_NAMES))
GET_NAMES = sorted(set(QUERY_NAMES) | set(FIELD_NAMES))


def hostile_text() -> st.SearchStrategy[str]:
    controls = st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Co"), exclude_characters="\r")
    mixed = st.text(
        alphabet=st.one_of(controls, st.characters(codec="utf-8"), st.sampled_from("²１٣")),
        max_size=30,
    )
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        mixed,
        st.integers(min_value=1, max_value=20).map(lambda n: "长" * (n * 300)),
    )


def hostile_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HUGE_INTS + ODD_NUMBERS + EXTREME_DATES),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.dates().map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
        hostile_text(),
    )


def _real_ids() -> dict[str, str]:
    """An existing row for each kind of path id, so hostile forms reach the views."""
    from govhub.accounts.models import User
    from govhub.checkin.models import Attendance
    from govhub.needs.models import Claim, Need, ResidentRequest, Shift
    from govhub.notifications.models import Notification
    from govhub.orgs.models import OrgUnit
    from govhub.partners.models import Partner
    from govhub.rewards.models import Redemption, Reward

    def first(model):
        return db.session.scalar(select(model.id).order_by(model.id)) or 1

    ids = {
        "need_id": first(Need),
        "shift_id": first(Shift),
        "claim_id": first(Claim),
        "unit_id": first(OrgUnit),
        "user_id": db.session.scalar(select(User.id).where(User.phone == "13800000010")),
        "partner_id": first(Partner),
        "reward_id": first(Reward),
        "redemption_id": first(Redemption),
        "notification_id": first(Notification),
        "request_id": first(ResidentRequest),
        "attendance_id": first(Attendance),
    }
    return {name: str(value) for name, value in ids.items()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(request, tmp_path_factory):
    """The demo city on one backend, and a logged-in client per role."""
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")
        url = server.create_database("govhub_hostile")
    else:
        url = f"sqlite:///{tmp / 'govhub.sqlite3'}"
    os.environ["GOVHUB_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        build_schema()
        demo.seed()
        ids = _real_ids()
        db.session.remove()
    users = {user["phone"]: user for user in _demo_users()}
    clients = {}
    for role, phone in ROLE_PHONES.items():
        client = app.test_client()
        if phone:
            response = client.post(
                "/login", data={"phone": phone, "password": users[phone]["password"]}
            )
            assert response.status_code == 303, role
        clients[role] = client
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED_ENDPOINTS]
    yield SimpleNamespace(app=app, clients=clients, ids=ids, rules=rules, backend=request.param)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _path(rule, values: dict[str, str]) -> str:
    """The rule's path with ``values`` put in verbatim (not converted or checked); an
    ``any(...)`` part not given gets its first choice."""

    def fill(match: re.Match) -> str:
        name = match.group(1).rpartition(":")[2]
        if values.get(name):
            return values[name]
        choices = getattr(rule._converters[name], "items", None)
        return sorted(choices)[0] if choices else "x"

    return re.sub(r"<([^>]+)>", fill, rule.rule)


def _request(city, role: str, method: str, path: str, data: dict | None):
    from urllib.parse import quote

    client = city.clients[role]
    safe_path = quote(path, safe="/:@!$&'()*+,;=-._~")
    try:
        if method == "GET":
            response = client.get(safe_path, query_string=data or {})
        else:
            response = client.post(safe_path, data=data or {})
    except Exception as error:  # noqa: BLE001  (the app let an exception through: a 500)
        return f"{type(error).__name__}: {str(error)[:200]}"
    if response.status_code >= 500:
        return f"status {response.status_code}"
    return None


def _methods(rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def _int_args(rule) -> list[str]:
    return [
        name
        for name, converter in rule._converters.items()
        if type(converter).__name__ not in ("AnyConverter", "UnicodeConverter", "PathConverter")
    ]


def _str_args(rule) -> list[str]:
    return [
        name
        for name, converter in rule._converters.items()
        if type(converter).__name__ in ("UnicodeConverter", "PathConverter")
    ]


ROLES = list(ROLE_PHONES)


def _fail(failures, role, method, path, data, problem):
    shown = {k: (v[:40] + "…" if len(v) > 40 else v) for k, v in (data or {}).items()}
    sample = dict(list(shown.items())[:3])
    failures.append(f"{role} {method} {path[:120]} {sample} -> {problem}")


def test_huge_path_ids_are_404_on_every_route(city):
    """Every <int:...> in every route, beyond the database's integer range, as a system
    admin (who passes every permission check) and a volunteer."""
    failures: list[str] = []
    for role in ("system_admin", "volunteer"):
        for rule in city.rules:
            names = _int_args(rule)
            if not names:
                continue
            for huge in HUGE_INTS[:2]:
                for name in names:
                    values = {**city.ids, name: huge}
                    path = _path(rule, values)
                    for method in _methods(rule):
                        problem = _request(city, role, method, path, None)
                        if problem:
                            _fail(failures, role, method, path, None, problem)
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_input_is_a_server_error(city, role):
    failures: list[str] = []
    rules = city.rules

    @settings(
        max_examples=int(os.environ.get("GOVHUB_HOSTILE_EXAMPLES", "80")),
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        rule_index=st.integers(min_value=0, max_value=len(rules) - 1),
        path_value=st.one_of(st.none(), st.sampled_from(HUGE_INTS), hostile_values()),
        fill=hostile_values(),
        other=st.dictionaries(
            st.sampled_from(POST_NAMES + GET_NAMES), hostile_values(), max_size=6
        ),
    )
    def probe(rule_index, path_value, fill, other):
        rule = rules[rule_index]
        values = dict(city.ids)
        if path_value is not None:
            for name in _int_args(rule):
                if name != "assignment_id":
                    values[name] = path_value
        for name in _str_args(rule):
            values[name] = path_value or fill
        path = _path(rule, values)
        for method in _methods(rule):
            names = GET_NAMES if method == "GET" else POST_NAMES
            data = dict.fromkeys(names, fill)
            data.update({k: v for k, v in other.items() if k in names})
            problem = _request(city, role, method, path, data)
            if problem:
                _fail(failures, role, method, path, data, problem)

    probe()
    assert failures == [], "\n".join(sorted(set(failures)))


@pytest.mark.parametrize("value", [*NASTY_TEXT[:6], *ODD_NUMBERS[:9], *EXTREME_DATES[:4]])
def test_every_route_survives_one_hostile_value_everywhere(city, value):
    """The same value in every field, query argument and string path part of every route,
    as a system admin: a fixed sweep that does not depend on the random draws."""
    failures: list[str] = []
    for rule in city.rules:
        values = dict(city.ids)
        for name in _str_args(rule):
            values[name] = value
        path = _path(rule, values)
        for method in _methods(rule):
            names = GET_NAMES if method == "GET" else POST_NAMES
            data = dict.fromkeys(names, value)
            problem = _request(city, "system_admin", method, path, data)
            if problem:
                _fail(failures, "system_admin", method, path, data, problem)
    assert failures == [], "\n".join(failures)
