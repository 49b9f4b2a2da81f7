"""Referential integrity of every kind of GUIDRef, hrefs that answer, and nested endpoints agreeing with the
collections. The records looked at are a bounded sample of each collection (all of them with --thorough);
the objects referred to are looked for in their whole collection."""

from __future__ import annotations

from typing import Any

from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.references import RefKind, collections_of, ref_kinds, refs
from rosterlab.conformance.target import Target
from rosterlab.conformance.walk import Walk

MODEL = "Data model: GUIDRefs name objects that exist"
NESTED = "REST binding: nested endpoints return the same objects as the collections"
HREFS_PER_KIND = 1  # --thorough: THOROUGH_HREFS
THOROUGH_HREFS = 5


def _sid(value: Any) -> str | None:
    sid = value.get("sourcedId") if isinstance(value, dict) else None
    return sid if isinstance(sid, str) else None


def _known(target: Target, entity: str) -> set[Any]:
    return {r.get("sourcedId") for r in target.collection(collections_of(target.version)[entity]).records}


def _readable(target: Target, kind: RefKind) -> bool:
    table = collections_of(target.version)
    return target.allows(table[kind.entity]) and target.allows(table[kind.target])


@check("refs.resolve", "Every GUIDRef names an object its collection holds", MODEL, Level.MUST)
def references_resolve(target: Target) -> None:
    table = collections_of(target.version)
    dangling: dict[str, list[tuple[Walk, int, str]]] = {}
    followed = 0
    kinds = [kind for kind in ref_kinds(target.version) if _readable(target, kind)]
    pairs: list[tuple[str, tuple[str, ...], str]] = [(k.entity, k.path, k.target) for k in kinds]
    if target.allows(table["demographics"]) and target.allows(table["user"]):
        pairs.append(("demographics", ("sourcedId",), "user"))  # a user's demographics share its sourcedId
    for entity, path, aimed in pairs:
        source = target.sample(table[entity])
        if not source.records:
            continue
        known = _known(target, aimed)
        name = f"{entity}.{'.'.join(path)}" if path != ("sourcedId",) else f"{entity} of a {aimed}"
        for index, record in enumerate(source.records):
            for value in refs(record, path):
                sid = value if path == ("sourcedId",) else _sid(value)
                if not isinstance(sid, str):
                    continue  # a GUIDRef without a sourcedId is the schema's to report (operations.schema)
                followed += 1
                if sid not in known:
                    dangling.setdefault(name, []).append((source, index, sid))
    if not followed:
        raise NotApplicable("no references to follow")
    if dangling:
        parts = [
            f"{name}: {len(found)} (first: {found[0][0].records[found[0][1]].get('sourcedId')} names {found[0][2]!r})"
            for name, found in sorted(dangling.items())
        ]
        source, index, _ = next(iter(sorted(dangling.items())))[1][0]
        count = sum(len(found) for found in dangling.values())
        raise source.page_for(index).fail(
            f"{count} of {followed} references name objects that do not exist{target.bound()}: " + "; ".join(parts),
            source.records[index],
        )


@check("refs.hrefs", "GUIDRef hrefs are URLs that answer with the object they name", MODEL, Level.SHOULD)
def hrefs_resolve(target: Target) -> None:
    table = collections_of(target.version)
    per_kind = THOROUGH_HREFS if target.thorough else HREFS_PER_KIND
    followed = 0
    for kind in ref_kinds(target.version):
        if not _readable(target, kind):
            continue
        source = target.sample(table[kind.entity])
        known = _known(target, kind.target) if source.records else set()
        tried = 0
        for index, record in enumerate(source.records):
            for value in refs(record, kind.path):
                if tried >= per_kind or _sid(value) not in known or not isinstance(value, dict) or "href" not in value:
                    continue  # dangling references are refs.resolve's to report
                tried += 1
                href = value["href"]
                if not isinstance(href, str) or not href.startswith(("http://", "https://")):
                    raise source.page_for(index).fail(
                        f"{record.get('sourcedId')}: {kind.name}.href {href!r} is not a URL", record
                    )
                exchange = target.fetch(href)
                found = next((v for v in (exchange.body or {}).values() if isinstance(v, dict)), {})
                if exchange.status != 200 or not isinstance(found, dict) or found.get("sourcedId") != _sid(value):
                    raise exchange.fail(f"{kind.name}.href {href} does not answer with {_sid(value)!r}")
            if tried >= per_kind:
                break
        followed += tried
    if not followed:
        raise NotApplicable("no GUIDRef carries an href")


def _student_enrollments(target: Target) -> dict[str, set[str]]:
    by_class: dict[str, set[str]] = {}
    for e in target.everything("getAllEnrollments"):
        if e.get("role") == "student" and e.get("status") != "tobedeleted":
            klass, user = _sid(e.get("class")), _sid(e.get("user"))
            if klass and user:
                by_class.setdefault(klass, set()).add(user)
    return by_class


@check("nested.class-students", "/classes/{id}/students are the class's student enrollments", NESTED, Level.MUST)
def class_students(target: Target) -> None:
    enrolled = _student_enrollments(target)
    classes = [c["sourcedId"] for c in target.everything("getAllClasses") if c.get("sourcedId") in enrolled]
    if not classes:
        raise NotApplicable("no classes with student enrollments")
    users = {u["sourcedId"]: u for u in target.everything("getAllUsers")}
    active = {sid for sid, u in users.items() if u.get("status") != "tobedeleted"}
    for class_id in classes[:3]:
        expected = enrolled[class_id]
        walked = target.walk("getStudentsForClass", classSourcedId=class_id)
        got = {u.get("sourcedId") for u in walked.records}
        if got in (expected & active, expected):
            continue
        extra = sorted(got - expected, key=str)
        missing = sorted((expected & active) - got)
        listed = {u.get("sourcedId"): u for u in walked.records}
        record = listed[extra[0]] if extra else users.get(missing[0])
        raise walked.last.fail(
            f"class {class_id}: {len(got)} students listed, {len(expected)} enrolled"
            + (f"; listed but not enrolled: {extra[:5]}" if extra else "")
            + (f"; enrolled but not listed: {missing[:5]}" if missing else ""),
            record,
        )


@check("nested.school-classes", "/schools/{id}/classes are the classes whose school it is", NESTED, Level.MUST)
def school_classes(target: Target) -> None:
    classes = target.everything("getAllClasses")
    schools = sorted({_sid(c.get("school")) for c in classes} - {None})
    if not schools:
        raise NotApplicable("no classes with a school")
    school = schools[0]
    by_id = {c["sourcedId"]: c for c in classes if _sid(c.get("school")) == school}
    walked = target.walk("getClassesForSchool", schoolSourcedId=school)
    got = {c.get("sourcedId"): c for c in walked.records}
    if set(got) != set(by_id):
        extra, missing = sorted(set(got) - set(by_id), key=str), sorted(set(by_id) - set(got))
        record = got[extra[0]] if extra else by_id[missing[0]]
        raise walked.last.fail(
            f"school {school}: {len(got)} classes listed, {len(by_id)} in the classes collection"
            + (f"; listed but not the school's: {extra[:5]}" if extra else "")
            + (f"; the school's but not listed: {missing[:5]}" if missing else ""),
            record,
        )
