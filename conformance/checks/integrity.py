"""Referential integrity, and nested endpoints agreeing with the collections."""

from __future__ import annotations

from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Target

MODEL = "Data model: GUIDRefs name objects that exist"
NESTED = "REST binding: nested endpoints return the same objects as the collections"


@check("refs.resolve", "Every enrollment's user, class and school exist", MODEL, Level.MUST)
def references_resolve(target: Target) -> None:
    enrollments = target.everything("getAllEnrollments")
    if not enrollments:
        raise NotApplicable("no enrollments")
    known = {
        "user": {u["sourcedId"] for u in target.everything("getAllUsers")},
        "class": {c["sourcedId"] for c in target.everything("getAllClasses")},
        "school": {o["sourcedId"] for o in target.everything("getAllOrgs")},
    }
    for enrollment in enrollments:
        for field, ids in known.items():
            ref = enrollment.get(field)
            if isinstance(ref, dict) and ref.get("sourcedId") not in ids:
                exchange = target.get("getEnrollment", sourcedId=enrollment["sourcedId"])
                raise exchange.fail(
                    f"enrollment {enrollment['sourcedId']}: {field} {ref.get('sourcedId')!r} does not exist"
                )


@check("nested.class-students", "/classes/{id}/students are the class's student enrollments", NESTED, Level.MUST)
def class_students(target: Target) -> None:
    enrollments = target.everything("getAllEnrollments")
    classes = [c["sourcedId"] for c in target.everything("getAllClasses")]
    if not classes or not enrollments:
        raise NotApplicable("no classes or enrollments")
    for class_id in classes[:3]:
        expected = {
            e["user"]["sourcedId"]
            for e in enrollments
            if e.get("class", {}).get("sourcedId") == class_id
            and e.get("role") == "student"
            and e.get("status") != "tobedeleted"
        }
        active = {u["sourcedId"] for u in target.everything("getAllUsers") if u.get("status") != "tobedeleted"}
        exchange = target.get("getStudentsForClass", {"limit": "10000"}, classSourcedId=class_id)
        if exchange.status != 200:
            raise exchange.fail(f"HTTP {exchange.status}")
        got = {u["sourcedId"] for u in exchange.body.get("users", [])}
        if got != expected & active and got != expected:
            raise exchange.fail(f"class {class_id}: {len(got)} students listed, {len(expected)} enrolled")


@check("nested.school-classes", "/schools/{id}/classes are the classes whose school it is", NESTED, Level.MUST)
def school_classes(target: Target) -> None:
    classes = target.everything("getAllClasses")
    schools = sorted({c["school"]["sourcedId"] for c in classes if isinstance(c.get("school"), dict)})
    if not schools:
        raise NotApplicable("no classes with a school")
    school = schools[0]
    expected = {c["sourcedId"] for c in classes if c.get("school", {}).get("sourcedId") == school}
    found, exchange = target.walk("getClassesForSchool", {}, schoolSourcedId=school)
    if {c.get("sourcedId") for c in found} != expected:
        raise exchange.fail(f"school {school}: {len(found)} classes listed, {len(expected)} in the classes collection")


@check("refs.hrefs", "GUIDRef hrefs are URLs that answer with the object they name", MODEL, Level.SHOULD)
def hrefs_resolve(target: Target) -> None:
    enrollments = target.everything("getAllEnrollments")[:3]
    if not enrollments:
        raise NotApplicable("no enrollments")
    for enrollment in enrollments:
        for field in ("user", "class", "school"):
            ref = enrollment.get(field)
            if not isinstance(ref, dict):
                continue
            href = ref.get("href")
            shown = target.get("getEnrollment", sourcedId=enrollment["sourcedId"])
            if not isinstance(href, str) or not href.startswith(("http://", "https://")):
                raise shown.fail(f"enrollment {enrollment['sourcedId']}: {field}.href {href!r} is not a URL")
            exchange = target.fetch(href)
            found = (
                next((v for v in (exchange.body or {}).values() if isinstance(v, dict)), {})
                if exchange.status == 200
                else {}
            )
            if found.get("sourcedId") != ref.get("sourcedId"):
                raise exchange.fail(f"{field}.href {href} does not answer with {ref.get('sourcedId')!r}")
