"""The CSV binding: files, header order, manifest, value encodings."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rosterlab.spec.csv_binding import (
    CsvVersion,
    Requirement,
    csv_file,
    files,
    header_errors,
    manifest_properties,
)
from rosterlab.spec.csv_values import CsvType, check_value, format_pairs, join_list, parse_pairs, split_list
from rosterlab.spec.vocabularies import ROLE, SEX, SEX_V1P1

# The full 1.1 headers as published with the 1.1 binding (see the facts digest, section 6.5).
HEADERS_1P1 = {
    "academicSessions": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
    "categories": "sourcedId,status,dateLastModified,title",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
    "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "classResources": "sourcedId,status,dateLastModified,title,classSourcedId,resourceSourcedId",
    "courseResources": "sourcedId,status,dateLastModified,title,courseSourcedId,resourceSourcedId",
    "courses": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,"
    "subjects,subjectCodes",
    "demographics": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
    "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
    "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
    "beginDate,endDate",
    "lineItems": "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,"
    "categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax",
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "resources": "sourcedId,status,dateLastModified,vendorResourceId,title,roles,importance,vendorId,applicationId",
    "results": "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,"
    "comment",
    "users": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
}


def test_1p1_headers_are_exact():
    assert {f.name: ",".join(f.header) for f in files("1.1")} == HEADERS_1P1


def test_file_counts():
    assert len(files("1.1")) == 13
    assert len(files("1.2")) == 21
    assert len(files("1.2.1")) == 21


def test_1p2_users_had_resource_ids_that_1p2_1_moved_out():
    v12, v121 = csv_file("1.2", "users").header, csv_file("1.2.1", "users.csv").header
    assert set(v12) - set(v121) == {"resourceSourcedIds"}
    assert v12.index("resourceSourcedIds") == v12.index("userMasterIdentifier") + 1
    assert v121[-2:] == ("primaryOrgSourcedId", "pronouns")


def test_every_file_starts_with_the_common_head():
    for version in CsvVersion:
        for file in files(version):
            assert file.header[:3] == ("sourcedId", "status", "dateLastModified")
            assert file.column("sourcedId").required
            assert file.column("status").requirement is Requirement.DELTA
            assert file.column("dateLastModified").requirement is Requirement.DELTA


def test_manifest_properties():
    props = manifest_properties("1.2.1")
    assert props[:2] == ("manifest.version", "oneroster.version")
    assert len(props) == 2 + 21
    assert "file.roles" not in manifest_properties("1.1")
    assert CsvVersion("1.2.1").manifest_version == "1.2"


def test_vocabularies_differ_by_version():
    assert csv_file("1.1", "demographics").column("sex").vocabulary is SEX_V1P1
    assert csv_file("1.2.1", "demographics").column("sex").vocabulary is SEX
    assert csv_file("1.2.1", "roles").column("role").vocabulary is ROLE


def test_header_in_exact_order_passes_and_extensions_may_follow():
    header = list(csv_file("1.2.1", "orgs").header)
    assert header_errors("1.2.1", "orgs", header) == []
    assert header_errors("1.2.1", "orgs", [*header, "metadata.region"]) == []


def test_header_errors_name_the_column():
    header = list(csv_file("1.2.1", "orgs").header)
    swapped = [*header[:3], header[4], header[3], *header[5:]]
    assert header_errors("1.2.1", "orgs", swapped) == ["column 4 must be 'name', found 'type'"]
    assert header_errors("1.2.1", "orgs", header[:-1]) == ["column 7 'parentSourcedId' is missing"]
    assert header_errors("1.2.1", "orgs", [*header, "name"]) == ["duplicate columns: name"]
    assert header_errors("1.2.1", "orgs", [h.upper() for h in header])[0].startswith("column 1 must be")


@pytest.mark.parametrize(
    ("text", "type_", "kwargs", "valid"),
    [
        ("abc-123_./@X", CsvType.GUID, {}, True),
        ("has space", CsvType.GUID, {}, False),
        ("x" * 256, CsvType.GUID, {}, False),
        ("t1,t2", CsvType.GUID_REF_LIST, {}, True),
        ("t1,t 2", CsvType.GUID_REF_LIST, {}, False),
        ("2024-02-29", CsvType.DATE, {}, True),
        ("2023-02-29", CsvType.DATE, {}, False),
        ("2024-1-5", CsvType.DATE, {}, False),
        ("2012-04-23T18:25:43.511Z", CsvType.DATETIME, {}, True),
        ("2012-04-23T18:25:43Z", CsvType.DATETIME, {}, False),
        ("2012-04-23T18:25:43Z", CsvType.DATETIME, {"strict_datetime": False}, True),
        ("2012-04-23T18:25:43+05:00", CsvType.DATETIME, {"strict_datetime": False}, False),
        ("2012-13-23T18:25:43.511Z", CsvType.DATETIME, {}, False),
        ("2024", CsvType.YEAR, {}, True),
        ("24", CsvType.YEAR, {}, False),
        ("true", CsvType.BOOLEAN, {}, True),
        ("TRUE", CsvType.BOOLEAN, {}, False),
        ("1.5", CsvType.FLOAT, {}, True),
        ("nan", CsvType.FLOAT, {}, False),
        ("ten", CsvType.FLOAT, {}, False),
        ("10", CsvType.INTEGER, {}, True),
        ("10.5", CsvType.INTEGER, {}, False),
        ("male", CsvType.ENUM, {"vocabulary": SEX}, True),
        ("ext:nonbinary", CsvType.ENUM, {"vocabulary": SEX}, True),
        ("ext:nonbinary", CsvType.ENUM, {"vocabulary": SEX, "allow_ext": False}, False),
        ("Male", CsvType.ENUM, {"vocabulary": SEX}, False),
        ("{LDAP:jdoe},{LTI:x:y}", CsvType.USER_IDS, {}, True),
        ("LDAP:jdoe", CsvType.USER_IDS, {}, False),
        ("{A+:100},{A:94}", CsvType.SCORE_SCALE_VALUES, {}, True),
        ("{A+100}", CsvType.SCORE_SCALE_VALUES, {}, False),
    ],
)
def test_check_value(text, type_, kwargs, valid):
    error = check_value(text, type_, **kwargs)
    assert (error is None) == valid, error
    if not valid:
        assert error


keys = st.text(alphabet=st.characters(blacklist_characters="{}:,", blacklist_categories=("Cs",)), min_size=1).filter(
    lambda s: s.strip() == s
)
values = st.text(alphabet=st.characters(blacklist_characters="{},", blacklist_categories=("Cs",))).filter(
    lambda s: s.strip() == s
)


@given(st.lists(st.tuples(keys, values), max_size=5))
def test_pairs_round_trip(pairs):
    assert parse_pairs(format_pairs(pairs)) == pairs


@given(st.lists(st.from_regex(r"[A-Za-z0-9.\-_/@]{1,12}", fullmatch=True), max_size=6))
def test_lists_round_trip_through_a_csv_cell(items):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([join_list(items), "next"])
    cell = next(csv.reader(io.StringIO(buffer.getvalue())))[0]
    assert split_list(cell) == items
    if len(items) > 1:
        assert buffer.getvalue().startswith('"')  # a list of more than one item is quoted
