"""Names shortened where they must not be shown whole (govhub/names.py)."""

from __future__ import annotations

import pytest

from govhub.names import short_name


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("张小明", "张*明"),
        ("李四", "李*"),
        ("欧阳小华", "欧**华"),
        ("王", "王"),
        (" 张 小明 ", "张*明"),
        ("John Smith", "J*** S."),
        ("john ronald smith", "J*** S."),
        ("Alice", "A***"),
        ("A", "A"),
        ("", "*"),
        (None, "*"),
    ],
)
def test_short_names(name, short):
    assert short_name(name) == short


def test_a_shortened_name_never_contains_the_whole():
    for name in ["张小明", "李四", "John Smith", "Alice"]:
        assert name not in short_name(name)
