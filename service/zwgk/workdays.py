"""Deadlines in working days on the official PRC calendar.

A catalog's 公开时限 ("信息形成或者变更之日起20个工作日内") is a number of working
days. Counting follows 民法典 第二百零一条: a period in days does not count the day
it starts from; it runs from the next day. The deadline is therefore the N-th
working day *after* the day of the change.

Working days are those of the official calendar: Monday to Friday, less the
public holidays, plus the adjusted working days (调休, usually a Saturday or
Sunday) that the State Council (国务院办公厅) publishes each year. The calendar
is the PyPI package ``chinesecalendar`` (module ``chinese_calendar``), which
holds the published arrangements for a range of years. For a year it does not
hold, no deadline is computed and the reason says so: a guess from weekends alone
would be wrong whenever that year's holidays fall in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

LAW = "民法典 第二百零一条"


class OutsideCalendar(ValueError):
    """A day in a year the official calendar data does not cover."""


@dataclass(frozen=True)
class Coverage:
    package: str
    version: str
    first_year: int
    last_year: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.first_year, 1, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.last_year, 12, 31)

    def covers(self, day: dt.date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def describe(self) -> str:
        return f"{self.package} {self.version} covers {self.first_year}–{self.last_year}"


@lru_cache(maxsize=1)
def coverage() -> Coverage:
    """The years whose holiday arrangements the installed calendar package holds."""
    import chinese_calendar
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return Coverage("chinesecalendar", getattr(chinese_calendar, "__version__", "?"), min(years), max(years))


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day on the official calendar; OutsideCalendar for an uncovered year."""
    cov = coverage()
    if not cov.covers(day):
        raise OutsideCalendar(f"{day.isoformat()} is outside the official calendar ({cov.describe()})")
    import chinese_calendar

    return chinese_calendar.is_workday(day)


@dataclass(frozen=True)
class Deadline:
    """The deadline of one item: a date, or None with the reason no date can be given."""

    date: dt.date | None
    reason: str | None = None

    @property
    def iso(self) -> str | None:
        return self.date.isoformat() if self.date else None


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted).
    Raises OutsideCalendar when the count runs into a year the calendar does not hold."""
    if days < 1:
        raise ValueError(f"a deadline of {days} working days cannot be counted")
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def deadline(change_day: dt.date | None, working_days: int | None) -> Deadline:
    """The date by which an item must be updated after a change on ``change_day``."""
    cov = coverage()
    if working_days is None:
        return Deadline(None, "the catalog gives no deadline in working days for this item (公开时限)")
    if change_day is None:
        return Deadline(None, "the date of the change is not known (to the day)")
    if not cov.covers(change_day):
        return Deadline(None, f"the change date {change_day.isoformat()} is outside the official calendar "
                              f"({cov.describe()})")
    try:
        return Deadline(add_working_days(change_day, working_days))
    except OutsideCalendar:
        return Deadline(None, f"{working_days} working days after {change_day.isoformat()} run past "
                              f"{cov.last.isoformat()}, the end of the official calendar ({cov.describe()}); "
                              f"{cov.last_year + 1}'s holidays are not in it")
    except ValueError as exc:
        return Deadline(None, str(exc))


def parse_day(text: str) -> dt.date:
    """A YYYY-MM-DD date, or ValueError with a message a user can act on."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-09-30") from None


__all__ = ["LAW", "Coverage", "Deadline", "OutsideCalendar", "coverage", "is_workday", "add_working_days",
           "deadline", "parse_day"]
