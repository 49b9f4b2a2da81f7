"""A selection of schools, grades and subjects, applied with referential closure.

The kept set is computed from the whole roster, so that nothing kept points at what a sync left out of a
relationship it depends on:

- classes: at a selected school, teaching a selected grade and a selected subject (a class without grades or
  subjects of its own is judged by its course's);
- courses: those of kept classes, and those that match the selection themselves;
- enrollments: in kept classes; users: enrolled in a kept class, or (when no grade or subject is selected) with
  a role at a selected school, or (when grades are selected) in a selected grade at a selected school;
- demographics: of kept users; results: of kept line items for kept students; line items: of kept classes;
- orgs: the selected schools and their ancestors; academic sessions and categories: all (calendars and
  categories are shared, and hold no one's data).

An empty selection keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]
Universe = Mapping[str, Mapping[str, Record]]  # entity -> sourcedId -> record


def _id(ref: Any) -> str | None:
    return ref.get("sourcedId") if isinstance(ref, Mapping) else None


def _user_orgs(user: Record) -> set[str]:
    orgs = {_id(o) for o in user.get("orgs") or []}
    orgs |= {_id(role.get("org")) for role in user.get("roles") or []}
    orgs.add(_id(user.get("primaryOrg")))
    return {org for org in orgs if org}


@dataclass(frozen=True)
class Selection:
    """What part of a district a connection syncs."""

    schools: frozenset[str] = frozenset()
    grades: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()

    @classmethod
    def of(cls, schools: Iterable[str] = (), grades: Iterable[str] = (), subjects: Iterable[str] = ()) -> Selection:
        return cls(frozenset(schools), frozenset(grades), frozenset(subjects))

    @property
    def everything(self) -> bool:
        return not (self.schools or self.grades or self.subjects)

    def _matches(self, school: str | None, grades: Iterable[str], subjects: Iterable[str]) -> bool:
        return (
            (not self.schools or school in self.schools)
            and (not self.grades or bool(self.grades & set(grades)))
            and (not self.subjects or bool(self.subjects & set(subjects)))
        )

    def kept(self, universe: Universe) -> dict[str, set[str]]:
        """The sourcedIds kept of each entity."""
        get = {entity: universe.get(entity, {}) for entity in universe}
        courses = get.get("course", {})
        classes = set()
        for sid, record in get.get("class", {}).items():
            course = courses.get(_id(record.get("course")) or "", {})
            grades = record.get("grades") or course.get("grades") or []
            subjects = record.get("subjects") or course.get("subjects") or []
            if self._matches(_id(record.get("school")), grades, subjects):
                classes.add(sid)
        kept_courses = {_id(get["class"][sid].get("course")) for sid in classes} - {None}
        kept_courses |= {
            sid
            for sid, record in courses.items()
            if self._matches(_id(record.get("org")), record.get("grades") or [], record.get("subjects") or [])
        }
        enrollments = {sid for sid, r in get.get("enrollment", {}).items() if _id(r.get("class")) in classes}
        users = {_id(get["enrollment"][sid].get("user")) for sid in enrollments} - {None}
        if not self.subjects:
            for sid, user in get.get("user", {}).items():
                at_school = not self.schools or bool(_user_orgs(user) & self.schools)
                in_grade = not self.grades or bool(self.grades & set(user.get("grades") or []))
                if at_school and in_grade and (self.schools or self.grades):
                    users.add(sid)
        orgs = set(get.get("org", {})) if not self.schools else self._with_ancestors(get.get("org", {}))
        line_items = {sid for sid, r in get.get("lineItem", {}).items() if _id(r.get("class")) in classes}
        results = {
            sid
            for sid, r in get.get("result", {}).items()
            if _id(r.get("lineItem")) in line_items and _id(r.get("student")) in users
        }
        return {
            "org": orgs,
            "academicSession": set(get.get("academicSession", {})),
            "course": kept_courses & set(courses),
            "class": classes,
            "enrollment": enrollments,
            "user": users & set(get.get("user", {})),
            "demographics": set(get.get("demographics", {})) & users,
            "category": set(get.get("category", {})),
            "lineItem": line_items,
            "result": results,
        }

    def _with_ancestors(self, orgs: Mapping[str, Record]) -> set[str]:
        kept: set[str] = set()
        for school in self.schools:
            current: str | None = school
            while current and current in orgs and current not in kept:
                kept.add(current)
                current = _id(orgs[current].get("parent"))
        return kept
