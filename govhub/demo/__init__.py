"""The demo city from ``demo/city.json``, loaded idempotently by ``flask seed-demo``.

Each record is found by its natural key (org code, skill name, phone, partner name) and
only added when missing, so running the seed twice changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from govhub.accounts import services as accounts
from govhub.accounts.models import Role, RoleAssignment, Skill, User, VolunteerProfile
from govhub.database import transactional
from govhub.extensions import db
from govhub.orgs import services as orgs
from govhub.orgs.models import OrgLevel, OrgUnit
from govhub.partners.models import Partner, PartnerKind, PartnerStatus

DATA_FILE = Path(__file__).with_name("city.json")


@cache
def load() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def has_data() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(OrgUnit)))


def _walk(node: dict, parent_code: str | None):
    yield node, parent_code
    for child in node.get("children", []):
        yield from _walk(child, node["code"])


@transactional
def seed() -> Counter:
    data = load()
    added: Counter = Counter()

    units: dict[str, OrgUnit] = {}
    for node, parent_code in _walk(data["org_tree"], None):
        unit = orgs.find_by_code(node["code"])
        if unit is None:
            parent = units[parent_code] if parent_code else None
            unit = orgs._insert(node["code"], node["name"], OrgLevel(node["level"]), parent)
            added["org units"] += 1
        units[node["code"]] = unit
    by_name = {unit.name: unit for unit in units.values()}

    skills = {s.name: s for s in db.session.scalars(select(Skill))}
    for name in data["skills"]:
        if name not in skills:
            skills[name] = Skill(name=name)
            db.session.add(skills[name])
            added["skills"] += 1

    partners = {p.name: p for p in db.session.scalars(select(Partner))}
    for item in data["partners"]:
        if item["name"] not in partners:
            partners[item["name"]] = Partner(
                kind=PartnerKind(item["kind"]),
                name=item["name"],
                community=by_name[item["community"]],
                address=item.get("address", ""),
                status=PartnerStatus.approved,
            )
            db.session.add(partners[item["name"]])
            added["partners"] += 1
    db.session.flush()

    for item in data["users"]:
        user = db.session.scalar(select(User).where(User.phone == item["phone"]))
        if user is None:
            user = User(
                phone=item["phone"],
                name=item["name"],
                password_hash=accounts.hash_password(item["password"]),
            )
            db.session.add(user)
            added["users"] += 1
        if "home" in item and user.profile is None:
            grid = by_name[item["home"]]
            user.profile = VolunteerProfile(
                community=grid.parent if grid.level is OrgLevel.grid else grid,
                grid=grid if grid.level is OrgLevel.grid else None,
                is_party_member=item.get("party_member", False),
                employer_unit=item.get("employer_unit"),
                skills=[skills[name] for name in item.get("skills", [])],
            )
        db.session.flush()
        wanted = [tuple(pair) for pair in item.get("roles", [])]
        if user.profile is not None:
            wanted.append((Role.volunteer.value, user.profile.community.name))
        for role_name, scope in wanted:
            role = Role(role_name)
            partner = partners.get(scope) if role is Role.partner_staff else None
            unit = None if partner else by_name[scope]
            exists = any(
                a.role is role
                and a.org_unit_id == (unit.id if unit else None)
                and a.partner_id == (partner.id if partner else None)
                for a in user.roles
            )
            if not exists:
                db.session.add(RoleAssignment(user=user, role=role, org_unit=unit, partner=partner))
                added["roles"] += 1
                if partner is not None and partner.owner_id is None:
                    partner.owner_id = user.id
    return added


def logins_table() -> str:
    lines = ["", "Demo logins (phone / password / what they do):"]
    for item in load()["users"]:
        roles = (
            ", ".join(f"{role} @ {scope}" for role, scope in item.get("roles", [])) or "volunteer"
        )
        lines.append(f"  {item['phone']}  {item['password']:<22} {item['name']} - {roles}")
    return "\n".join(lines)
