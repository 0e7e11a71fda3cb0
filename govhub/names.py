"""People's names as shown where they must not be shown whole (public pages, a unit's
candidates, a liaison to confirm): 张*明, 李*, 欧**华; a Latin name keeps its first
letter and the initial of its last word: ``John Smith`` → ``J*** S.``."""

from __future__ import annotations


def short_name(name: str | None) -> str:
    """``name`` shortened so it no longer identifies a person by itself."""
    name = " ".join((name or "").split())
    if not name:
        return "*"
    if len(name) == 1:
        return name
    if name.isascii():
        words = name.split(" ")
        first = words[0][0].upper() + "***"
        return f"{first} {words[-1][0].upper()}." if len(words) > 1 else first
    name = name.replace(" ", "")
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
