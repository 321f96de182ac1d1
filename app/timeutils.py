"""Clock and time-zone helpers: aware UTC datetimes in the database, Europe/Paris for people."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime; tests patch this seam."""
    return datetime.now(timezone.utc)


def today_paris() -> date:
    return utcnow().astimezone(PARIS).date()


def school_year_of(day: date) -> int:
    """Return the starting year of the school year containing ``day`` (1 September to 31 August)."""
    return day.year if day.month >= 9 else day.year - 1


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware datetime.

    SQLite has no time-zone type and returns naive values; this type makes both engines agree.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
