"""The deployment a city runs, for real: two gunicorn servers (separate processes on
separate ports, as on two machines) on one PostgreSQL, sharing a Redis for the rate
limits and the dashboards' kept figures.

Each client is a little browser (urllib with a cookie jar) that reads the CSRF token from
the forms it is sent, and its requests alternate between the two servers, so a session
begun on one continues on the other. Claims, redemptions and QR check-ins sent at the
same moment to both servers stay exactly-once; the login throttle refuses the 6th failed
attempt whichever server it reaches; a dashboard one server counted is what the other
shows; each server logs its requests with their ids and
stops cleanly on SIGTERM.

The servers run with the production settings except ``GOVHUB_ENV=production`` itself,
which marks cookies Secure: a client on plain http (as here, on 127.0.0.1 without the
TLS proxy) would never send them back.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from govhub import PROJECT_ROOT, create_app
from govhub.accounts.models import Role
from govhub.checkin.models import Attendance
from govhub.database import utcnow
from govhub.extensions import db
from govhub.needs import claims
from govhub.needs.models import Claim, ClaimStatus
from govhub.points import services as points
from govhub.points.models import PointsAccount
from govhub.rewards.models import Redemption, Reward
from govhub.tokens import Purpose, shift_token
from tests.concurrency import run_at_once
from tests.conftest import TEST_CONFIG, build_schema
from tests.factories import PASSWORD, make_admin, make_need, make_tree, make_user
from tests.rewards.helpers import give_points, make_reward, make_shop

pytestmark = pytest.mark.postgres

PLACES, CLAIMANTS = 5, 16
STOCK, REDEEMERS, PRICE = 4, 12, 100
SCANNERS = 12
SECRET = "multi-server-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_gunicorn(name: str, env: dict, tmp: Path) -> Server:
    port = free_port()
    log = tmp / f"{name}.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", "2", "--threads", "4",
        "--bind", f"127.0.0.1:{port}",
        "--control-socket", str(tmp / f"{name}.ctl"),  # not the machine-wide default
        "--graceful-timeout", "20",
        "wsgi:app",
    ]  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn {name} did not start:\n{log.read_text()}")
        time.sleep(0.2)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Browser:
    """One person's browser; ``servers`` are taken in turn, one per request."""

    servers: list[Server]
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    turn: int = 0
    csrf: str | None = None

    def __post_init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _next(self) -> Server:
        server = self.servers[self.turn % len(self.servers)]
        self.turn += 1
        return server

    def request(self, path: str, data: dict | None = None, headers=None):
        server = self._next()
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrf_token": self.csrf or "", **data}).encode()
        request = urllib.request.Request(  # noqa: S310 (http on 127.0.0.1)
            server.url + path, data=body, headers=headers or {}
        )
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        text = response.read().decode()
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text) or re.search(
            r'name="csrf-token" content="([^"]+)"', text
        )
        if found:
            self.csrf = html.unescape(found.group(1))
        return SimpleNamespace(
            status=response.status, text=text, headers=response.headers, server=server.name
        )

    def login(self, phone: str, password: str = PASSWORD):
        self.request("/login")
        return self.request("/login", {"phone": phone, "password": password})


@pytest.fixture(scope="module")
def site(postgres, redis_server, tmp_path_factory):
    """Two gunicorn servers on one PostgreSQL database and one Redis, and the data."""
    tmp = tmp_path_factory.mktemp("multi")
    url = postgres.create_database("govhub_multi")
    # The same secret as the servers: the test signs the shift's QR code.
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "SECRET_KEY": SECRET})
    with app.app_context():
        build_schema()
        data = _arrange()
        db.session.remove()
    env = {
        **os.environ,
        "GOVHUB_DATABASE_URL": url,
        "GOVHUB_SECRET_KEY": SECRET,
        "GOVHUB_BASE_URL": "http://127.0.0.1",
        "GOVHUB_RATELIMIT_STORAGE_URI": redis_server.url,
        "GOVHUB_CACHE_TYPE": "RedisCache",
        "GOVHUB_CACHE_REDIS_URL": f"unix://{redis_server.socket_path}",
        "GOVHUB_DATABASE_POOL_SIZE": "4",
        "GOVHUB_INSTANCE_PATH": str(tmp / "instance"),
    }
    servers = [start_gunicorn(name, env, tmp) for name in ("one", "two")]
    yield SimpleNamespace(app=app, servers=servers, redis=redis_server, **data)
    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
    with app.app_context():
        db.engine.dispose()


def _arrange() -> dict:
    tree = make_tree()
    admin = make_admin(tree)
    # A shift far ahead with few places, for the claim race.
    need = make_need(tree, admin=admin, shifts=((3, 2, PLACES),), now=utcnow())
    claimants = [make_user(tree, name=f"认领{n}").phone for n in range(CLAIMANTS)]
    # A shift that started 30 minutes ago: its QR code is live now.
    began = utcnow() - timedelta(minutes=31)
    running = make_need(
        tree, admin=admin, title="Sweep the square", shifts=((1 / 1440, 3, 50),), now=began
    )
    scanners = [make_user(tree, name=f"签到{n}") for n in range(SCANNERS)]
    for scanner in scanners:
        claims.claim_shift(scanner.id, running.shifts[0].id, now=began)
    shop, owner = make_shop(tree)
    reward = make_reward(shop, owner, price=PRICE, stock=STOCK)
    redeemers = []
    for n in range(REDEEMERS):
        person = make_user(tree, name=f"兑换{n}")
        give_points(person.id, 3 * PRICE)
        redeemers.append(person)
    return {
        "need_id": need.id,
        "shift_id": need.shifts[0].id,
        "claimants": claimants,
        "running_shift_id": running.shifts[0].id,
        "scanners": [(s.id, s.phone) for s in scanners],
        "reward_id": reward.id,
        "redeemers": [(r.id, r.phone) for r in redeemers],
        "throttled_phone": make_user(tree, name="Forgetful").phone,
        "overseer": make_admin(tree, Role.oversight_admin, "city").phone,
        "city_id": tree.city,
    }


def logged_in(site, phone: str) -> Browser:
    browser = Browser(site.servers)
    assert browser.login(phone).status == 303
    return browser


def test_the_login_throttle_refuses_the_sixth_failure_whichever_server_it_reaches(site):
    browser = Browser(site.servers)
    browser.request("/login")
    answers = [
        browser.request("/login", {"phone": site.throttled_phone, "password": "wrong"})
        for _ in range(8)
    ]
    assert {a.server for a in answers} == {"one", "two"}
    assert [a.status for a in answers[:5]] == [422] * 5  # wrong password: the form again
    assert [a.status for a in answers[5:]] == [429] * 3
    # The counts live in the shared store, not in any worker's memory.
    import redis

    store = redis.Redis(unix_socket_path=str(site.redis.socket_path))
    assert store.keys("LIMITS:*")


def test_a_dashboard_counted_on_one_server_is_what_the_other_shows(site):
    """The city's dashboard is counted once and kept in Redis: the second server reads it
    (its time to live runs on) instead of counting it again (which would set it anew)."""
    import redis

    store = redis.Redis(unix_socket_path=str(site.redis.socket_path))
    browser = logged_in(site, site.overseer)
    path = f"/oversight/units/{site.city_id}"
    first = browser.request(path)
    [key] = store.keys("flask_cache_oversight:*")
    left = store.pttl(key)
    time.sleep(1.2)
    second = browser.request(path)
    assert (first.status, second.status) == (200, 200)
    assert {first.server, second.server} == {"one", "two"}
    assert store.pttl(key) <= left - 1000  # read, not written again
    counted = [re.search(r'id="counted-at">(.*?)</p>', a.text).group(1) for a in (first, second)]
    assert counted[0] == counted[1]


def test_claims_sent_to_both_servers_at_once_fill_the_places_exactly(site):
    browsers = [logged_in(site, phone) for phone in site.claimants]
    for browser in browsers:
        browser.request(f"/needs/{site.need_id}")
    path = f"/shifts/{site.shift_id}/claim"
    # Every claimant taps twice; the two taps go to different servers.
    answers = run_at_once([lambda b=b: b.request(path, {}) for b in browsers for _ in range(2)])
    assert all(not isinstance(a, Exception) and a.status < 500 for a in answers), answers
    with site.app.app_context():
        rows = db.session.execute(
            select(Claim.volunteer_id, Claim.status).where(Claim.shift_id == site.shift_id)
        ).all()
    assert len(rows) == len({volunteer for volunteer, _ in rows})  # one claim each
    assert sum(status is ClaimStatus.confirmed for _, status in rows) == PLACES


def test_double_tapped_redemptions_on_both_servers_never_oversell(site):
    browsers = [logged_in(site, phone) for _, phone in site.redeemers]
    forms = []
    for browser in browsers:
        page = browser.request(f"/rewards/{site.reward_id}")
        key = re.search(r'name="key"[^>]*value="([^"]+)"', page.text).group(1)
        forms.append((browser, {"key": key}))
    path = f"/rewards/{site.reward_id}/redeem"
    answers = run_at_once([lambda b=b, f=f: b.request(path, f) for b, f in forms for _ in range(2)])
    assert all(not isinstance(a, Exception) and a.status < 500 for a in answers), answers
    with site.app.app_context():
        vouchers = db.session.scalars(select(Redemption)).all()
        assert len(vouchers) == STOCK
        assert len({v.volunteer_id for v in vouchers}) == STOCK  # a double tap is one voucher
        assert db.session.get(Reward, site.reward_id).stock == 0
        for volunteer_id, _ in site.redeemers:
            account = db.session.get(PointsAccount, volunteer_id)
            assert account.balance >= 0
            assert account.balance == points.ledger_sum(volunteer_id)
        assert points.audit_ledger(now=utcnow()).mismatches == []


def test_qr_check_ins_spread_over_both_servers_are_recorded_once_each(site):
    browsers = [logged_in(site, phone) for _, phone in site.scanners]
    with site.app.app_context():
        token = shift_token(site.running_shift_id, Purpose.check_in, utcnow())
    scan = f"/s/{site.running_shift_id}/in/{token}"

    def check_in(browser):  # the scanned page (the confirmation, with its form), its POST
        assert browser.request(scan).status == 200
        return browser.request("/s/confirm", {})

    # Half the volunteers' phones send the whole scan twice.
    jobs = [lambda b=b: check_in(b) for b in browsers]
    jobs += [lambda b=b: check_in(Browser(site.servers, jar=b.jar)) for b in browsers[::2]]
    answers = run_at_once(jobs)
    assert all(not isinstance(a, Exception) and a.status < 500 for a in answers), answers
    with site.app.app_context():
        recorded = db.session.scalars(
            select(Attendance.volunteer_id).where(Attendance.shift_id == site.running_shift_id)
        ).all()
    assert sorted(recorded) == sorted(volunteer for volunteer, _ in site.scanners)


def test_each_server_logs_requests_with_their_id_and_stops_cleanly(site):
    for server in site.servers:
        request = urllib.request.Request(  # noqa: S310 (http on 127.0.0.1)
            server.url + "/healthz", headers={"X-Request-ID": f"lb-check-{server.name}-0001"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.headers["X-Request-ID"] == f"lb-check-{server.name}-0001"
    for server in site.servers:
        server.process.send_signal(signal.SIGTERM)
    for server in site.servers:
        assert server.process.wait(60) == 0
        log = server.log.read_text()
        assert f"[lb-check-{server.name}-0001] govhub.requests: GET /healthz 200 " in log
        assert "Traceback" not in log
