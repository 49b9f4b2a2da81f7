"""What each endpoint means in SQL: typed subsets (/schools, /students...), nested collections, parents.

- `/schools`, `/terms`, `/gradingPeriods` are orgs and academic sessions of that type; `/students` and
  `/teachers` are users holding that role in some org.
- A class's students and teachers are the users enrolled in it in that role; a user's, student's or
  teacher's classes are the classes they are enrolled in.
- A school's students and teachers hold that role in the school; its terms are the terms of its classes;
  its courses belong to it or have a class in it.
- A class's categories are the categories of its line items; a school's score scales are those of its
  classes.

Where two objects are related through a third record (an enrollment joins a class and a user; a class joins
a school and its terms, courses and score scales; a line item joins a class and its categories), only an
active third record relates them: the class's students are the users actively enrolled in it, and a dropped
student (the enrollment `tobedeleted`) is no longer listed, in 1.1 and 1.2 alike. Where the objects listed
are themselves what relates them (a school's classes, a term's classes, a class's line items, a user's
resources), they are listed as the collection lists them, `tobedeleted` ones included, so that deltas see
them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import ColumnElement, Connection, Table, and_, exists, or_, select

from rosterlab.server.errors import OneRosterError
from rosterlab.server.query.visibility import expand_orgs, visibility
from rosterlab.server.store.tables import ROLE_LINK, entity_table, links
from rosterlab.spec.endpoints import PATH_PARAMETERS, Operation, Selection

Params = Mapping[str, str]
Condition = ColumnElement[bool]

ORGS = entity_table("org")
SESSIONS = entity_table("academicSession")
COURSES = entity_table("course")
CLASSES = entity_table("class")
USERS = entity_table("user")
ENROLLMENTS = entity_table("enrollment")
LINE_ITEMS = entity_table("lineItem")
RESULTS = entity_table("result")
SCORE_SCALES = entity_table("scoreScale")
CATEGORIES = entity_table("category")
RESOURCES = entity_table("resource")


def selection_condition(entity_name: str, selection: Selection | None) -> Condition | None:
    """The condition that puts an object of `entity_name` in a typed subset (None: no subset)."""
    if selection is None:
        return None
    table = entity_table(entity_name)
    if selection.field == "type":
        return table.c.type == selection.value
    return exists(
        select(links.c.owner_id).where(
            links.c.kind == ROLE_LINK, links.c.owner_id == table.c.sourced_id, links.c.role == selection.value
        )
    )


def _active(table: Table) -> Condition:
    """A linking record that still links: not tobedeleted."""
    return table.c.status == "active"


def _enrolled(class_param: str, role: str) -> Callable[[Params], Condition]:
    return lambda p: USERS.c.sourced_id.in_(
        select(ENROLLMENTS.c.user_id).where(
            ENROLLMENTS.c.class_id == p[class_param], ENROLLMENTS.c.role == role, _active(ENROLLMENTS)
        )
    )


def _classes_of_user(param: str) -> Callable[[Params], Condition]:
    return lambda p: CLASSES.c.sourced_id.in_(
        select(ENROLLMENTS.c.class_id).where(ENROLLMENTS.c.user_id == p[param], _active(ENROLLMENTS))
    )


def _holding_role(role: str) -> Callable[[Params], Condition]:
    return lambda p: USERS.c.sourced_id.in_(
        select(links.c.owner_id).where(
            links.c.kind == ROLE_LINK, links.c.target_id == p["schoolSourcedId"], links.c.role == role
        )
    )


def _linked(kind: str, table, param: str) -> Callable[[Params], Condition]:
    return lambda p: table.c.sourced_id.in_(
        select(links.c.target_id).where(links.c.kind == kind, links.c.owner_id == p[param])
    )


def _school_classes(p: Params):
    """The school's active classes, as linking records."""
    return select(CLASSES.c.sourced_id).where(CLASSES.c.school_id == p["schoolSourcedId"], _active(CLASSES))


NESTED: dict[str, Callable[[Params], Condition]] = {
    "getStudentsForClass": _enrolled("classSourcedId", "student"),
    "getTeachersForClass": _enrolled("classSourcedId", "teacher"),
    "getStudentsForClassInSchool": _enrolled("classSourcedId", "student"),
    "getTeachersForClassInSchool": _enrolled("classSourcedId", "teacher"),
    "getClassesForCourse": lambda p: CLASSES.c.course_id == p["courseSourcedId"],
    "getClassesForSchool": lambda p: CLASSES.c.school_id == p["schoolSourcedId"],
    "getEnrollmentsForClassInSchool": lambda p: and_(
        ENROLLMENTS.c.class_id == p["classSourcedId"], ENROLLMENTS.c.school_id == p["schoolSourcedId"]
    ),
    "getCoursesForSchool": lambda p: or_(
        COURSES.c.org_id == p["schoolSourcedId"],
        COURSES.c.sourced_id.in_(
            select(CLASSES.c.course_id).where(CLASSES.c.school_id == p["schoolSourcedId"], _active(CLASSES))
        ),
    ),
    "getEnrollmentsForSchool": lambda p: ENROLLMENTS.c.school_id == p["schoolSourcedId"],
    "getStudentsForSchool": _holding_role("student"),
    "getTeachersForSchool": _holding_role("teacher"),
    "getTermsForSchool": lambda p: SESSIONS.c.sourced_id.in_(
        select(links.c.target_id).where(links.c.kind == "class_term", links.c.owner_id.in_(_school_classes(p)))
    ),
    "getClassesForStudent": _classes_of_user("studentSourcedId"),
    "getClassesForTeacher": _classes_of_user("teacherSourcedId"),
    "getClassesForUser": _classes_of_user("userSourcedId"),
    "getClassesForTerm": lambda p: CLASSES.c.sourced_id.in_(
        select(links.c.owner_id).where(links.c.kind == "class_term", links.c.target_id == p["termSourcedId"])
    ),
    "getGradingPeriodsForTerm": lambda p: SESSIONS.c.parent_id == p["termSourcedId"],
    "getCategoriesForClass": lambda p: CATEGORIES.c.sourced_id.in_(
        select(LINE_ITEMS.c.category_id).where(LINE_ITEMS.c.class_id == p["classSourcedId"], _active(LINE_ITEMS))
    ),
    "getLineItemsForClass": lambda p: LINE_ITEMS.c.class_id == p["classSourcedId"],
    "getResultsForClass": lambda p: RESULTS.c.class_id == p["classSourcedId"],
    "getResultsForLineItemForClass": lambda p: and_(
        RESULTS.c.line_item_id == p["lineItemSourcedId"], RESULTS.c.class_id == p["classSourcedId"]
    ),
    "getResultsForStudentForClass": lambda p: and_(
        RESULTS.c.student_id == p["studentSourcedId"], RESULTS.c.class_id == p["classSourcedId"]
    ),
    "getScoreScalesForClass": lambda p: SCORE_SCALES.c.class_id == p["classSourcedId"],
    "getScoreScalesForSchool": lambda p: SCORE_SCALES.c.class_id.in_(_school_classes(p)),
    "getResourcesForClass": _linked("class_resource", RESOURCES, "classSourcedId"),
    "getResourcesForCourse": _linked("course_resource", RESOURCES, "courseSourcedId"),
    "getResourcesForUser": _linked("user_resource", RESOURCES, "userSourcedId"),
}

# Parents that must belong to each other: (child parameter, column of the child's table, parent parameter).
BELONGS: tuple[tuple[str, str, str], ...] = (
    ("classSourcedId", "school_id", "schoolSourcedId"),
    ("lineItemSourcedId", "class_id", "classSourcedId"),
)


def check_parents(
    connection: Connection,
    operation: Operation,
    params: Params,
    orgs: tuple[str, ...] = (),
    hide_deleted: bool = False,
) -> None:
    """Raise 404 unknownobject unless every parent in the path exists (and is not tobedeleted when deleted
    records are hidden), belongs to its own parent, and lies within the client's orgs (when it is restricted)."""
    allowed = expand_orgs(connection, orgs) if orgs else None
    for name in operation.parents:
        entity_name, selection = PATH_PARAMETERS[name]
        table = entity_table(entity_name)
        condition = table.c.sourced_id == params[name]
        extras = [selection_condition(entity_name, selection)]
        if hide_deleted:
            extras.append(table.c.status != "tobedeleted")
        if allowed is not None:
            extras.append(visibility(entity_name, allowed))
        for extra in extras:
            if extra is not None:
                condition = and_(condition, extra)
        if connection.execute(select(table.c.sourced_id).where(condition)).first() is None:
            what = selection.value if selection else entity_name
            raise OneRosterError(404, "unknownobject", f"no {what} has sourcedId {params[name]!r}")
    for child, column, parent in BELONGS:
        if child in params and parent in params:
            table = entity_table(PATH_PARAMETERS[child][0])
            owner = connection.execute(select(table.c[column]).where(table.c.sourced_id == params[child])).scalar()
            if owner != params[parent]:
                raise OneRosterError(
                    404, "unknownobject", f"{child} {params[child]!r} does not belong to {parent} {params[parent]!r}"
                )


def nested_condition(operation: Operation, params: Params) -> Condition | None:
    """The condition of a nested collection (None for a top-level one)."""
    builder = NESTED.get(operation.operation_id)
    return builder(params) if builder else None
