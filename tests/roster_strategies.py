"""Hypothesis strategies for referentially consistent rosters (canonical records, the 1.2 model).

Structure (how many of each, which parent each child points at) is drawn by hypothesis; bulk values come
from a seeded random over small pools that hypothesis also draws, so that values repeat (filters find
matches) and hold awkward text (quotes, commas, non-ASCII, case variants). Every reference points at a record
drawn before it: orgs -> sessions -> courses -> classes -> users -> enrollments -> demographics, gradebook
and resources.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

Record = dict[str, Any]
Roster = dict[str, list[Record]]

awkward_text = st.text(alphabet=st.sampled_from(list("abcABCxyz 09'\",.-_éÉßüÜ漢✓")), min_size=0, max_size=6)
ROLES_1P2 = ["student", "teacher", "aide", "guardian", "parent", "principal", "counselor", "districtAdministrator"]


def _ref(sourced_id: str) -> Record:
    return {"sourcedId": sourced_id}


def _moment(rng: random.Random) -> str:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(0, 400 * 86400), milliseconds=rng.randrange(1000)
    )
    return rng.choice([moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", moment.strftime("%Y-%m-%dT%H:%M:%SZ")])


def _day(rng: random.Random) -> str:
    return (datetime(2024, 1, 1) + timedelta(days=rng.randrange(0, 700))).strftime("%Y-%m-%d")


# What CSV can carry: no list separators or {key:value} braces inside list items.
csv_safe_text = st.text(alphabet=st.sampled_from(list("abcABC xyz09'\".-_éßÜ漢")), min_size=1, max_size=6)


@st.composite
def rosters(draw, max_schools: int = 3, max_users: int = 25, max_classes: int = 6, *, csv_safe: bool = False) -> Roster:
    """A roster with every entity, consistent references, and values that repeat across records.

    `csv_safe` keeps to what every CSV version can carry: only active records, no `ext:` tokens, and text
    without the separators of CSV lists."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    names = draw(st.lists(csv_safe_text if csv_safe else awkward_text, min_size=1, max_size=5, unique=True))
    grades = draw(
        st.lists(
            st.sampled_from(["KG", "01", "05", "09", "10", "12"] + ([] if csv_safe else ["ext:adult"])),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    schools = draw(st.integers(1, max_schools))
    user_count = draw(st.integers(0, max_users))
    class_count = draw(st.integers(0, max_classes))
    out: Roster = {}

    def add(entity: str, record: Record) -> Record:
        record.setdefault("status", "active" if csv_safe else rng.choice(["active", "active", "active", "tobedeleted"]))
        record.setdefault("dateLastModified", _moment(rng))
        out.setdefault(entity, []).append(record)
        return record

    def pick(*pool: str) -> str:
        choices = [value for value in pool if not (csv_safe and value.startswith("ext:"))]
        return rng.choice(choices)

    add("org", {"sourcedId": "d1", "name": rng.choice(names), "type": "district", "identifier": "D1"})
    school_ids = [
        add(
            "org",
            {
                "sourcedId": f"s{i}",
                "name": rng.choice(names),
                "type": pick("school", "school", "ext:campus"),
                "identifier": rng.choice(names),
                "parent": _ref("d1"),
            },
        )["sourcedId"]
        for i in range(schools)
    ]
    add(
        "academicSession",
        {
            "sourcedId": "y1",
            "title": rng.choice(names),
            "type": "schoolYear",
            "startDate": "2024-08-01",
            "endDate": "2025-07-01",
            "schoolYear": "2025",
        },
    )
    term_ids = []
    for i in range(rng.randrange(1, 4)):
        add(
            "academicSession",
            {
                "sourcedId": f"t{i}",
                "title": rng.choice(names),
                "type": "term",
                "startDate": _day(rng),
                "endDate": _day(rng),
                "parent": _ref("y1"),
                "schoolYear": "2025",
            },
        )
        term_ids.append(f"t{i}")
        add(
            "academicSession",
            {
                "sourcedId": f"g{i}",
                "title": rng.choice(names),
                "type": "gradingPeriod",
                "startDate": _day(rng),
                "endDate": _day(rng),
                "parent": _ref(f"t{i}"),
                "schoolYear": "2025",
            },
        )
    resources = [
        add(
            "resource",
            {
                "sourcedId": f"r{i}",
                "title": rng.choice(names),
                "vendorResourceId": rng.choice(names),
                "roles": rng.sample(["student", "teacher", "aide"], rng.randrange(0, 3)),
                "importance": pick("primary", "secondary"),
            },
        )["sourcedId"]
        for i in range(2)
    ]
    course_ids = []
    for i in range(max(1, class_count // 2)):
        record = {
            "sourcedId": f"c{i}",
            "title": rng.choice(names),
            "courseCode": rng.choice(names),
            "grades": rng.sample(grades, rng.randrange(0, len(grades) + 1)),
            "org": _ref(rng.choice(school_ids)),
            "schoolYear": _ref("y1"),
        }
        if rng.random() < 0.5:
            record["resources"] = [_ref(rng.choice(resources))]
        course_ids.append(add("course", record)["sourcedId"])
    class_ids = []
    for i in range(class_count):
        record = {
            "sourcedId": f"k{i}",
            "title": rng.choice(names),
            "course": _ref(rng.choice(course_ids)),
            "school": _ref(rng.choice(school_ids)),
            "terms": [_ref(t) for t in rng.sample(term_ids, rng.randrange(1, len(term_ids) + 1))],
            "grades": rng.sample(grades, rng.randrange(0, len(grades) + 1)),
            "periods": [str(rng.randrange(1, 4))],
            "classType": pick("homeroom", "scheduled"),
            "classCode": rng.choice(names),
        }
        if rng.random() < 0.3:
            record["resources"] = [_ref(rng.choice(resources))]
        class_ids.append(add("class", record)["sourcedId"])
    user_ids = []
    for i in range(user_count):
        roles = [{"roleType": "primary", "role": rng.choice(ROLES_1P2), "org": _ref(rng.choice(school_ids))}]
        if rng.random() < 0.3:
            roles.append({"roleType": "secondary", "role": rng.choice(ROLES_1P2), "org": _ref(rng.choice(school_ids))})
        record = {
            "sourcedId": f"u{i}",
            "username": rng.choice(names),
            "enabledUser": rng.random() < 0.8,
            "givenName": rng.choice(names),
            "familyName": rng.choice(names),
            "roles": roles,
            "grades": rng.sample(grades, rng.randrange(0, len(grades) + 1)),
            "userIds": [{"type": pick("LDAP", "SIS"), "identifier": rng.choice(names)}],
        }
        if rng.random() < 0.5:
            record["email"] = rng.choice(names) + "@example.org"
        if rng.random() < 0.2:
            record["resources"] = [_ref(rng.choice(resources))]
        user_ids.append(add("user", record)["sourcedId"])
        if rng.random() < 0.6:
            add(
                "demographics",
                {
                    "sourcedId": record["sourcedId"],
                    "birthDate": _day(rng),
                    "sex": pick("male", "female", "other", "unspecified"),
                    "white": rng.random() < 0.5,
                },
            )
    for i in range(len(user_ids) * len(class_ids) and rng.randrange(0, 3 * len(user_ids) + 1)):
        klass = rng.choice(class_ids)
        school = next(c["school"] for c in out["class"] if c["sourcedId"] == klass)
        add(
            "enrollment",
            {
                "sourcedId": f"e{i}",
                "user": _ref(rng.choice(user_ids)),
                "class": _ref(klass),
                "school": school,
                "role": pick("student", "student", "teacher", "proctor"),
                "primary": rng.random() < 0.2,
                "beginDate": _day(rng),
            },
        )
    add("category", {"sourcedId": "cat0", "title": rng.choice(names), "weight": float(rng.randrange(0, 100))})
    for i, klass in enumerate(class_ids[:3]):
        add(
            "lineItem",
            {
                "sourcedId": f"li{i}",
                "title": rng.choice(names),
                "assignDate": _moment(rng),
                "dueDate": _moment(rng),
                "class": _ref(klass),
                "school": _ref(rng.choice(school_ids)),
                "category": _ref("cat0"),
                "gradingPeriod": _ref("g0"),
                "resultValueMin": 0.0,
                "resultValueMax": float(rng.choice([10, 100])),
            },
        )
        for j, user in enumerate(user_ids[:4]):
            add(
                "result",
                {
                    "sourcedId": f"res{i}-{j}",
                    "lineItem": _ref(f"li{i}"),
                    "student": _ref(user),
                    "scoreStatus": pick("fully graded", "exempt", "submitted"),
                    "score": float(rng.randrange(-5, 120)),
                    "scoreDate": _day(rng),
                    "late": rng.random() < 0.3,
                },
            )
    return out
