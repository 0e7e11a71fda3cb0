"""The main pages are valid HTML: the Nu HTML Checker (vnu.jar) finds no error in them.

The pages of tests/main_pages.py are rendered by the Flask test client on the demo city,
for each person, in normal and in elder mode, written to a temporary directory and
checked by ONE run of ``java -jar vnu.jar --errors-only --format json`` (the JVM starts
slowly). The jar comes from npm (``make vnu`` installs vnu-jar into .cache/vnu; it is
not in git), Java from Debian (default-jre-headless).

Without java or the jar the test is skipped, unless CI or GOVHUB_REQUIRE_BROWSER is set
(as .ci/run does), which makes it fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import TEST_CONFIG, build_schema
from tests.main_pages import PASSWORD, arrange

ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = ROOT / ".cache" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _required() -> bool:
    return any(
        os.environ.get(name, "") not in ("", "0") for name in ("CI", "GOVHUB_REQUIRE_BROWSER")
    )


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    """The command that runs the checker, or a skip (a failure in CI)."""
    problems = []
    java = shutil.which("java")
    if java is None:
        problems.append("java not found (Debian package default-jre-headless)")
    if not VNU_JAR.is_file():
        problems.append(f"{VNU_JAR.relative_to(ROOT)} not found (run `make vnu`)")
    if problems:
        message = "; ".join(problems)
        if _required():
            pytest.fail(message + ", and CI or GOVHUB_REQUIRE_BROWSER is set")
        pytest.skip(message)
    return [str(java), "-Xss16m", "-jar", str(VNU_JAR)]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The app on a fresh SQLite database with the demo city and tests/main_pages.py's
    people; CSRF protection on, as in production (forms render their token)."""
    from govhub import create_app, demo
    from govhub.extensions import db

    root = tmp_path_factory.mktemp("markup")
    config = {
        **TEST_CONFIG,
        "WTF_CSRF_ENABLED": True,
        "DATABASE_URL": f"sqlite:///{root / 'markup.sqlite3'}",
    }
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVHUB_INSTANCE_PATH", str(root / "instance"))
        app = create_app(config)
    with app.app_context():
        build_schema()
        demo.seed()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _log_in(client, phone: str) -> None:
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    assert token, "the login form has no CSRF token"
    answer = client.post(
        "/login",
        data={"phone": phone, "password": PASSWORD, "csrf_token": token[1].decode()},
    )
    assert answer.status_code == 303, f"logging in as {phone} failed"


def _set_elder_mode(client, enabled: bool) -> None:
    with client.session_transaction() as session:
        session["elder_mode"] = enabled


def render_pages(app, target: Path) -> dict[Path, str]:
    """Write every main page, in both modes, to ``target``: file -> what it is."""
    from govhub.accounts import services as accounts
    from govhub.accounts.models import User
    from govhub.extensions import db

    written = {}
    for person in arrange(app):
        for elder in (False, True):
            client = app.test_client()
            if person.phone is None:
                _set_elder_mode(client, elder)
            else:
                with app.app_context():
                    user = db.session.query(User).filter_by(phone=person.phone).one()
                    accounts.set_preferences(user.id, elder_mode=elder)
                    db.session.commit()
                _log_in(client, person.phone)
            mode = "elder" if elder else "normal"
            for what, path in person.pages.items():
                response = client.get(path)
                label = f"{person.name}, {what}, {mode} mode ({path})"
                assert response.status_code == 200, f"{label}: status {response.status_code}"
                assert response.mimetype == "text/html", label
                name = re.sub(r"[^a-z0-9]+", "-", f"{person.name} {what} {mode}".lower())
                file = target / f"{name.strip('-')}.html"
                file.write_bytes(response.data)
                written[file] = label
    return written


@pytest.fixture(scope="module")
def pages(demo_app, tmp_path_factory) -> dict[Path, str]:
    rendered = render_pages(demo_app, tmp_path_factory.mktemp("pages"))
    assert len(rendered) >= 60, "every person's pages, in both modes"
    return rendered


def test_main_pages_have_no_html_errors(vnu, pages):

    run = subprocess.run(
        [*vnu, "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = json.loads(run.stderr or run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar did not report JSON (exit {run.returncode}):\n{run.stderr}")
    errors = [
        message
        for message in report["messages"]
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]
    lines = []
    for message in errors:
        file = Path(message.get("url", "").removeprefix("file:"))
        where = f"{file.name}:{message.get('lastLine', '?')}"
        lines.append(f"{where} [{pages.get(file, '?')}]: {message['message']}")
    assert not lines, f"{len(lines)} HTML errors:\n" + "\n".join(lines)
    assert run.returncode == 0, run.stderr


# Tables whose cells are allowed to go without labels: none today.
LABELS_PENDING: set[str] = set()


class _Tables(HTMLParser):
    """Each table's column headers and, per body row, each cell's data-label."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._part = ""  # thead / tbody / tfoot
        self._text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append({"class": attributes.get("class") or "", "head": [], "rows": []})
        elif not self.tables:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr" and self._part == "tbody":
            self.tables[-1]["rows"].append([])
        elif tag == "th" and self._part == "thead":
            self._text = []
        elif tag == "td" and self._part == "tbody" and self.tables[-1]["rows"]:
            self.tables[-1]["rows"][-1].append((attributes.get("data-label"), attributes))

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "th" and self._text is not None:
            self.tables[-1]["head"].append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = ""


def test_table_cells_carry_their_column_names(pages):
    """On a phone a table's rows stack and each cell shows its column's name from
    data-label (td[data-label]::before): every body cell under a named column has it,
    or an explicitly empty one where the cell speaks for itself (the volunteer's name
    heading a row card, its buttons)."""
    problems, checked = [], 0
    for file, label in pages.items():
        parser = _Tables()
        parser.feed(file.read_text(encoding="utf-8"))
        for table in parser.tables:
            if LABELS_PENDING & set(table["class"].split()):
                continue
            for row in table["rows"]:
                if len(row) != len(table["head"]):  # an "empty list" row spanning all
                    continue
                for column, (data_label, _attrs) in zip(table["head"], row, strict=True):
                    if column:
                        checked += 1
                        if data_label not in (column, ""):
                            problems.append(f"{label}: {column!r} cell has {data_label!r}")
    assert checked, "the pages show no table rows"
    assert not problems, "\n".join(problems)
