"""An uploaded roster (kept server-side until it is confirmed) and the people it created.

A ``RosterBatch`` holds the uploaded file itself and its SHA-256: the preview and the
confirmation read the rows from here, never from the browser. One uploader's same file is
one batch (UNIQUE uploader + hash), so uploading it again opens the same batch.

A ``RosterMember`` is one person an import created. Their account has no password and is
inactive until they activate it with the one-time code printed on their slip; only the
code's HMAC is kept (``roster.services.code_digest``), with its expiry and when it was used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.accounts.models import User
from govhub.database import utcnow
from govhub.extensions import Model


class RosterBatch(Model):
    __tablename__ = "roster_batch"
    __table_args__ = (UniqueConstraint("uploaded_by_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the file itself
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    created_count: Mapped[int] = mapped_column(default=0)

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])


class RosterMember(Model):
    __tablename__ = "roster_member"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("roster_batch.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int]  # the row of the roster that created the person
    # The current slip's code (HMAC-SHA256, hex); None until a slip is printed.
    code_digest: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None]
    code_used_at: Mapped[datetime | None]
    slips_printed: Mapped[int] = mapped_column(default=0)
    activated_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
    batch: Mapped[RosterBatch] = relationship()
