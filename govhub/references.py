"""What an audit event, a notification or a ledger entry points at: one vocabulary.

Each thing has one spelling, its table's name (``redemption``, not "voucher";
``resident_request``, not "request"), stored in the ``target_type`` / ``ref_type``
columns. Migration ``0008`` renamed the notification rows that used the
other spellings.
"""

from __future__ import annotations

from enum import StrEnum


class RefType(StrEnum):
    attendance = "attendance"
    invitation = "invitation"  # an admin's invitation of a volunteer to a shift
    claim = "claim"
    ledger_entry = "ledger_entry"
    member_report = "member_report"
    need = "need"
    org_unit = "org_unit"
    partner = "partner"
    project = "project"  # the projects list (项目清单)
    points = "points"  # a volunteer's points (the id is the volunteer's)
    redemption = "redemption"  # a voucher
    resident_request = "resident_request"
    resource = "resource"
    resource_request = "resource_request"  # a request for part of a resource, for a need
    reward = "reward"
    roster_batch = "roster_batch"  # an uploaded roster (花名册) and its import
    service_card = "service_card"  # a quarterly service card (服务登记卡)
    service_record = "service_record"
    shift = "shift"
    skill = "skill"
    unit_hold = "unit_hold"  # places a unit holds in a shift (一键认领)
    unit_report = "unit_report"  # a stationed unit's report to a community (双报到)
    user = "user"
