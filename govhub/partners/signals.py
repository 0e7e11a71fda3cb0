"""What the partners domain tells other domains, without importing them.

Receivers run synchronously inside the sender's transaction: what they write commits or
rolls back with it, and an error in a receiver undoes the whole change.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

partner_suspended = _signals.signal("partner-suspended")
"""Sent by ``partners.services.suspend`` after the partner is marked suspended, with the
``Partner`` as sender and ``actor_id``, ``reason`` and ``now``. A receiver returns how
many vouchers it refunded (the suspension records their sum)."""
