"""A shift as an iCalendar file for the volunteer's phone calendar."""

from __future__ import annotations

from govhub.needs.models import (
    Shift,
)


def shift_calendar(shift: Shift) -> bytes:
    """An iCalendar (.ics) file for one shift, for the volunteer's phone calendar."""
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//govhub//needs//ZH")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"shift-{shift.id}@govhub")
    event.add("summary", shift.need.title)
    event.add("location", shift.need.place)
    event.add(
        "description",
        f"{shift.need.description}\n{shift.need.contact_name} {shift.need.contact_phone}".strip(),
    )
    utc = ZoneInfo("UTC")
    event.add("dtstart", shift.starts_at.replace(tzinfo=utc))
    event.add("dtend", shift.ends_at.replace(tzinfo=utc))
    event.add("dtstamp", shift.need.updated_at.replace(tzinfo=utc))
    calendar.add_component(event)
    return calendar.to_ical()
