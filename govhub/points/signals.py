"""What the points domain asks other domains, without importing them.

Receivers run synchronously in the caller's session.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

ledger_ref_titles = _signals.signal("ledger-ref-titles")
"""Sent by the points history with a ledger reference type as sender (``"redemption"``)
and ``ids``: the domain owning that type returns ``{id: title}`` for those of its rows."""
