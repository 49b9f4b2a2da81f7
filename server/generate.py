"""Realistic districts of any size, generated as streams: the same seed and options give the same records.

A district has elementary, middle and high schools (about 500 students each) teaching their grades; a school
year with two semesters and four grading periods; courses per subject and grade; classes of about 25 with a
room, periods and a primary teacher; students (and a guardian for every other one), teachers, principals and
a district administrator with plausible names, emails, usernames and userIds; demographics; enrollments;
gradebook data and resources.

Only a small plan (the schools and their sizes) is held in memory; every entity is streamed school by school
from random generators seeded by (seed, entity, school), so a million users take no more memory than a
thousand, and any pass can regenerate what an earlier pass produced.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Record = dict[str, Any]

GIVEN = [
    "Ava",
    "Liam",
    "Noah",
    "Emma",
    "Olivia",
    "Mia",
    "Lucas",
    "Zoe",
    "Amir",
    "Sofia",
    "Kai",
    "Maya",
    "Owen",
    "Léa",
    "José",
    "Aaliyah",
    "Mateo",
    "Chloe",
    "Ethan",
    "Isabella",
    "Jayden",
    "Amara",
    "Diego",
    "Hana",
    "Yusuf",
    "Nora",
    "Elijah",
    "Priya",
    "Leo",
    "Fatima",
    "Caleb",
    "Ivy",
    "Omar",
    "Grace",
    "Ryan",
    "Mei",
    "Luca",
    "Zara",
    "Daniel",
    "Ana",
]
FAMILY = [
    "Nguyen",
    "Smith",
    "Garcia",
    "O'Brien",
    "Patel",
    "Kim",
    "Johnson",
    "Müller",
    "Okafor",
    "Rossi",
    "Chen",
    "Williams",
    "Brown",
    "Martinez",
    "Lee",
    "Hernández",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Walker",
]
SUBJECTS = (
    ("Mathematics", "MATH"),
    ("English Language Arts", "ELA"),
    ("Science", "SCI"),
    ("Social Studies", "SS"),
    ("Physical Education", "PE"),
    ("Art", "ART"),
    ("Music", "MUS"),
    ("World Languages", "WL"),
)
KINDS = (
    ("Elementary", ("KG", "01", "02", "03", "04", "05")),
    ("Middle", ("06", "07", "08")),
    ("High", ("09", "10", "11", "12")),
)
# Raised whenever the same seed and options start to give different records (caches of districts key on it).
DISTRICT_SHAPE = 3
STUDENTS_PER_SCHOOL = 500
CLASS_SIZE = 25
CLASSES_PER_TEACHER = 10  # five a semester
CATEGORIES = (("Homework", 30.0), ("Tests", 50.0), ("Projects", 20.0))


@dataclass(frozen=True)
class School:
    number: int
    kind: str
    grades: tuple[str, ...]
    students: int

    @property
    def id(self) -> str:
        return f"sch-{self.number:03d}"

    def students_in_grade(self, grade_index: int) -> int:
        per, extra = divmod(self.students, len(self.grades))
        return per + (1 if grade_index < extra else 0)

    def subjects(self) -> tuple[tuple[str, str], ...]:
        return SUBJECTS

    @property
    def terms(self) -> int:
        """Elementary classes last the school year; middle and high school classes a semester."""
        return 1 if self.kind == "Elementary" else 2

    def sections(self, grade_index: int) -> int:
        """Sections of a subject in a grade, each term."""
        return max(1, math.ceil(self.students_in_grade(grade_index) / CLASS_SIZE))

    def term_of(self, grade_index: int, section: int) -> int | None:
        """The semester (1 or 2) of a section, or None for a class of the whole year."""
        return None if self.terms == 1 else 1 + section // self.sections(grade_index)

    def sections_of(self, grade_index: int, index: int, offset: int) -> list[int]:
        """The sections of one subject that the `index`-th student of a grade takes, one a term."""
        sections = self.sections(grade_index)
        return [(index + offset) % sections + term * sections for term in range(self.terms)]

    def classes(self) -> Iterator[tuple[int, str, str, int]]:
        """(grade index, subject, code, section) of every class, in a fixed order."""
        for grade_index, _ in enumerate(self.grades):
            for subject, code in self.subjects():
                for section in range(self.sections(grade_index) * self.terms):
                    yield grade_index, subject, code, section

    def class_count(self) -> int:
        return sum(self.sections(g) * self.terms * len(self.subjects()) for g in range(len(self.grades)))

    def teachers(self) -> int:
        return max(1, math.ceil(self.class_count() / CLASSES_PER_TEACHER))


@dataclass(frozen=True)
class DistrictPlan:
    """What a district will hold; computed from the options alone."""

    seed: int
    as_of: date
    schools: tuple[School, ...]

    @classmethod
    def for_users(cls, users: int, seed: int = 1, as_of: date = date(2025, 1, 15)) -> DistrictPlan:
        """A plan of about `users` users: a guardian for every other student and about one member of staff for
        every 17 students, so students are about 64 % of the users."""
        students = max(20, round(users / 1.56))
        count = max(1, math.ceil(students / STUDENTS_PER_SCHOOL))
        schools = []
        for number in range(1, count + 1):
            kind, grades = KINDS[0] if count == 1 else KINDS[(number - 1) % 3]
            share = students // count + (1 if number <= students % count else 0)
            schools.append(School(number, kind, grades, share))
        return cls(seed, as_of, tuple(schools))

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(map(str, (self.seed, *parts))))

    @property
    def stamp(self) -> str:
        return f"{self.as_of.isoformat()}T06:00:00.000Z"

    @property
    def school_year(self) -> int:
        return self.as_of.year + (1 if self.as_of.month >= 7 else 0)


def _ref(sourced_id: str) -> Record:
    return {"sourcedId": sourced_id}


def _person(rng: random.Random, user_id: str, role: str, school: str, plan: DistrictPlan, number: int) -> Record:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    username = f"{given[0]}{family}".lower().replace("'", "").replace(" ", "") + str(number)
    return {
        "sourcedId": user_id,
        "status": "active",
        "dateLastModified": plan.stamp,
        "username": username,
        "enabledUser": True,
        "givenName": given,
        "familyName": family,
        "identifier": f"{number:07d}",
        "email": f"{username}@district.example.org",
        "userIds": [{"type": "SIS", "identifier": f"{number:07d}"}, {"type": "LDAP", "identifier": username}],
        "roles": [{"roleType": "primary", "role": role, "org": _ref(school)}],
        "primaryOrg": _ref(school),
    }


class DistrictGenerator:
    """Streams of canonical records for every entity of a planned district."""

    def __init__(self, plan: DistrictPlan) -> None:
        self.plan = plan

    def _base(self, sourced_id: str) -> Record:
        return {"sourcedId": sourced_id, "status": "active", "dateLastModified": self.plan.stamp}

    # -- orgs and sessions ------------------------------------------------------------------------

    def orgs(self) -> Iterator[Record]:
        yield {
            **self._base("district"),
            "name": "Riverside Unified School District",
            "type": "district",
            "identifier": "0600001",
            "children": [_ref(s.id) for s in self.plan.schools],
        }
        for school in self.plan.schools:
            name = f"{self.plan.rng('school', school.number).choice(FAMILY)} {school.kind} School"
            yield {
                **self._base(school.id),
                "name": name,
                "type": "school",
                "identifier": f"06000010{school.number:05d}",
                "parent": _ref("district"),
            }

    def _terms(self) -> tuple[tuple[date, date], tuple[date, date]]:
        """The first and last day (inclusive) of each semester: one ends the day before the other starts."""
        year = self.plan.school_year
        return (date(year - 1, 8, 15), date(year, 1, 10)), (date(year, 1, 11), date(year, 6, 15))

    def sessions(self) -> Iterator[Record]:
        year = self.plan.school_year
        (start, _), (_, end) = self._terms()
        yield {
            **self._base(f"sy-{year}"),
            "title": f"{year - 1}-{year}",
            "type": "schoolYear",
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "schoolYear": str(year),
            "children": [_ref(f"term-{year}-{term}") for term in (1, 2)],
        }
        for term, (first, last) in enumerate(self._terms(), start=1):
            yield {
                **self._base(f"term-{year}-{term}"),
                "title": f"Semester {term}",
                "type": "term",
                "startDate": first.isoformat(),
                "endDate": last.isoformat(),
                "parent": _ref(f"sy-{year}"),
                "children": [_ref(f"gp-{year}-{term}-{quarter}") for quarter in (1, 2)],
                "schoolYear": str(year),
            }
            half = first + (last - first) / 2
            for quarter, (a, b) in enumerate(((first, half), (half + timedelta(days=1), last)), start=1):
                yield {
                    **self._base(f"gp-{year}-{term}-{quarter}"),
                    "title": f"Quarter {2 * term - 2 + quarter}",
                    "type": "gradingPeriod",
                    "startDate": a.isoformat(),
                    "endDate": b.isoformat(),
                    "parent": _ref(f"term-{year}-{term}"),
                    "schoolYear": str(year),
                }

    def _session(self, school: School, grade_index: int, section: int) -> str:
        """The academic session of a class: its semester, or the school year."""
        term = school.term_of(grade_index, section)
        year = self.plan.school_year
        return f"sy-{year}" if term is None else f"term-{year}-{term}"

    # -- courses and classes ----------------------------------------------------------------------

    @staticmethod
    def course_id(school: School, grade: str, code: str) -> str:
        return f"crs-{school.number:03d}-{grade}-{code.lower()}"

    @staticmethod
    def class_id(school: School, grade: str, code: str, section: int) -> str:
        return f"cls-{school.number:03d}-{grade}-{code.lower()}-{section + 1:02d}"

    def courses(self) -> Iterator[Record]:
        for school in self.plan.schools:
            for grade in school.grades:
                for subject, code in school.subjects():
                    yield {
                        **self._base(self.course_id(school, grade, code)),
                        "title": f"{subject} {grade}",
                        "courseCode": f"{code}-{grade}",
                        "grades": [grade],
                        "subjects": [subject],
                        "subjectCodes": [code],
                        "org": _ref(school.id),
                        "schoolYear": _ref(f"sy-{self.plan.school_year}"),
                        "resources": [_ref(f"res-{code.lower()}")],
                    }

    def _teacher_of(self, school: School, class_number: int) -> str:
        return f"tch-{school.number:03d}-{class_number // CLASSES_PER_TEACHER + 1:04d}"

    def classes(self) -> Iterator[Record]:
        for school in self.plan.schools:
            for number, (grade_index, subject, code, section) in enumerate(school.classes()):
                grade = school.grades[grade_index]
                homeroom = school.kind == "Elementary" and code == SUBJECTS[0][1]
                yield {
                    **self._base(self.class_id(school, grade, code, section)),
                    "title": f"{'Homeroom' if homeroom else subject} {grade}, section {section + 1}",
                    "classCode": f"{code}-{grade}-{section + 1:02d}",
                    "classType": "homeroom" if homeroom else "scheduled",
                    "location": f"Room {100 + number % 60}",
                    "grades": [grade],
                    "subjects": [subject],
                    "subjectCodes": [code],
                    "periods": [str(1 + number % 7)],
                    "course": _ref(self.course_id(school, grade, code)),
                    "school": _ref(school.id),
                    "terms": [_ref(self._session(school, grade_index, section))],
                }

    # -- people -----------------------------------------------------------------------------------

    @staticmethod
    def _student_numbers(school: School) -> Iterator[tuple[int, int, int]]:
        """(grade index, index within the grade, student number) of a school, always in the same order."""
        for grade_index, _ in enumerate(school.grades):
            for index in range(school.students_in_grade(grade_index)):
                yield grade_index, index, school.number * 100_000 + grade_index * 10_000 + index

    def _students(self, school: School) -> Iterator[tuple[int, int, Record]]:
        """(grade index, index within the grade, student) of a school, always in the same order."""
        rng = self.plan.rng("students", school.number)
        for grade_index, index, number in self._student_numbers(school):
            student = _person(rng, f"stu-{number}", "student", school.id, self.plan, number)
            student["grades"] = [school.grades[grade_index]]
            yield grade_index, index, student

    def users(self) -> Iterator[Record]:
        yield {
            **_person(self.plan.rng("admin"), "adm-district", "districtAdministrator", "district", self.plan, 1),
            "primaryOrg": _ref("district"),
        }
        for school in self.plan.schools:
            staff = self.plan.rng("staff", school.number)
            yield _person(staff, f"prn-{school.number:03d}", "principal", school.id, self.plan, 900_000 + school.number)
            for teacher in range(school.teachers()):
                number = 800_000 + school.number * 1_000 + teacher
                yield _person(
                    staff, f"tch-{school.number:03d}-{teacher + 1:04d}", "teacher", school.id, self.plan, number
                )
            guardians = self.plan.rng("guardians", school.number)
            for _, index, student in self._students(school):
                if index % 2 == 0:
                    guardian_id = "gdn-" + student["sourcedId"][4:]
                    student["agents"] = [_ref(guardian_id)]
                    yield student
                    guardian = _person(guardians, guardian_id, "guardian", school.id, self.plan, 0)
                    guardian.update(familyName=student["familyName"], agents=[_ref(student["sourcedId"])])
                    guardian["email"] = f"{guardian['givenName'].lower()}.{student['username']}@home.example.org"
                    guardian["username"] = "g" + student["username"]
                    del guardian["identifier"]
                    yield guardian
                else:
                    yield student

    def demographics(self) -> Iterator[Record]:
        for school in self.plan.schools:
            rng = self.plan.rng("demographics", school.number)
            for grade_index, _, student in self._students(school):
                birth_year = (
                    self.plan.school_year
                    - 6
                    - grade_index
                    - (0 if school.kind == "Elementary" else {"Middle": 6, "High": 9}[school.kind])
                )
                born = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
                yield {
                    **self._base(student["sourcedId"]),
                    "birthDate": born.isoformat(),
                    "sex": rng.choice(("male", "female")),
                    "white": rng.random() < 0.5,
                    "asian": rng.random() < 0.15,
                    "blackOrAfricanAmerican": rng.random() < 0.15,
                    "hispanicOrLatinoEthnicity": rng.random() < 0.3,
                }

    # -- enrollments --------------------------------------------------------------------------------

    def _class_numbers(self, school: School) -> dict[tuple[int, str, int], int]:
        return {(g, code, section): n for n, (g, _, code, section) in enumerate(school.classes())}

    def enrollments(self) -> Iterator[Record]:
        for school in self.plan.schools:
            numbers = self._class_numbers(school)
            for (grade_index, code, section), number in numbers.items():
                class_id = self.class_id(school, school.grades[grade_index], code, section)
                teacher = self._teacher_of(school, number)
                yield {
                    **self._base(f"enr-{class_id}-{teacher}"),
                    "user": _ref(teacher),
                    "class": _ref(class_id),
                    "school": _ref(school.id),
                    "role": "teacher",
                    "primary": True,
                }
            for grade_index, index, number in self._student_numbers(school):
                student_id = f"stu-{number}"
                for offset, (_, code) in enumerate(school.subjects()):
                    for section in school.sections_of(grade_index, index, offset):
                        class_id = self.class_id(school, school.grades[grade_index], code, section)
                        yield {
                            **self._base(f"enr-{class_id}-{student_id}"),
                            "user": _ref(student_id),
                            "class": _ref(class_id),
                            "school": _ref(school.id),
                            "role": "student",
                            "primary": False,
                        }

    # -- gradebook and resources ----------------------------------------------------------------------

    def resources(self) -> Iterator[Record]:
        for subject, code in SUBJECTS:
            yield {
                **self._base(f"res-{code.lower()}"),
                "title": f"{subject} digital textbook",
                "vendorResourceId": f"VR-{code}",
                "vendorId": "acme-learning",
                "roles": ["student", "teacher"],
                "importance": "primary",
            }

    def categories(self) -> Iterator[Record]:
        for title, weight in CATEGORIES:
            yield {**self._base(f"cat-{title.lower()}"), "title": title, "weight": weight}

    def score_scales(self) -> Iterator[Record]:
        for school in self.plan.schools:
            for grade_index, _, code, section in school.classes():
                class_id = self.class_id(school, school.grades[grade_index], code, section)
                yield {
                    **self._base(f"scl-{class_id}"),
                    "title": "Letter grades",
                    "type": "letter",
                    "class": _ref(class_id),
                    "course": _ref(self.course_id(school, school.grades[grade_index], code)),
                    "scoreScaleValue": [
                        {"itemValueLHS": letter, "itemValueRHS": str(cut)}
                        for letter, cut in (("A", 90), ("B", 80), ("C", 70), ("D", 60), ("F", 0))
                    ],
                }

    def line_items(self) -> Iterator[Record]:
        """Two a class, assigned and due in the first grading period of the class's term."""
        year = self.plan.school_year
        for school in self.plan.schools:
            for grade_index, _, code, section in school.classes():
                class_id = self.class_id(school, school.grades[grade_index], code, section)
                term = school.term_of(grade_index, section) or 1
                for item, (title, _) in enumerate(CATEGORIES[:2], start=1):
                    due = self._terms()[term - 1][0] + timedelta(days=17 + 14 * item)
                    yield {
                        **self._base(f"li-{class_id}-{item}"),
                        "title": f"{title} {item}",
                        "assignDate": f"{(due - timedelta(days=7)).isoformat()}T08:00:00.000Z",
                        "dueDate": f"{due.isoformat()}T08:00:00.000Z",
                        "class": _ref(class_id),
                        "school": _ref(school.id),
                        "category": _ref(f"cat-{title.lower()}"),
                        "gradingPeriod": _ref(f"gp-{year}-{term}-1"),
                        "academicSession": _ref(self._session(school, grade_index, section)),
                        "scoreScale": _ref(f"scl-{class_id}"),
                        "resultValueMin": 0.0,
                        "resultValueMax": 100.0,
                    }

    def results(self) -> Iterator[Record]:
        """Scores of the first line item, for every third class a student takes."""
        for school in self.plan.schools:
            rng = self.plan.rng("results", school.number)
            for grade_index, index, number in self._student_numbers(school):
                student_id = f"stu-{number}"
                sections = school.sections(grade_index)
                for offset, (_, code) in enumerate(school.subjects()):
                    if (index + offset) % 3:
                        continue
                    class_id = self.class_id(school, school.grades[grade_index], code, (index + offset) % sections)
                    score = min(100.0, max(0.0, round(rng.gauss(78, 12))))
                    yield {
                        **self._base(f"res-{class_id}-{student_id}"),
                        "lineItem": _ref(f"li-{class_id}-1"),
                        "student": _ref(student_id),
                        "class": _ref(class_id),
                        "scoreStatus": "fully graded",
                        "score": score,
                        "scoreDate": f"{self.plan.school_year - 1}-09-20",
                    }

    def streams(self) -> dict[str, Iterator[Record]]:
        """One stream per entity, for `rosterlab.server.store.load.load`."""
        return {
            "org": self.orgs(),
            "academicSession": self.sessions(),
            "course": self.courses(),
            "class": self.classes(),
            "user": self.users(),
            "demographics": self.demographics(),
            "enrollment": self.enrollments(),
            "resource": self.resources(),
            "category": self.categories(),
            "scoreScale": self.score_scales(),
            "lineItem": self.line_items(),
            "result": self.results(),
        }
