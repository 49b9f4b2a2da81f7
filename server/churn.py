"""Changes over time: move the SIS's clock on and let a district live, so consumers can test delta syncs.

Each simulated day brings, in proportion to the number of active students: new students (enrolled in the
classes a classmate of their grade takes), withdrawals (the student turns `tobedeleted`, and with them what
depends on them: enrollments, demographics, results; their guardians no longer name them), schedule changes
(a student moves to another section of a course), name and email changes, and now and then a teacher swap.
When the clock passes the end of a term, that term's classes turn `tobedeleted` with their enrollments and
gradebook. Deletions cascade as `rosterlab.server.store.cascade` says, for every writer alike. Every change
is dated at the instant of its simulated day, after everything already in the store; the same seed and store
give the same changes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from rosterlab.server.query.sql_filter import SqlDialect
from rosterlab.server.store.cascade import retire
from rosterlab.server.store.clock import clock, next_stamp, set_clock
from rosterlab.server.store.load import create_schema
from rosterlab.server.store.tables import ENTITY_TABLES, INDEX_COLUMNS
from rosterlab.server.store.write import remove, save
from rosterlab.spec.entities import V1P2
from rosterlab.spec.filter.fields import format_instant
from rosterlab.spec.model import Ref

SURNAMES = ("Rivera", "Okoro", "Lindqvist", "Haddad", "Novak", "Tanaka", "Byrne", "Costa")


@dataclass
class ChangeSummary:
    """What an advance changed, by kind of change."""

    start: str
    end: str
    changes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _active(connection: Connection, entity: str) -> list[dict[str, Any]]:
    table = ENTITY_TABLES[entity]
    query = select(table.c.v1p2).where(table.c.status == "active").order_by(table.c.sourced_id)
    return [row[0] for row in connection.execute(query)]


class _Day:
    """One simulated day's changes, all stamped with the day's instant."""

    def __init__(self, connection: Connection, rng: random.Random, stamp: str, summary: ChangeSummary) -> None:
        self.connection, self.rng, self.stamp, self.summary = connection, rng, stamp, summary

    def put(self, entity: str, record: dict[str, Any], status: str = "active") -> None:
        save(self.connection, entity, {**record, "status": status, "dateLastModified": self.stamp})

    def retire(self, entity: str, record: dict[str, Any]) -> None:
        retire(self.connection, entity, record["sourcedId"], self.stamp)

    def students(self) -> list[dict[str, Any]]:
        return [u for u in _active(self.connection, "user") if any(r["role"] == "student" for r in u["roles"])]

    def enrollments_of(self, user_id: str) -> list[dict[str, Any]]:
        table = ENTITY_TABLES["enrollment"]
        query = select(table.c.v1p2).where(table.c.user_id == user_id, table.c.status == "active")
        return [row[0] for row in self.connection.execute(query)]


def _new_student(day: _Day, students: list[dict[str, Any]], number: int) -> None:
    model = day.rng.choice(students)
    new_id = f"new-{day.stamp[:10]}-{number}"
    given = day.rng.choice(("Noor", "Felix", "Ines", "Tomás", "Ada", "Ravi"))
    username = f"{given.lower()}{new_id.replace('-', '')}"
    student = {k: v for k, v in model.items() if k in ("enabledUser", "roles", "primaryOrg", "grades")}
    student.update(
        sourcedId=new_id,
        givenName=given,
        familyName=day.rng.choice(SURNAMES),
        username=username,
        email=f"{username}@district.example.org",
        userIds=[{"type": "SIS", "identifier": new_id}],
    )
    day.put("user", student)
    for enrollment in day.enrollments_of(model["sourcedId"]):
        day.put(
            "enrollment",
            {
                **enrollment,
                "sourcedId": f"enr-{enrollment['class']['sourcedId']}-{new_id}",
                "user": {"sourcedId": new_id},
            },
        )
    day.summary.changes["new students"] += 1


def _withdraw(day: _Day, student: dict[str, Any]) -> None:
    day.retire("user", student)
    day.summary.changes["withdrawals"] += 1


def _reschedule(day: _Day, student: dict[str, Any], classes: dict[str, list[dict[str, Any]]]) -> None:
    enrollments = day.enrollments_of(student["sourcedId"])
    if not enrollments:
        return
    old = day.rng.choice(enrollments)
    klass = next((c for c in classes["all"] if c["sourcedId"] == old["class"]["sourcedId"]), None)
    if klass is None:
        return
    siblings = [c for c in classes[klass["course"]["sourcedId"]] if c["sourcedId"] != klass["sourcedId"]]
    if not siblings:
        return
    target = day.rng.choice(siblings)
    day.retire("enrollment", old)
    day.put(
        "enrollment",
        {
            **old,
            "sourcedId": f"enr-{target['sourcedId']}-{student['sourcedId']}",
            "class": {"sourcedId": target["sourcedId"]},
        },
    )
    day.summary.changes["schedule changes"] += 1


def _rename(day: _Day, user: dict[str, Any]) -> None:
    family = day.rng.choice(SURNAMES)
    username = (user.get("username") or user["sourcedId"]).split("@")[0]
    day.put("user", {**user, "familyName": family, "email": f"{username}.{family.lower()}@district.example.org"})
    day.summary.changes["name and email changes"] += 1


def _swap_teacher(day: _Day) -> None:
    enrollments = ENTITY_TABLES["enrollment"]
    query = select(enrollments.c.v1p2).where(enrollments.c.role == "teacher", enrollments.c.status == "active")
    teaching = [row[0] for row in day.connection.execute(query.order_by(enrollments.c.sourced_id))]
    if len(teaching) < 2:
        return
    old = day.rng.choice(teaching)
    others = [
        e for e in teaching if e["school"]["sourcedId"] == old["school"]["sourcedId"] and e["user"] != old["user"]
    ]
    if not others:
        return
    new_teacher = day.rng.choice(others)["user"]["sourcedId"]
    day.retire("enrollment", old)
    day.put(
        "enrollment",
        {**old, "sourcedId": f"enr-{old['class']['sourcedId']}-{new_teacher}", "user": {"sourcedId": new_teacher}},
    )
    day.summary.changes["teacher swaps"] += 1


def _roll_terms(day: _Day, before: datetime, after: datetime) -> None:
    ended = {
        s["sourcedId"]
        for s in _active(day.connection, "academicSession")
        if s["type"] == "term" and before.date().isoformat() < s["endDate"] <= after.date().isoformat()
    }
    if not ended:
        return
    for klass in _active(day.connection, "class"):
        if {t["sourcedId"] for t in klass["terms"]} <= ended:
            day.retire("class", klass)
            day.summary.changes["classes ended with their term"] += 1


def advance(engine: Engine, days: int, seed: int = 1) -> ChangeSummary:
    """Let `days` days pass in the SIS, in one transaction; what changed, by kind."""
    create_schema(engine)
    with engine.begin() as connection:
        start = clock(connection)
        summary = ChangeSummary(format_instant(start), "")
        moment = start
        for day_number in range(1, days + 1):
            previous, moment = moment, start + timedelta(days=day_number)
            rng = random.Random(f"{seed}:{format_instant(moment)}")
            day = _Day(connection, rng, format_instant(moment), summary)
            _roll_terms(day, previous, moment)
            students = day.students()
            if not students:
                continue
            scale = max(1, len(students) // 1000)
            classes: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for klass in _active(connection, "class"):
                classes["all"].append(klass)
                classes[klass["course"]["sourcedId"]].append(klass)
            for number in range(scale):
                _new_student(day, students, number)
            for student in rng.sample(students, min(len(students), scale)):
                _withdraw(day, student)
            remaining = day.students()
            for student in rng.sample(remaining, min(len(remaining), 2 * scale)):
                _reschedule(day, student, classes)
            for user in rng.sample(remaining, min(len(remaining), scale)):
                _rename(day, user)
            if day_number % 5 == 0:
                _swap_teacher(day)
        summary.end = format_instant(moment)
        set_clock(connection, summary.end)
    return summary


def set_record(engine: Engine, entity: str, record: dict[str, Any]) -> str:
    """Add or replace one canonical record (active), dated at the SIS's next instant; that instant."""
    create_schema(engine)
    with engine.begin() as connection:
        stamp = next_stamp(connection)
        save(connection, entity, {**record, "status": "active", "dateLastModified": stamp})
    return stamp


def delete_record(engine: Engine, entity: str, sourced_id: str) -> str | None:
    """Mark one record tobedeleted, with everything that depends on it, dated at the SIS's next instant;
    None when there is no such record."""
    create_schema(engine)
    table = ENTITY_TABLES[entity]
    with engine.begin() as connection:
        if connection.execute(select(table.c.sourced_id).where(table.c.sourced_id == sourced_id)).first() is None:
            return None
        stamp = next_stamp(connection)
        retire(connection, entity, sourced_id, stamp)
    return stamp


def late_arrival(engine: Engine) -> str | None:
    """A user who arrives mid-pull (a copy of the first user under a new sourcedId); the
    instant, or None when the store holds no user."""
    table = ENTITY_TABLES["user"]
    with engine.connect() as connection:
        document = connection.execute(select(table.c.v1p2).order_by(table.c.sourced_id).limit(1)).scalar()
    if document is None:
        return None
    record = {k: v for k, v in document.items() if k not in ("status", "dateLastModified")}
    return set_record(engine, "user", {**record, "sourcedId": "late-arrival", "username": "late.arrival"})


# (entity, index column) of every single GUIDRef to a user: enrollments' user, results' student, ...
USER_REFERENCES = tuple(
    (entity.name, column)
    for entity in V1P2.entities
    for column, name in INDEX_COLUMNS.get(entity.name, {}).items()
    for field in entity.all_fields
    if field.name == name and isinstance(field.type, Ref) and field.type.target == "user"
)


def view_refresh(engine: Engine, before: int, seed: int) -> tuple[str | None, str | None]:
    """A materialised view refreshed while a client pages users, in one transaction: among the active users
    in the first `before` places of the users in sourcedId order (the default order), one chosen by `seed`
    goes for good with every row that references it (enrollments, demographics, results, ...), so that the
    users after it move up one place; another is marked tobedeleted with what depends on it (enrollments,
    demographics, results, ...), dated at the next instant. The user hard-deleted is one no other user names
    as an agent, so no other user goes with it. (hard-deleted sourcedId, tobedeleted sourcedId), None where
    there was no user to choose."""
    create_schema(engine)
    users = ENTITY_TABLES["user"]
    with engine.begin() as connection:
        order = SqlDialect(connection.dialect.name).text(users.c.sourced_id)
        first = select(users.c.sourced_id, users.c.status).order_by(order).limit(max(0, before))
        active = [sourced_id for sourced_id, status in connection.execute(first) if status == "active"]
        agents = {
            agent["sourcedId"]
            for document in connection.execute(select(users.c.v1p2)).scalars()
            for agent in document.get("agents", [])
        }
        rng = random.Random(f"{seed}:view-refresh")
        alone = [sourced_id for sourced_id in active if sourced_id not in agents]
        gone = rng.choice(alone) if alone else None
        rest = [sourced_id for sourced_id in active if sourced_id != gone]
        retired = rng.choice(rest) if rest else None
        if gone is not None:
            for entity, column in USER_REFERENCES:
                table = ENTITY_TABLES[entity]
                connection.execute(delete(table).where(table.c[column] == gone))
            for entity in ("demographics", "user"):
                remove(connection, entity, gone)
        if retired is not None:
            retire(connection, "user", retired, next_stamp(connection))
    return gone, retired
