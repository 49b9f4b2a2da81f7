"""Canonical records <-> OneRoster CSV rows, file by file, for 1.1, 1.2 and 1.2.1.

REST and CSV name some things differently (a GUIDRef `school` is a column `schoolSourcedId`; a user's roles
are rows of roles.csv in 1.2 and a `role` plus `orgSourcedIds` in 1.1; class and course resources are rows
of their own files). Rows that exist only in CSV (roles, resource links, score scale links) get sourcedIds
derived from what they link, so that exporting, importing and exporting again gives the same bytes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from rosterlab.spec.csv_binding import RACE_FLAGS as RACE
from rosterlab.spec.csv_binding import CsvVersion
from rosterlab.spec.csv_values import format_pairs, parse_pairs, split_list
from rosterlab.spec.filter.fields import format_instant, parse_instant

Record = dict[str, Any]
Records = dict[str, list[Record]]
Row = dict[str, str]

# The file that describes each entity completely when it is bulk.
PRIMARY_FILE = {
    "org": "orgs",
    "academicSession": "academicSessions",
    "course": "courses",
    "class": "classes",
    "user": "users",
    "demographics": "demographics",
    "enrollment": "enrollments",
    "resource": "resources",
    "category": "categories",
    "lineItem": "lineItems",
    "result": "results",
    "scoreScale": "scoreScales",
}

# Every file an entity's records are written to: its primary file, and the files of its links.
ENTITY_FILES = {
    "org": ("orgs",),
    "academicSession": ("academicSessions",),
    "course": ("courses", "courseResources"),
    "class": ("classes", "classResources"),
    "user": ("users", "roles", "userResources"),
    "demographics": ("demographics",),
    "enrollment": ("enrollments",),
    "resource": ("resources",),
    "category": ("categories",),
    "lineItem": ("lineItems", "lineItemScoreScales"),
    "result": ("results", "resultScoreScales"),
    "scoreScale": ("scoreScales",),
}

ROLE_V1P1 = {"student", "teacher", "aide", "guardian", "parent", "proctor", "relative"}


# -- values ---------------------------------------------------------------------------------------


def _ref(value: Any) -> str:
    return value["sourcedId"] if value else ""


def _refs(values: Any) -> str:
    return ",".join(value["sourcedId"] for value in values or [])


def _strings(values: Any) -> str:
    return ",".join(values or [])


def _boolean(value: Any) -> str:
    if value is None:
        return ""
    return "true" if value in (True, "true") else "false"


def _number(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _integer(value: Any) -> str:
    """A number where the CSV binding takes an integer (a category's weight): rounded, half up."""
    return "" if value is None else str(math.floor(float(value) + 0.5))


def _day(value: Any) -> str:
    return value[:10] if value else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def ref_of(text: str) -> Record | None:
    return {"sourcedId": text} if text else None


def refs_of(text: str) -> list[Record]:
    return [{"sourcedId": item} for item in split_list(text)]


def _set(record: Record, name: str, value: Any) -> None:
    if value not in (None, "", []):
        record[name] = value


# -- export -----------------------------------------------------------------------------------------


def _base(record: Record, delta: bool) -> Row:
    row = {"sourcedId": record["sourcedId"], "status": "", "dateLastModified": ""}
    if delta:
        row["status"] = record.get("status", "active")
        row["dateLastModified"] = format_instant(parse_instant(record["dateLastModified"]))
    return row


def _primary_role(user: Record) -> str:
    roles = user.get("roles", [])
    primary = next((r for r in roles if r.get("roleType") == "primary"), roles[0] if roles else None)
    if primary is None:
        return "student"
    return primary["role"] if primary["role"] in ROLE_V1P1 else "administrator"


def export_rows(records: Records, version: CsvVersion, delta: bool = False) -> dict[str, list[Row]]:
    """The rows of every file for the given records (files without rows are left out)."""
    v11 = version is CsvVersion.V1P1
    out: dict[str, list[Row]] = defaultdict(list)

    def emit(file: str, record: Record, **columns: str) -> None:
        out[file].append({**_base(record, delta), **columns})

    for r in records.get("org", []):
        emit(
            "orgs",
            r,
            name=r["name"],
            type=r["type"],
            identifier=_text(r.get("identifier")),
            parentSourcedId=_ref(r.get("parent")),
        )
    for r in records.get("academicSession", []):
        emit(
            "academicSessions",
            r,
            title=r["title"],
            type=r["type"],
            startDate=r["startDate"],
            endDate=r["endDate"],
            parentSourcedId=_ref(r.get("parent")),
            schoolYear=r["schoolYear"],
        )
    for r in records.get("course", []):
        emit(
            "courses",
            r,
            schoolYearSourcedId=_ref(r.get("schoolYear")),
            title=r["title"],
            courseCode=_text(r.get("courseCode")),
            grades=_strings(r.get("grades")),
            orgSourcedId=_ref(r.get("org")),
            subjects=_strings(r.get("subjects")),
            subjectCodes=_strings(r.get("subjectCodes")),
        )
        for resource in r.get("resources", []):
            link = {"sourcedId": f"{r['sourcedId']}-{resource['sourcedId']}", **_dates(r)}
            emit(
                "courseResources",
                link,
                title="",
                courseSourcedId=r["sourcedId"],
                resourceSourcedId=resource["sourcedId"],
            )
    for r in records.get("class", []):
        emit(
            "classes",
            r,
            title=r["title"],
            grades=_strings(r.get("grades")),
            courseSourcedId=_ref(r["course"]),
            classCode=_text(r.get("classCode")),
            classType=_text(r.get("classType")),
            location=_text(r.get("location")),
            schoolSourcedId=_ref(r["school"]),
            termSourcedIds=_refs(r.get("terms")),
            subjects=_strings(r.get("subjects")),
            subjectCodes=_strings(r.get("subjectCodes")),
            periods=_strings(r.get("periods")),
        )
        for resource in r.get("resources", []):
            link = {"sourcedId": f"{r['sourcedId']}-{resource['sourcedId']}", **_dates(r)}
            emit(
                "classResources", link, title="", classSourcedId=r["sourcedId"], resourceSourcedId=resource["sourcedId"]
            )
    for r in records.get("user", []):
        common = dict(
            enabledUser=_boolean(r.get("enabledUser")),
            username=_text(r.get("username")),
            userIds=format_pairs([(i["type"], i["identifier"]) for i in r.get("userIds", [])]),
            givenName=r["givenName"],
            familyName=r["familyName"],
            middleName=_text(r.get("middleName")),
            identifier=_text(r.get("identifier")),
            email=_text(r.get("email")),
            sms=_text(r.get("sms")),
            phone=_text(r.get("phone")),
            agentSourcedIds=_refs(r.get("agents")),
            grades=_strings(r.get("grades")),
            password=_text(r.get("password")),
        )
        if v11:
            orgs = list(dict.fromkeys(role["org"]["sourcedId"] for role in r.get("roles", [])))
            emit(
                "users",
                r,
                enabledUser=common.pop("enabledUser"),
                orgSourcedIds=",".join(orgs),
                role=_primary_role(r),
                **common,
            )
            continue
        extra = {"resourceSourcedIds": _refs(r.get("resources"))} if version is CsvVersion.V1P2 else {}
        emit(
            "users",
            r,
            **common,
            userMasterIdentifier=_text(r.get("userMasterIdentifier")),
            **extra,
            preferredGivenName=_text(r.get("preferredFirstName")),
            preferredMiddleName=_text(r.get("preferredMiddleName")),
            preferredFamilyName=_text(r.get("preferredLastName")),
            primaryOrgSourcedId=_ref(r.get("primaryOrg")),
            pronouns=_text(r.get("pronouns")),
        )
        for index, role in enumerate(r.get("roles", []), start=1):
            link = {"sourcedId": f"{r['sourcedId']}-role-{index}", **_dates(r)}
            emit(
                "roles",
                link,
                userSourcedId=r["sourcedId"],
                roleType=role["roleType"],
                role=role["role"],
                beginDate=_text(role.get("beginDate")),
                endDate=_text(role.get("endDate")),
                orgSourcedId=role["org"]["sourcedId"],
                userProfileSourcedId="",
            )
        if version is CsvVersion.V1P2_1:
            for resource in r.get("resources", []):
                link = {"sourcedId": f"{r['sourcedId']}-{resource['sourcedId']}", **_dates(r)}
                emit(
                    "userResources",
                    link,
                    userSourcedId=r["sourcedId"],
                    orgSourcedId="",
                    classSourcedId="",
                    resourceSourcedId=resource["sourcedId"],
                )
    for r in records.get("demographics", []):
        sex = _text(r.get("sex"))
        if v11 and sex not in ("male", "female"):
            sex = ""
        emit(
            "demographics",
            r,
            birthDate=_text(r.get("birthDate")),
            sex=sex,
            **{name: _boolean(r.get(name)) for name in RACE},
            countryOfBirthCode=_text(r.get("countryOfBirthCode")),
            stateOfBirthAbbreviation=_text(r.get("stateOfBirthAbbreviation")),
            cityOfBirth=_text(r.get("cityOfBirth")),
            publicSchoolResidenceStatus=_text(r.get("publicSchoolResidenceStatus")),
        )
    for r in records.get("enrollment", []):
        emit(
            "enrollments",
            r,
            classSourcedId=_ref(r["class"]),
            schoolSourcedId=_ref(r["school"]),
            userSourcedId=_ref(r["user"]),
            role=r["role"],
            primary=_boolean(r.get("primary")),
            beginDate=_text(r.get("beginDate")),
            endDate=_text(r.get("endDate")),
        )
    for r in records.get("resource", []):
        emit(
            "resources",
            r,
            vendorResourceId=r["vendorResourceId"],
            title=_text(r.get("title")),
            roles=_strings(r.get("roles")),
            importance=_text(r.get("importance")),
            vendorId=_text(r.get("vendorId")),
            applicationId=_text(r.get("applicationId")),
        )
    for r in records.get("category", []):
        emit("categories", r, title=r["title"], **({} if v11 else {"weight": _integer(r.get("weight"))}))
    classes = {c["sourcedId"]: c for c in records.get("class", [])}
    for r in records.get("lineItem", []):
        common = dict(
            title=r["title"],
            description=_text(r.get("description")),
            assignDate=_day(r["assignDate"]),
            dueDate=_day(r["dueDate"]),
            classSourcedId=_ref(r["class"]),
            categorySourcedId=_ref(r["category"]),
        )
        if v11:
            emit(
                "lineItems",
                r,
                **common,
                gradingPeriodSourcedId=_ref(r.get("gradingPeriod") or r.get("academicSession")),
                resultValueMin=_number(r.get("resultValueMin")),
                resultValueMax=_number(r.get("resultValueMax")),
            )
            continue
        emit(
            "lineItems",
            r,
            **common,
            academicSessionSourcedId=_ref(r.get("academicSession") or r.get("gradingPeriod")),
            resultValueMin=_number(r.get("resultValueMin")),
            resultValueMax=_number(r.get("resultValueMax")),
            schoolSourcedId=_ref(r.get("school")),
        )
        if r.get("scoreScale"):
            link = {"sourcedId": f"{r['sourcedId']}-{r['scoreScale']['sourcedId']}", **_dates(r)}
            emit(
                "lineItemScoreScales",
                link,
                title="",
                lineItemSourcedId=r["sourcedId"],
                scoreScaleSourcedId=r["scoreScale"]["sourcedId"],
            )
    for r in records.get("result", []):
        common = dict(
            lineItemSourcedId=_ref(r["lineItem"]),
            studentSourcedId=_ref(r["student"]),
            scoreStatus=r["scoreStatus"],
            score=_number(r.get("score")),
            scoreDate=r["scoreDate"],
            comment=_text(r.get("comment")),
        )
        if v11:
            emit("results", r, **common)
            continue
        emit(
            "results",
            r,
            **common,
            textScore=_text(r.get("textScore")),
            classSourcedId=_ref(r.get("class")),
            **{flag: _boolean(r.get(flag)) for flag in ("inProgress", "incomplete", "late", "missing")},
        )
        if r.get("scoreScale"):
            link = {"sourcedId": f"{r['sourcedId']}-{r['scoreScale']['sourcedId']}", **_dates(r)}
            emit(
                "resultScoreScales",
                link,
                title="",
                resultSourcedId=r["sourcedId"],
                scoreScaleSourcedId=r["scoreScale"]["sourcedId"],
            )
    if not v11:
        for r in records.get("scoreScale", []):
            klass = classes.get(_ref(r["class"]), {})
            emit(
                "scoreScales",
                r,
                title=r["title"],
                type=r["type"],
                orgSourcedId=_ref(klass.get("school")),
                courseSourcedId=_ref(r.get("course") or klass.get("course")),
                classSourcedId=_ref(r["class"]),
                scoreScaleValue=format_pairs([(v["itemValueLHS"], v["itemValueRHS"]) for v in r["scoreScaleValue"]]),
            )
    return dict(out)


def _dates(record: Record) -> Record:
    return {"status": record.get("status", "active"), "dateLastModified": record["dateLastModified"]}


# -- import -----------------------------------------------------------------------------------------


def _meta(row: Row, record: Record) -> Record:
    record["sourcedId"] = row["sourcedId"]
    if row.get("status"):
        record["status"] = row["status"]
    if row.get("dateLastModified"):
        record["dateLastModified"] = row["dateLastModified"]
    return record


def import_records(rows: dict[str, list[Row]], version: CsvVersion) -> tuple[Records, dict[str, set[str]]]:
    """Canonical records from the rows of each file; also, for each entity, the ids whose files were read
    (so that a bulk import knows which entities it describes completely)."""
    v11 = version is CsvVersion.V1P1
    out: dict[str, dict[str, Record]] = defaultdict(dict)

    def add(entity: str, row: Row, **fields: Any) -> Record:
        record = _meta(row, {})
        for name, value in fields.items():
            _set(record, name, value)
        out[entity][record["sourcedId"]] = record
        return record

    for row in rows.get("orgs", []):
        add(
            "org",
            row,
            name=row["name"],
            type=row["type"],
            identifier=row["identifier"],
            parent=ref_of(row["parentSourcedId"]),
        )
    for row in rows.get("academicSessions", []):
        add(
            "academicSession",
            row,
            title=row["title"],
            type=row["type"],
            startDate=row["startDate"],
            endDate=row["endDate"],
            parent=ref_of(row["parentSourcedId"]),
            schoolYear=row["schoolYear"],
        )
    for row in rows.get("courses", []):
        add(
            "course",
            row,
            schoolYear=ref_of(row["schoolYearSourcedId"]),
            title=row["title"],
            courseCode=row["courseCode"],
            grades=split_list(row["grades"]),
            org=ref_of(row["orgSourcedId"]),
            subjects=split_list(row["subjects"]),
            subjectCodes=split_list(row["subjectCodes"]),
        )
    for row in rows.get("classes", []):
        add(
            "class",
            row,
            title=row["title"],
            grades=split_list(row["grades"]),
            course=ref_of(row["courseSourcedId"]),
            classCode=row["classCode"],
            classType=row["classType"],
            location=row["location"],
            school=ref_of(row["schoolSourcedId"]),
            terms=refs_of(row["termSourcedIds"]),
            subjects=split_list(row["subjects"]),
            subjectCodes=split_list(row["subjectCodes"]),
            periods=split_list(row["periods"]),
        )
    for row in rows.get("users", []):
        user = add(
            "user",
            row,
            enabledUser=row["enabledUser"] == "true",
            username=row["username"],
            userIds=[{"type": t, "identifier": i} for t, i in parse_pairs(row["userIds"])],
            givenName=row["givenName"],
            familyName=row["familyName"],
            middleName=row["middleName"],
            identifier=row["identifier"],
            email=row["email"],
            sms=row["sms"],
            phone=row["phone"],
            agents=refs_of(row["agentSourcedIds"]),
            grades=split_list(row["grades"]),
            password=row["password"],
        )
        if v11:
            role = row["role"]
            user["roles"] = [
                {"roleType": "primary" if index == 0 else "secondary", "role": role, "org": {"sourcedId": org}}
                for index, org in enumerate(split_list(row["orgSourcedIds"]))
            ]
            continue
        for name, column in (
            ("userMasterIdentifier", "userMasterIdentifier"),
            ("preferredFirstName", "preferredGivenName"),
            ("preferredMiddleName", "preferredMiddleName"),
            ("preferredLastName", "preferredFamilyName"),
            ("pronouns", "pronouns"),
        ):
            _set(user, name, row[column])
        _set(user, "primaryOrg", ref_of(row["primaryOrgSourcedId"]))
        _set(user, "resources", refs_of(row.get("resourceSourcedIds", "")))
    users = out["user"]
    for row in rows.get("roles", []):
        user = users.get(row["userSourcedId"])
        if user is not None:
            role = {"roleType": row["roleType"], "role": row["role"], "org": {"sourcedId": row["orgSourcedId"]}}
            _set(role, "beginDate", row["beginDate"])
            _set(role, "endDate", row["endDate"])
            user.setdefault("roles", []).append(role)
    for row in rows.get("userResources", []):
        if row["userSourcedId"] in users:
            users[row["userSourcedId"]].setdefault("resources", []).append({"sourcedId": row["resourceSourcedId"]})
    for row in rows.get("demographics", []):
        add(
            "demographics",
            row,
            birthDate=row["birthDate"],
            sex=row["sex"],
            **{name: row[name] == "true" if row[name] else None for name in RACE},
            countryOfBirthCode=row["countryOfBirthCode"],
            stateOfBirthAbbreviation=row["stateOfBirthAbbreviation"],
            cityOfBirth=row["cityOfBirth"],
            publicSchoolResidenceStatus=row["publicSchoolResidenceStatus"],
        )
    for row in rows.get("enrollments", []):
        add(
            "enrollment",
            row,
            **{"class": ref_of(row["classSourcedId"])},
            school=ref_of(row["schoolSourcedId"]),
            user=ref_of(row["userSourcedId"]),
            role=row["role"],
            primary=(row["primary"] == "true") if row["primary"] else None,
            beginDate=row["beginDate"],
            endDate=row["endDate"],
        )
    for row in rows.get("resources", []):
        add(
            "resource",
            row,
            vendorResourceId=row["vendorResourceId"],
            title=row["title"],
            roles=split_list(row["roles"]),
            importance=row["importance"],
            vendorId=row["vendorId"],
            applicationId=row["applicationId"],
        )
    for file, entity, column in (
        ("classResources", "class", "classSourcedId"),
        ("courseResources", "course", "courseSourcedId"),
    ):
        for row in rows.get(file, []):
            owner = out[entity].get(row[column])
            if owner is not None:
                owner.setdefault("resources", []).append({"sourcedId": row["resourceSourcedId"]})
    for row in rows.get("categories", []):
        add("category", row, title=row["title"], weight=float(row["weight"]) if row.get("weight") else None)
    for row in rows.get("lineItems", []):
        fields = dict(
            title=row["title"],
            description=row["description"],
            assignDate=format_instant(parse_instant(row["assignDate"])),
            dueDate=format_instant(parse_instant(row["dueDate"])),
            category=ref_of(row["categorySourcedId"]),
            resultValueMin=float(row["resultValueMin"]) if row["resultValueMin"] else None,
            resultValueMax=float(row["resultValueMax"]) if row["resultValueMax"] else None,
        )
        fields["class"] = ref_of(row["classSourcedId"])
        if v11:
            add("lineItem", row, **fields, gradingPeriod=ref_of(row["gradingPeriodSourcedId"]))
        else:
            add(
                "lineItem",
                row,
                **fields,
                academicSession=ref_of(row["academicSessionSourcedId"]),
                school=ref_of(row["schoolSourcedId"]),
            )
    for row in rows.get("results", []):
        fields = dict(
            lineItem=ref_of(row["lineItemSourcedId"]),
            student=ref_of(row["studentSourcedId"]),
            scoreStatus=row["scoreStatus"],
            score=float(row["score"]) if row["score"] else None,
            scoreDate=row["scoreDate"],
            comment=row["comment"],
        )
        if not v11:
            fields.update(
                textScore=row["textScore"],
                **{"class": ref_of(row["classSourcedId"])},
                **{f: (row[f] == "true") if row[f] else None for f in ("inProgress", "incomplete", "late", "missing")},
            )
        add("result", row, **fields)
    for row in rows.get("scoreScales", []):
        add(
            "scoreScale",
            row,
            title=row["title"],
            type=row["type"],
            course=ref_of(row["courseSourcedId"]),
            **{"class": ref_of(row["classSourcedId"])},
            scoreScaleValue=[
                {"itemValueLHS": lhs, "itemValueRHS": rhs} for lhs, rhs in parse_pairs(row["scoreScaleValue"])
            ],
        )
    for file, entity, column in (
        ("lineItemScoreScales", "lineItem", "lineItemSourcedId"),
        ("resultScoreScales", "result", "resultSourcedId"),
    ):
        for row in rows.get(file, []):
            owner = out[entity].get(row[column])
            if owner is not None:
                owner["scoreScale"] = {"sourcedId": row["scoreScaleSourcedId"]}
    described = {entity: set(records) for entity, records in out.items()}
    for entity in ("org", "academicSession"):
        _derive_children(out.get(entity, {}))
    return {entity: list(records.values()) for entity, records in out.items()}, described


def _derive_children(records: dict[str, Record]) -> None:
    """`children` is no CSV column: each row's parent lists it, in file order."""
    for record in records.values():
        parent = records.get((record.get("parent") or {}).get("sourcedId", ""))
        if parent is not None:
            parent.setdefault("children", []).append({"sourcedId": record["sourcedId"]})
