"""When a connection syncs: manual, hourly, daily at a time (nightly), weekly, monthly, or a cron expression,
from a start date, as APScheduler triggers.

A schedule is a small dict kept with the connection: {"kind": "daily", "at": "02:30", "start": "2026-09-01",
"delta": false}; "day" names the weekday of a weekly schedule ("mon".."sun") or the day of a monthly one
(1-31); "cron" holds the expression of a cron schedule. Times are UTC unless "timezone" says otherwise.
"""

from __future__ import annotations

from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

KINDS = ("manual", "hourly", "daily", "weekly", "monthly", "cron")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """A schedule that cannot be understood; the message says which part."""


def _time(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        raise ScheduleError(f"a time is HH:MM, not {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ScheduleError(f"a time is HH:MM, not {text!r}")
    return hour, minute


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) in names, which APScheduler 3 reads unambiguously
    (its own numbers start at Monday)."""
    if not any(ch.isdigit() for ch in field):
        return field
    names = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            base = "0-6"
        first, _, last = base.partition("-")
        days = range(int(first), int(last or first) + 1, int(step or 1))
        names += [CRONTAB_DAYS[day % 7] for day in days]
    return ",".join(dict.fromkeys(names))


def trigger_for(schedule: dict[str, Any]) -> BaseTrigger | None:
    """The trigger of a schedule; None for a manual one."""
    kind = schedule.get("kind", "manual")
    if kind not in KINDS:
        raise ScheduleError(f"unknown schedule {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "manual":
        return None
    timezone = schedule.get("timezone", "UTC")
    start = schedule.get("start")
    if kind == "cron":
        try:
            minute, hour, day, month, weekday = str(schedule["cron"]).split()
            return CronTrigger(
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=crontab_weekdays(weekday),
                start_date=start,
                timezone=timezone,
            )
        except (KeyError, ValueError) as error:
            raise ScheduleError(f"a cron schedule needs a valid five-field expression: {error}") from None
    hour, minute = _time(schedule.get("at", "00:00"))
    fields: dict[str, Any] = {"minute": minute}
    if kind != "hourly":
        fields["hour"] = hour
    if kind == "weekly":
        day = str(schedule.get("day", "mon")).lower()
        if day not in WEEKDAYS:
            raise ScheduleError(f"a weekly schedule's day is one of {', '.join(WEEKDAYS)}, not {day!r}")
        fields["day_of_week"] = day
    if kind == "monthly":
        day = int(schedule.get("day", 1))
        if not 1 <= day <= 31:
            raise ScheduleError(f"a monthly schedule's day is 1-31, not {day}")
        fields["day"] = day
    try:
        return CronTrigger(start_date=start, timezone=timezone, **fields)
    except ValueError as error:
        raise ScheduleError(f"invalid schedule: {error}") from None


def describe(schedule: dict[str, Any]) -> str:
    """A schedule in words, for listings."""
    kind = schedule.get("kind", "manual")
    if kind == "manual":
        return "manual"
    what = "delta" if schedule.get("delta") else "full"
    start = f" from {schedule['start']}" if schedule.get("start") else ""
    if kind == "cron":
        return f"{what} sync, cron {schedule.get('cron')}{start}"
    at = schedule.get("at", "00:00")
    when = {
        "hourly": f"hourly at minute {at.split(':')[1]}",
        "daily": f"daily at {at}",
        "weekly": f"weekly on {schedule.get('day', 'mon')} at {at}",
        "monthly": f"monthly on day {schedule.get('day', 1)} at {at}",
    }[kind]
    return f"{what} sync {when} {schedule.get('timezone', 'UTC')}{start}"
