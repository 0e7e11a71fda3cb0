"""One base for the enums a user sees: a stored value and a translated label together.

Members are declared ``draft = "draft", _l("Draft")``: ``__new__`` keeps the first item as
the value (what the database stores and its CHECK constraint lists) and the second as the
lazy label, so a member and its label cannot drift apart in two places.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from flask_babel import LazyString
from wtforms.fields.choices import SelectChoice


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members carry a lazy, translated label."""

    _label: LazyString

    # Only the member declarations reach ``__new__`` (``NeedStatus("draft")`` is a lookup by
    # value, answered by the enum machinery). ``label`` has a default only so that type
    # checkers accept those lookups: a member declared without a label is refused here.
    def __new__(cls, value: str, label: LazyString | None = None) -> Self:
        if label is None:
            raise TypeError(f"{cls.__name__}.{value}: declare it as {value!r}, _l(label)")
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The label in the current request's language."""
        return str(self._label)

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """``(value, label)`` choices in declaration order, for a WTForms select or radio.

        The labels stay lazy, so a form declared at import time still shows them in each
        request's language. (``SelectChoice``, not tuples: WTForms 3.3 deprecates those.)"""
        return [SelectChoice(member.value, member._label) for member in cls]
