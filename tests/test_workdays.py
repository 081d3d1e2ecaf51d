"""Deadlines in working days on the official calendar (chinesecalendar), 民法典 第二百零一条."""

import datetime as dt

import pytest

from zwgk.workdays import OutsideCalendar, add_working_days, coverage, deadline, is_workday

D = dt.date


def test_coverage_comes_from_the_package():
    cov = coverage()
    assert cov.package == "chinesecalendar"
    assert cov.first_year <= 2004 and cov.last_year >= 2026
    assert cov.covers(D(2025, 9, 30)) and not cov.covers(D(cov.last_year + 1, 1, 4))


def test_2025_adjusted_working_days_and_national_day():
    assert is_workday(D(2025, 9, 28))  # a Sunday worked (调休)
    assert is_workday(D(2025, 10, 11))  # a Saturday worked
    assert not any(is_workday(D(2025, 10, d)) for d in range(1, 9))  # 10-01 … 10-08 off


@pytest.mark.parametrize("change, days, expected", [
    # National Day 2025: the day of the change is not counted; 10-01…10-08 off, 10-11 (Saturday) worked
    (D(2025, 9, 30), 1, D(2025, 10, 9)),
    (D(2025, 9, 30), 3, D(2025, 10, 11)),
    (D(2025, 9, 30), 20, D(2025, 11, 4)),
    (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Friday → the Sunday worked
    # Spring Festival 2025: 01-26 (Sunday) and 02-08 (Saturday) worked, 01-28…02-04 off
    (D(2025, 1, 24), 1, D(2025, 1, 26)),
    (D(2025, 1, 24), 3, D(2025, 2, 5)),
    (D(2025, 1, 24), 20, D(2025, 2, 27)),
    # Spring Festival 2026: 02-14 and 02-28 (Saturdays) worked, 02-15…02-23 off
    (D(2026, 2, 13), 1, D(2026, 2, 14)),
    (D(2026, 2, 13), 2, D(2026, 2, 24)),
    (D(2026, 2, 13), 20, D(2026, 3, 19)),
    # across a year boundary: New Year 2026 (01-01…01-03 off, Sunday 01-04 worked)
    (D(2025, 12, 31), 1, D(2026, 1, 4)),
    (D(2025, 12, 31), 20, D(2026, 1, 29)),
    # across a year boundary into Spring Festival 2025
    (D(2024, 12, 31), 20, D(2025, 2, 5)),
])
def test_deadlines(change, days, expected):
    assert add_working_days(change, days) == expected
    assert deadline(change, days).date == expected


def test_no_date_without_working_days_or_day():
    assert deadline(D(2025, 9, 30), None).date is None
    assert "no deadline" in deadline(D(2025, 9, 30), None).reason
    assert deadline(None, 20).date is None and "not known" in deadline(None, 20).reason


def test_beyond_the_calendar_no_guess():
    last = coverage().last_year
    d = deadline(D(last, 12, 20), 20)  # runs into a year the package does not hold
    assert d.date is None and f"{last + 1}" in d.reason and "official calendar" in d.reason
    with pytest.raises(OutsideCalendar):
        is_workday(D(last + 1, 1, 4))
    assert deadline(D(2003, 12, 1), 20).date is None
