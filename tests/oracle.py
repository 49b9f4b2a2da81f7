"""What every read endpoint should return, computed in plain Python from canonical records.

This is a second, independent statement of the endpoints' meaning (the server's is SQL in
rosterlab.server.query.relations); the end-to-end tests compare the two.
"""

from __future__ import annotations

from typing import Any

from rosterlab.spec.endpoints import PATH_PARAMETERS, Operation, Selection

Data = dict[str, list[dict[str, Any]]]


def ref(value: Any) -> str | None:
    return None if value is None else value["sourcedId"]


def refs(values: Any) -> set[str]:
    return {value["sourcedId"] for value in values or []}


def in_selection(entity: str, record: dict, selection: Selection | None) -> bool:
    if selection is None:
        return True
    if selection.field == "type":
        return record.get("type") == selection.value
    return any(role["role"] == selection.value for role in record.get("roles", []))


def records(data: Data, entity: str) -> list[dict]:
    return data.get(entity, [])


def by_id(data: Data, entity: str) -> dict[str, dict]:
    return {record["sourcedId"]: record for record in records(data, entity)}


def _enrolled(data: Data, class_id: str, role: str) -> set[str]:
    return {ref(e["user"]) for e in records(data, "enrollment") if ref(e["class"]) == class_id and e["role"] == role}


def _classes_of(data: Data, user_id: str) -> set[str]:
    return {ref(e["class"]) for e in records(data, "enrollment") if ref(e["user"]) == user_id}


def _role_in_school(data: Data, school: str, role: str) -> set[str]:
    return {
        u["sourcedId"]
        for u in records(data, "user")
        if any(r["role"] == role and ref(r["org"]) == school for r in u.get("roles", []))
    }


def _result_class(data: Data, result: dict) -> str | None:
    if result.get("class"):
        return ref(result["class"])
    line_item = by_id(data, "lineItem").get(ref(result["lineItem"]))
    return ref(line_item["class"]) if line_item else None


def _school_classes(data: Data, school: str) -> set[str]:
    return {c["sourcedId"] for c in records(data, "class") if ref(c["school"]) == school}


def nested_ids(data: Data, op_id: str, p: dict[str, str]) -> set[str]:
    """The sourcedIds a nested collection should hold (before its own subset is applied)."""
    classes, enrollments, results = records(data, "class"), records(data, "enrollment"), records(data, "result")
    rules = {
        "getStudentsForClass": lambda: _enrolled(data, p.get("classSourcedId", ""), "student"),
        "getTeachersForClass": lambda: _enrolled(data, p.get("classSourcedId", ""), "teacher"),
        "getStudentsForClassInSchool": lambda: _enrolled(data, p.get("classSourcedId", ""), "student"),
        "getTeachersForClassInSchool": lambda: _enrolled(data, p.get("classSourcedId", ""), "teacher"),
        "getClassesForCourse": lambda: {c["sourcedId"] for c in classes if ref(c["course"]) == p["courseSourcedId"]},
        "getClassesForSchool": lambda: _school_classes(data, p["schoolSourcedId"]),
        "getEnrollmentsForClassInSchool": lambda: {
            e["sourcedId"]
            for e in enrollments
            if ref(e["class"]) == p["classSourcedId"] and ref(e["school"]) == p["schoolSourcedId"]
        },
        "getCoursesForSchool": lambda: {
            c["sourcedId"]
            for c in records(data, "course")
            if ref(c.get("org")) == p["schoolSourcedId"]
            or any(ref(k["course"]) == c["sourcedId"] and ref(k["school"]) == p["schoolSourcedId"] for k in classes)
        },
        "getEnrollmentsForSchool": lambda: {
            e["sourcedId"] for e in enrollments if ref(e["school"]) == p["schoolSourcedId"]
        },
        "getStudentsForSchool": lambda: _role_in_school(data, p["schoolSourcedId"], "student"),
        "getTeachersForSchool": lambda: _role_in_school(data, p["schoolSourcedId"], "teacher"),
        "getTermsForSchool": lambda: {
            t for c in classes if ref(c["school"]) == p["schoolSourcedId"] for t in refs(c.get("terms"))
        },
        "getClassesForStudent": lambda: _classes_of(data, p["studentSourcedId"]),
        "getClassesForTeacher": lambda: _classes_of(data, p["teacherSourcedId"]),
        "getClassesForUser": lambda: _classes_of(data, p["userSourcedId"]),
        "getClassesForTerm": lambda: {c["sourcedId"] for c in classes if p["termSourcedId"] in refs(c.get("terms"))},
        "getGradingPeriodsForTerm": lambda: {
            s["sourcedId"] for s in records(data, "academicSession") if ref(s.get("parent")) == p["termSourcedId"]
        },
        "getCategoriesForClass": lambda: {
            ref(li["category"]) for li in records(data, "lineItem") if ref(li["class"]) == p["classSourcedId"]
        },
        "getLineItemsForClass": lambda: {
            li["sourcedId"] for li in records(data, "lineItem") if ref(li["class"]) == p["classSourcedId"]
        },
        "getResultsForClass": lambda: {
            r["sourcedId"] for r in results if _result_class(data, r) == p["classSourcedId"]
        },
        "getResultsForLineItemForClass": lambda: {
            r["sourcedId"]
            for r in results
            if ref(r["lineItem"]) == p["lineItemSourcedId"] and _result_class(data, r) == p["classSourcedId"]
        },
        "getResultsForStudentForClass": lambda: {
            r["sourcedId"]
            for r in results
            if ref(r["student"]) == p["studentSourcedId"] and _result_class(data, r) == p["classSourcedId"]
        },
        "getScoreScalesForClass": lambda: {
            s["sourcedId"] for s in records(data, "scoreScale") if ref(s["class"]) == p["classSourcedId"]
        },
        "getScoreScalesForSchool": lambda: {
            s["sourcedId"]
            for s in records(data, "scoreScale")
            if ref(s["class"]) in _school_classes(data, p["schoolSourcedId"])
        },
        "getResourcesForClass": lambda: refs(by_id(data, "class")[p["classSourcedId"]].get("resources")),
        "getResourcesForCourse": lambda: refs(by_id(data, "course")[p["courseSourcedId"]].get("resources")),
        "getResourcesForUser": lambda: refs(by_id(data, "user")[p["userSourcedId"]].get("resources")),
    }
    return rules[op_id]()


def expected_ids(data: Data, operation: Operation, params: dict[str, str]) -> set[str]:
    """The sourcedIds a collection operation should return with no filter."""
    candidates = records(data, operation.entity)
    if operation.parents:
        wanted = nested_ids(data, operation.operation_id, params)
        candidates = [record for record in candidates if record["sourcedId"] in wanted]
    return {record["sourcedId"] for record in candidates if in_selection(operation.entity, record, operation.selection)}


def sample_parameters(data: Data) -> dict[str, str]:
    """One plausible value of each path parameter, from the data (parents that exist and belong together)."""
    school = next(o for o in records(data, "org") if o["type"] == "school")["sourcedId"]
    klass = next(c for c in records(data, "class") if ref(c["school"]) == school)
    line_item = next(li for li in records(data, "lineItem") if ref(li["class"]) == klass["sourcedId"])
    student = next(iter(sorted(_enrolled(data, klass["sourcedId"], "student"))))
    teacher = next(iter(sorted(_enrolled(data, klass["sourcedId"], "teacher"))))
    resource_user = next(u["sourcedId"] for u in records(data, "user") if u.get("resources"))
    return {
        "schoolSourcedId": school,
        "classSourcedId": klass["sourcedId"],
        "courseSourcedId": ref(klass["course"]),
        "termSourcedId": ref(klass["terms"][0]),
        "studentSourcedId": student,
        "teacherSourcedId": teacher,
        "userSourcedId": resource_user,
        "lineItemSourcedId": line_item["sourcedId"],
        "academicSessionSourcedId": ref(klass["terms"][0]),
    }


def wrong_parent(data: Data, name: str) -> str:
    """A sourcedId that exists but is not of the kind the path parameter needs (or does not exist)."""
    entity, selection = PATH_PARAMETERS[name]
    for record in records(data, entity):
        if not in_selection(entity, record, selection):
            return record["sourcedId"]
    return "no-such-id"
