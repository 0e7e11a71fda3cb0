"""The demo's matching and projects list (项目清单), added at the end of ``demo.seed``.

- Weekly availability for the demo volunteers, so the matching excludes and explains.
- A matched need of 金叶社区, 重阳敬老：理发和健康咨询 (a party task, next Saturday
  morning): the admin invited the two best-ranked volunteers with the reasons the
  ranking gave; 陈丽华 accepted (she is a claimant), 张晓明's invitation waits for him.
  The admin requested 个税申报咨询 of 咸安区税务局 (accepted: committed) and 爱心粮油 of
  香城惠民超市 (waiting for the shop).
- A completed project: the history's 社区环境大扫除 became 金叶社区环境整治, completed
  with its outcome and a photo, published on the public page (居务公开).
- Units' proposals (项目认领): 咸安区税务局's 税收政策进社区 was taken onto 金叶社区's list;
  国网咸宁供电公司's 用电安全进社区 waits for 南昌路社区.

Built through the services; each record is found by a natural key first, so seeding
twice changes nothing.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from govhub.accounts.models import Skill, User
from govhub.clock import local_date, to_local, to_utc
from govhub.database import transactional, utcnow
from govhub.extensions import db
from govhub.matching import candidates, resource_requests
from govhub.matching import invitations as invites
from govhub.matching.models import Invitation, ResourceRequest
from govhub.needs import posting
from govhub.needs.models import Category, Need
from govhub.orgs.models import OrgUnit
from govhub.partners.models import Partner
from govhub.projects import services as projects
from govhub.projects.models import Project
from govhub.resources.models import Resource

# Weekly availability (bit weekday*3 + part; part 0 morning, 1 afternoon, 2 evening).
EVENINGS = sum(1 << (day * 3 + 2) for day in range(5))
WEEKEND_MORNINGS = (1 << (5 * 3)) | (1 << (6 * 3))
MORNINGS = sum(1 << (day * 3) for day in range(7))
AVAILABILITY = {
    "13800000010": EVENINGS | WEEKEND_MORNINGS,  # 张晓明: weekday evenings, weekend mornings
    "13800000011": MORNINGS,  # 陈丽华: every morning
}
MATCHED_TITLE = "重阳敬老：理发和健康咨询"
MATCHED_SKILLS = ["陪伴聊天", "医疗护理"]
MATCHED_GRID = "金叶二网格"  # where 陈丽华 lives: 同一网格
INVITED = ["13800000011", "13800000010"]  # the first accepts, the second has not answered
ACCEPTS = "13800000011"
# (resource title, quantity, accepted by the provider's staff phone or None: waiting)
REQUESTS = [("个税申报咨询", 1, "13800000040"), ("爱心粮油", 5, None)]
HISTORY_TITLE = "社区环境大扫除"
PROJECT_TITLE = "金叶社区环境整治"
PROJECT_OUTCOME = (
    "两个网格的居民和志愿者清理了楼道杂物和绿化带垃圾，共清运垃圾三车，"
    "整改堆物点12处，惠及金叶小区约320户居民。"
)
# (unit, community, title, what it offers, accepted by the admin's phone or None)
PROPOSALS = [
    (
        "咸安区税务局",
        "金叶社区",
        "税收政策进社区",
        "每季度派两名税务干部到社区党群服务中心宣讲个税和社保政策。",
        "13800000002",
    ),
    (
        "国网咸宁供电公司",
        "南昌路社区",
        "用电安全进社区",
        "组织10名党员职工为老旧小区开展用电安全宣传和入户检查。",
        None,
    ),
]
ADMIN = "13800000002"


def _users() -> dict[str, User]:
    return {u.phone: u for u in db.session.scalars(select(User))}


@transactional
def seed_matching(by_name: dict[str, OrgUnit], added: Counter) -> None:
    now = utcnow()
    users = _users()
    for phone, mask in AVAILABILITY.items():
        profile = users[phone].profile
        if profile is not None and profile.weekly_availability is None:
            profile.weekly_availability = mask
    need = _matched_need(by_name, users, added, now)
    _invite(need, users, added, now)
    _request_resources(need, users, added, now)
    _completed_project(by_name, users, added, now)
    _proposals(by_name, users, added, now)


def _next_saturday(now: datetime) -> date:
    today = local_date(now)
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def _matched_need(by_name, users, added: Counter, now: datetime) -> Need:
    community = by_name["金叶社区"]
    need = db.session.scalar(
        select(Need).where(Need.community_id == community.id, Need.title == MATCHED_TITLE)
    )
    if need is not None:
        return need
    admin = users[ADMIN]
    day = _next_saturday(now)
    start = to_utc(datetime.combine(day, time(9, 0)))
    skills = {s.name: s.id for s in db.session.scalars(select(Skill))}
    need = posting.save_need(
        admin.id,
        community.id,
        posting.NeedInput(
            title=MATCHED_TITLE,
            description="为社区高龄和独居老人义务理发，测量血压，陪老人聊聊天。",
            category_id=db.session.scalars(
                select(Category.id).where(Category.code == "elderly")
            ).one(),
            place="金叶社区党群服务中心",
            contact_name=admin.name,
            contact_phone=admin.phone,
            skill_ids=[skills[name] for name in MATCHED_SKILLS],
            party_task=True,
            grid_id=by_name[MATCHED_GRID].id,
        ),
        [posting.ShiftInput(start, start + timedelta(hours=2, minutes=30), 4)],
        now=now,
    )
    posting.publish(admin.id, need.id, now=now)
    added["needs"] += 1
    return db.session.get_one(Need, need.id)


def _invite(need: Need, users, added: Counter, now: datetime) -> None:
    shift = need.shifts[0]
    if db.session.scalar(select(Invitation.id).where(Invitation.shift_id == shift.id)):
        return
    admin = users[ADMIN]
    ranked, _more = candidates.ranked_volunteers(need, shift, now=now, limit=50)
    reasons = {c.user_id: c.scored.reasons for c in ranked}
    for phone in INVITED:
        volunteer = users[phone]
        invites.invite(
            admin.id,
            shift.id,
            [volunteer.id],
            message="重阳节前的敬老活动，期待您来。",
            reasons={volunteer.id: reasons.get(volunteer.id, [])},
            key=f"demo:invite:{phone}",
            now=now,
        )
        added["invitations"] += 1
    invitation = db.session.scalars(
        select(Invitation).where(
            Invitation.shift_id == shift.id, Invitation.volunteer_id == users[ACCEPTS].id
        )
    ).one()
    invites.accept(users[ACCEPTS].id, invitation.id, now=now)


def _request_resources(need: Need, users, added: Counter, now: datetime) -> None:
    if db.session.scalar(select(ResourceRequest.id).where(ResourceRequest.need_id == need.id)):
        return
    for title, quantity, accepted_by in REQUESTS:
        resource = db.session.scalars(select(Resource).where(Resource.title == title)).one()
        item = resource_requests.request(
            users[ADMIN].id,
            need.id,
            resource.id,
            quantity,
            "重阳敬老活动用",
            key=f"demo:request:{title}",
            now=now,
        )
        added["resource requests"] += 1
        if accepted_by:
            resource_requests.accept(users[accepted_by].id, item.id, now=now)


def _photo() -> bytes:
    """A simple drawn picture for the completed project (the demo ships no image files)."""
    image = Image.new("RGB", (960, 640), (214, 234, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 430, 960, 640), fill=(120, 180, 90))
    for x in range(80, 900, 160):
        draw.rectangle((x, 190, x + 110, 430), fill=(236, 222, 200), outline=(150, 120, 90))
    draw.ellipse((780, 40, 900, 160), fill=(255, 205, 80))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _completed_project(by_name, users, added: Counter, now: datetime) -> None:
    community = by_name["金叶社区"]
    if db.session.scalar(select(Project.id).where(Project.title == PROJECT_TITLE)):
        return
    need = db.session.scalar(
        select(Need).where(Need.community_id == community.id, Need.title == HISTORY_TITLE)
    )
    if need is None:
        return
    admin = users[ADMIN]
    ended = max(s.ends_at for s in need.shifts)
    started = to_local(min(s.starts_at for s in need.shifts)).date()
    project = projects.record(
        admin.id,
        community.id,
        projects.ProjectInput(
            title=PROJECT_TITLE,
            summary="以社区环境大扫除为起点，整治楼道堆物和绿化带垃圾。",
            starts_on=started,
            ends_on=started,
        ),
        [need.id],
        [],
        now=ended,
    )
    projects.complete(
        admin.id,
        project.id,
        people_served=320,
        outcome=PROJECT_OUTCOME,
        photos=[_photo()],
        published=True,
        now=ended + timedelta(days=1),
    )
    added["projects"] += 1


def _proposals(by_name, users, added: Counter, now: datetime) -> None:
    partners = {p.name: p for p in db.session.scalars(select(Partner))}
    staff = {"咸安区税务局": "13800000040", "国网咸宁供电公司": "13800000041"}
    for unit, community_name, title, offer, accepted_by in PROPOSALS:
        if db.session.scalar(select(Project.id).where(Project.title == title)):
            continue
        project = projects.propose(
            users[staff[unit]].id,
            partners[unit].id,
            by_name[community_name].id,
            projects.ProjectInput(title=title),
            offer,
            now=now,
        )
        added["project proposals"] += 1
        if accepted_by:
            projects.accept_proposal(users[accepted_by].id, project.id, now=now)
