"""A small, deterministic demo district: every entity of 1.1 and 1.2, consistent references.

The same seed always gives the same records. Sizes stay small (a few hundred users): this is the district
`make run` serves and the tests run against.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rosterlab.server.store.load import LOAD_ORDER

Record = dict[str, Any]

GIVEN = ["Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Zoe", "Amir", "Sofia", "Kai", "Maya", "Owen", "Léa", "José"]
FAMILY = ["Nguyen", "Smith", "Garcia", "O'Brien", "Patel", "Kim", "Johnson", "Müller", "Okafor", "Rossi", "Chen"]
SUBJECTS = [("Mathematics", "MATH"), ("English", "ENG"), ("Science", "SCI"), ("History", "HIST"), ("Art", "ART")]
SCHOOL_KINDS = [
    ("Elementary", ["KG", "01", "02", "03", "04", "05"]),
    ("Middle", ["06", "07", "08"]),
    ("High", ["09", "10", "11", "12"]),
]


@dataclass(frozen=True)
class DemoSize:
    """How large the demo district is."""

    schools: int = 3
    students_per_school: int = 40
    teachers_per_school: int = 4
    classes_per_teacher: int = 2


# When each term's line items are assigned, due and scored: inside the term's first grading period, and
# before the demo's date (2025-01-15).
GRADING_DAYS = {
    "term-1": ("2024-09-01T08:00:00.000Z", "2024-09-08T08:00:00.000Z", "2024-09-10"),
    "term-2": ("2025-01-11T08:00:00.000Z", "2025-01-13T08:00:00.000Z", "2025-01-14"),
}


def _ref(sourced_id: str) -> Record:
    return {"sourcedId": sourced_id}


def halves(start: str, end: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """A session (first and last day, inclusive) cut in two that do not overlap: two grading periods."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    middle = first + (last - first) / 2
    return (first.isoformat(), middle.isoformat()), ((middle + timedelta(days=1)).isoformat(), last.isoformat())


def demo_district(
    seed: int = 1, size: DemoSize = DemoSize(), as_of: str = "2025-01-15T08:00:00.000Z"
) -> dict[str, list[Record]]:
    """Canonical records by entity name."""
    rng = random.Random(seed)
    out: dict[str, list[Record]] = {name: [] for name in LOAD_ORDER}

    def add(entity: str, record: Record) -> Record:
        record.setdefault("status", "active")
        record.setdefault("dateLastModified", as_of)
        out[entity].append(record)
        return record

    add("org", {"sourcedId": "district-1", "name": "Riverside Unified", "type": "district", "identifier": "0601234"})
    year = add(
        "academicSession",
        {
            "sourcedId": "sy-2025",
            "title": "2024-2025",
            "type": "schoolYear",
            "startDate": "2024-08-15",
            "endDate": "2025-06-15",
            "schoolYear": "2025",
        },
    )
    terms = []
    for index, (start, end) in enumerate([("2024-08-15", "2025-01-10"), ("2025-01-11", "2025-06-15")], start=1):
        term = add(
            "academicSession",
            {
                "sourcedId": f"term-{index}",
                "title": f"Semester {index}",
                "type": "term",
                "startDate": start,
                "endDate": end,
                "parent": _ref(year["sourcedId"]),
                "schoolYear": "2025",
            },
        )
        terms.append(term)
        for quarter, (first, last) in enumerate(halves(start, end), start=1):
            add(
                "academicSession",
                {
                    "sourcedId": f"gp-{index}-{quarter}",
                    "title": f"Quarter {2 * index - 2 + quarter}",
                    "type": "gradingPeriod",
                    "startDate": first,
                    "endDate": last,
                    "parent": _ref(term["sourcedId"]),
                    "schoolYear": "2025",
                },
            )

    resources = [
        add(
            "resource",
            {
                "sourcedId": f"res-{n}",
                "title": f"{subject} Digital Textbook",
                "roles": ["student", "teacher"],
                "importance": "primary",
                "vendorResourceId": f"VR-{code}",
                "vendorId": "acme-learning",
            },
        )
        for n, (subject, code) in enumerate(SUBJECTS, start=1)
    ]
    categories = [
        add("category", {"sourcedId": f"cat-{name.lower()}", "title": name, "weight": weight})
        for name, weight in (("Homework", 30.0), ("Tests", 50.0), ("Projects", 20.0))
    ]
    add(
        "assessmentLineItem",
        {
            "sourcedId": "ali-state-math",
            "title": "State Mathematics Assessment",
            "resultValueMin": 0.0,
            "resultValueMax": 600.0,
        },
    )

    user_number = 0
    for school_number in range(1, size.schools + 1):
        kind, grades = SCHOOL_KINDS[(school_number - 1) % len(SCHOOL_KINDS)]
        school_id = f"school-{school_number}"
        add(
            "org",
            {
                "sourcedId": school_id,
                "name": f"{FAMILY[school_number % len(FAMILY)]} {kind} School",
                "type": "school",
                "identifier": f"06012340{school_number:04d}",
                "parent": _ref("district-1"),
            },
        )

        def person(role: str, school: str = school_id) -> Record:
            nonlocal user_number
            user_number += 1
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            username = f"{given[0].lower()}{family.lower().replace(chr(39), '')}{user_number}"
            user = add(
                "user",
                {
                    "sourcedId": f"user-{user_number}",
                    "username": username,
                    "enabledUser": True,
                    "givenName": given,
                    "familyName": family,
                    "identifier": f"{100000 + user_number}",
                    "email": f"{username}@riverside.example.org",
                    "userIds": [{"type": "LDAP", "identifier": username}],
                    "roles": [{"roleType": "primary", "role": role, "org": _ref(school)}],
                    "primaryOrg": _ref(school),
                },
            )
            return user

        teachers = [person("teacher") for _ in range(size.teachers_per_school)]
        students = [person("student") for _ in range(size.students_per_school)]
        for student in students:
            student["grades"] = [rng.choice(grades)]
            add(
                "demographics",
                {
                    "sourcedId": student["sourcedId"],
                    "birthDate": f"{2010 + rng.randrange(8)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
                    "sex": rng.choice(["male", "female"]),
                    "white": rng.random() < 0.5,
                    "hispanicOrLatinoEthnicity": rng.random() < 0.3,
                },
            )
        guardian = person("guardian")
        guardian["agents"] = [_ref(students[0]["sourcedId"])]
        students[0]["agents"] = [_ref(guardian["sourcedId"])]
        person("principal")

        for teacher_index, teacher in enumerate(teachers):
            for slot in range(size.classes_per_teacher):
                subject, code = SUBJECTS[(teacher_index * size.classes_per_teacher + slot) % len(SUBJECTS)]
                course_id = f"course-{school_number}-{code.lower()}"
                if not any(c["sourcedId"] == course_id for c in out["course"]):
                    add(
                        "course",
                        {
                            "sourcedId": course_id,
                            "title": f"{subject} ({kind})",
                            "courseCode": code,
                            "schoolYear": _ref(year["sourcedId"]),
                            "grades": grades,
                            "subjects": [subject],
                            "org": _ref(school_id),
                            "resources": [_ref(resources[SUBJECTS.index((subject, code))]["sourcedId"])],
                        },
                    )
                class_id = f"class-{school_number}-{teacher_index}-{slot}"
                term = terms[slot % 2]
                add(
                    "class",
                    {
                        "sourcedId": class_id,
                        "title": f"{subject} period {slot + 1}",
                        "classCode": f"{code}-{slot + 1}",
                        "classType": "scheduled",
                        "location": f"Room {100 + teacher_index * 10 + slot}",
                        "grades": grades,
                        "subjects": [subject],
                        "course": _ref(course_id),
                        "school": _ref(school_id),
                        "terms": [_ref(term["sourcedId"])],
                        "subjectCodes": [code],
                        "periods": [str(slot + 1)],
                    },
                )
                add(
                    "enrollment",
                    {
                        "sourcedId": f"enr-{class_id}-t",
                        "user": _ref(teacher["sourcedId"]),
                        "class": _ref(class_id),
                        "school": _ref(school_id),
                        "role": "teacher",
                        "primary": True,
                        "beginDate": term["startDate"],
                        "endDate": term["endDate"],
                    },
                )
                roster = rng.sample(students, k=min(len(students), 12 + rng.randrange(8)))
                for student in roster:
                    add(
                        "enrollment",
                        {
                            "sourcedId": f"enr-{class_id}-{student['sourcedId']}",
                            "user": _ref(student["sourcedId"]),
                            "class": _ref(class_id),
                            "school": _ref(school_id),
                            "role": "student",
                            "primary": False,
                        },
                    )
                scale = add(
                    "scoreScale",
                    {
                        "sourcedId": f"scale-{class_id}",
                        "title": "Letter grades",
                        "type": "letter",
                        "course": _ref(course_id),
                        "class": _ref(class_id),
                        "scoreScaleValue": [
                            {"itemValueLHS": "A", "itemValueRHS": "90"},
                            {"itemValueLHS": "B", "itemValueRHS": "80"},
                            {"itemValueLHS": "C", "itemValueRHS": "70"},
                        ],
                    },
                )
                assigned, due, scored = GRADING_DAYS[term["sourcedId"]]
                for item_number, category in enumerate(categories[:2], start=1):
                    line_item = add(
                        "lineItem",
                        {
                            "sourcedId": f"li-{class_id}-{item_number}",
                            "title": f"{category['title']} {item_number}",
                            "assignDate": assigned,
                            "dueDate": due,
                            "class": _ref(class_id),
                            "school": _ref(school_id),
                            "category": _ref(category["sourcedId"]),
                            "gradingPeriod": _ref(f"gp-{slot % 2 + 1}-1"),
                            "academicSession": _ref(term["sourcedId"]),
                            "scoreScale": _ref(scale["sourcedId"]),
                            "resultValueMin": 0.0,
                            "resultValueMax": 100.0,
                        },
                    )
                    for student in roster[:6]:
                        add(
                            "result",
                            {
                                "sourcedId": f"res-{line_item['sourcedId']}-{student['sourcedId']}",
                                "lineItem": _ref(line_item["sourcedId"]),
                                "student": _ref(student["sourcedId"]),
                                "class": _ref(class_id),
                                "scoreStatus": "fully graded",
                                "score": float(50 + rng.randrange(51)),
                                "scoreDate": scored,
                                "comment": rng.choice(["Well done", "Keep practising", ""]) or None,
                                "late": rng.random() < 0.1,
                            },
                        )
        for student in students[:3]:
            add(
                "assessmentResult",
                {
                    "sourcedId": f"ar-{student['sourcedId']}",
                    "assessmentLineItem": _ref("ali-state-math"),
                    "student": _ref(student["sourcedId"]),
                    "score": float(300 + rng.randrange(300)),
                    "scoreDate": "2024-11-01",
                    "scoreStatus": "fully graded",
                },
            )
        if students:
            students[0]["resources"] = [_ref(resources[0]["sourcedId"])]
    for record in out["result"]:
        if record.get("comment") is None:
            record.pop("comment", None)
    out["org"][0]["children"] = [_ref(o["sourcedId"]) for o in out["org"][1:]]
    for session in out["academicSession"]:
        children = [
            _ref(s["sourcedId"]) for s in out["academicSession"] if s.get("parent") == _ref(session["sourcedId"])
        ]
        if children:
            session["children"] = children
    return out
