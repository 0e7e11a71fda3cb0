"""The user guide's pages: Markdown files in docs/guide rendered to safe HTML.

The guide is ours, but it is still rendered with raw HTML switched off (CommonMark via
markdown-it-py, ``html=False``): a ``<script>`` or ``style=`` in a page comes out as
text, so nothing in the guide can break the Content-Security-Policy. Links and images
are resolved here:

- ``![说明](screenshots/board.png)`` → the screenshot route, with the image's width and
  height (no layout shift while it loads) and lazy loading;
- ``[志愿者](volunteer.md)`` → that guide page (``index.md`` → /help);
- ``/needs`` and other site paths are kept as they are.

A link or image that names something else (another folder, an unknown page, a missing
screenshot) raises ``GuideError``, which the tests turn into a failure, so a typo in the
guide never ships as a broken link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from PIL import Image

from govhub import PROJECT_ROOT

GUIDE_DIR = PROJECT_ROOT / "docs" / "guide"
SCREENSHOT_DIR = PROJECT_ROOT / "docs" / "screenshots"

# The pages, in the order the index lists them: slug → (file stem, title in the UI language).
PAGES: dict[str, Any] = {
    "volunteer": _l("Volunteers (residents)"),
    "community": _l("Community staff"),
    "shop": _l("Caring businesses"),
    "oversight": _l("Street and district oversight"),
}
INDEX = "index"

SCREENSHOT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.(?:png|webp|jpg)$")
SCREENSHOT_REF = re.compile(r"^screenshots/([^/]+)$")
PAGE_REF = re.compile(r"^([a-z]+)\.md(#[\w-]+)?$")


class GuideError(ValueError):
    """The guide's source names a page or screenshot that does not exist."""


@dataclass(frozen=True)
class Page:
    slug: str
    title: str  # the page's own first heading (Chinese)
    html: Markup
    screenshots: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]  # (id, title) of each h2, for the contents


def split_at_first_section(page: Page) -> tuple[Markup, Markup]:
    """The page's opening (its title and first paragraphs) and the rest, from the first
    h2 on: the index puts the choice of role pages between them."""
    html = str(page.html)
    cut = html.find("<h2")
    if cut < 0:
        return page.html, Markup("")
    return Markup(html[:cut]), Markup(html[cut:])  # noqa: S704 - cut from rendered, safe HTML


def source_path(slug: str) -> Path:
    return GUIDE_DIR / f"{slug}.md"


def is_screenshot_name(name: str) -> bool:
    return bool(SCREENSHOT_NAME.fullmatch(name))


def screenshot_path(name: str) -> Path | None:
    """The file of screenshot ``name``, or None: only plain names inside the folder."""
    if not is_screenshot_name(name):
        return None
    path = SCREENSHOT_DIR / name
    return path if path.is_file() else None


def referenced_screenshots(text: str) -> list[str]:
    """The screenshot names an image in Markdown ``text`` refers to, in order."""
    names = []
    for token in _parser().parse(text):
        for child in token.children or ():
            if child.type == "image":
                match = SCREENSHOT_REF.fullmatch(str(child.attrGet("src") or ""))
                if match:
                    names.append(match.group(1))
    return names


def load(slug: str) -> Page:
    """The rendered page ``slug`` (``index`` or one of PAGES). KeyError if unknown."""
    if slug != INDEX and slug not in PAGES:
        raise KeyError(slug)
    # A few kilobytes of Markdown render in about a millisecond: no cache, so an edited
    # page or a refreshed screenshot shows at once.
    text = source_path(slug).read_text(encoding="utf-8")
    tokens = _parser().parse(text)
    title = ""
    shots: list[str] = []
    sections: list[tuple[str, str]] = []
    headings = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            headings += 1
            words = "".join(c.content for c in tokens[index + 1].children or () if c.content)
            if token.tag == "h1" and not title:
                title = words
            elif token.tag in ("h2", "h3"):
                # An id by position, so the contents at the top can link to the section.
                token.attrSet("id", f"s{headings}")
                if token.tag == "h2":
                    sections.append((f"s{headings}", words))
        _close_up_bold(token.children or [])
        for child in token.children or ():
            if child.type == "image":
                shots.append(_resolve_image(child))
            elif child.type == "link_open":
                child.attrSet("href", _resolve_link(str(child.attrGet("href") or "")))
    html = _parser().renderer.render(tokens, _parser().options, {})
    return Page(
        slug=slug,
        title=title,
        html=Markup(html),  # noqa: S704 - markdown-it escapes all text; raw HTML is off
        screenshots=tuple(shots),
        sections=tuple(sections),
    )


def _resolve_image(token: Token) -> str:
    src = str(token.attrGet("src") or "")
    match = SCREENSHOT_REF.fullmatch(src)
    name = match.group(1) if match else ""
    path = screenshot_path(name)
    if path is None:
        raise GuideError(f"image {src!r}: not a screenshot in docs/screenshots")
    if not token.content:
        raise GuideError(f"image {src!r} has no description (alt text)")
    width, height = _image_size(str(path), path.stat().st_mtime_ns)
    token.attrSet("src", url_for("help.screenshot", name=name))
    token.attrSet("width", str(width))
    token.attrSet("height", str(height))
    token.attrSet("loading", "lazy")
    token.attrSet("class", "shot")
    return name


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _close_up_bold(children: list[Token]) -> None:
    """``点 **保存** 即可`` is written with spaces (CommonMark needs them next to
    full-width punctuation), but Chinese sets bold words without: drop a space that
    stands between a Chinese character and bold Chinese text."""
    for index, child in enumerate(children):
        before = children[index - 1] if index > 0 else None
        after = children[index + 1] if index + 1 < len(children) else None
        if child.type == "strong_open" and before is not None and before.type == "text":
            inside = after.content[:1] if after is not None and after.type == "text" else ""
            text = before.content
            if text.endswith(" ") and CJK.match(text[-2:-1]) and CJK.match(inside):
                before.content = text[:-1]
        elif child.type == "strong_close" and after is not None and after.type == "text":
            inside = before.content[-1:] if before is not None and before.type == "text" else ""
            text = after.content
            if text.startswith(" ") and CJK.match(text[1:2]) and CJK.match(inside):
                after.content = text[1:]


@lru_cache(maxsize=128)
def _image_size(path: str, _mtime_ns: int) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _resolve_link(href: str) -> str:
    if href.startswith("/") and not href.startswith("//"):
        return href  # a page of this site, e.g. /needs
    match = PAGE_REF.fullmatch(href)
    if match:
        slug, anchor = match.group(1), match.group(2) or ""
        if slug == INDEX:
            return url_for("help.index") + anchor
        if slug in PAGES:
            return url_for("help.page", slug=slug) + anchor
    if href.startswith("#"):
        return href
    raise GuideError(f"link {href!r}: not a guide page, an anchor or a path of this site")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark, raw HTML off: the output holds only the tags markdown-it writes, and
    # it never writes a style attribute (tables, which would, are not enabled).
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
