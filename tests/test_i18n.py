"""Every visible string is translated: the catalog covers the source and is complete."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "govhub" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return read(pot)


def ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


def test_every_source_string_is_in_the_chinese_catalog(extracted):
    missing = ids(extracted) - ids(read(CATALOG))
    assert not missing, f"run `make update-messages` and translate: {sorted(map(str, missing))}"


def test_every_string_is_translated_and_none_is_fuzzy():
    catalog = read(CATALOG)
    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_placeholders_survive_translation():
    for message in read(CATALOG):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), (
                source
            )


def test_the_compiled_catalog_is_used(app, client):
    """Chinese by default; English on request."""
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "手机号" in page
    client.post("/preferences/language", data={"locale": "en"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Mobile number" in page and "手机号" not in page
