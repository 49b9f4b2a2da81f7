"""The enumerated vocabularies of OneRoster 1.1 and 1.2."""

from rosterlab.spec.model import Vocabulary

SESSION_TYPE = Vocabulary("sessionType", ("gradingPeriod", "semester", "schoolYear", "term"), extensible=True)
CLASS_TYPE = Vocabulary("classType", ("homeroom", "scheduled"), extensible=True)
ORG_TYPE = Vocabulary("orgType", ("department", "district", "local", "national", "school", "state"), extensible=True)
ENROLLMENT_ROLE = Vocabulary("enrollmentRole", ("administrator", "proctor", "student", "teacher"), extensible=True)
ROLE = Vocabulary(
    "role",
    (
        "aide",
        "counselor",
        "districtAdministrator",
        "guardian",
        "parent",
        "principal",
        "proctor",
        "relative",
        "siteAdministrator",
        "student",
        "systemAdministrator",
        "teacher",
    ),
    extensible=True,
)
ROLE_TYPE = Vocabulary("roleType", ("primary", "secondary"))
SEX = Vocabulary("sex", ("male", "female", "unspecified", "other"), extensible=True)
SCORE_STATUS = Vocabulary(
    "scoreStatus",
    ("exempt", "fully graded", "not submitted", "partially graded", "submitted"),
    extensible=True,
)
RESOURCE_ROLE = Vocabulary(
    "resourceRole",
    ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"),
    extensible=True,
)
IMPORTANCE = Vocabulary("importance", ("primary", "secondary"))
LEARNING_OBJECTIVE_SOURCE = Vocabulary("learningObjectiveSource", ("case", "unknown"), extensible=True)

# OneRoster 1.1 only.
USER_ROLE_V1P1 = Vocabulary(
    "userRole",
    ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"),
)
SEX_V1P1 = Vocabulary("sex", ("male", "female"))
GUIDREF_TYPE_V1P1 = Vocabulary(
    "guidRefType",
    (
        "academicSession",
        "category",
        "class",
        "course",
        "demographics",
        "enrollment",
        "lineItem",
        "org",
        "resource",
        "result",
        "student",
        "teacher",
        "term",
        "user",
        "gradingPeriod",
    ),
)

# Status reporting (imsx_StatusInfo).
CODE_MAJOR = Vocabulary("codeMajor", ("success", "processing", "failure", "unsupported"))
SEVERITY = Vocabulary("severity", ("status", "warning", "error"))
CODE_MINOR_ROSTERING = Vocabulary(
    "codeMinor",
    (
        "fullsuccess",
        "invalid_filter_field",
        "invalid_selection_field",
        "invaliddata",
        "unauthorisedrequest",
        "forbidden",
        "server_busy",
        "unknownobject",
        "internal_server_error",
        # Not in the official 1.2 list; the standard's prose calls a blank `fields` entry an invalid request,
        # and 1.1 names it so (see spec/deviations.toml).
        "invalid_blank_selection_field",
    ),
)
CODE_MINOR_GRADEBOOK = Vocabulary("codeMinor", (*CODE_MINOR_ROSTERING.values, "deletefailure"))
CODE_MINOR_RESOURCES = Vocabulary("codeMinor", (*CODE_MINOR_ROSTERING.values, "invalid_sort_field", "unsupported"))
# 1.1 has no machine-readable vocabulary of its own: the union of the 1.2 lists and the 1.1 prose's
# warnings, spelled without spaces (the 1.1 prose writes "unknown object", "full success", ...).
CODE_MINOR_V1P1 = Vocabulary(
    "codeMinor",
    (
        *CODE_MINOR_ROSTERING.values,
        "deletefailure",
        "invalid_sort_field",
    ),
)
