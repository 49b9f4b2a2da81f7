"""Every OneRoster entity and embedded structure, for 1.2 and for 1.1.

1.2 is written out in full; 1.1 is derived from it, so that each difference between the versions is
stated once, next to its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from rosterlab.spec import vocabularies as v
from rosterlab.spec.model import (
    BOOLEAN,
    DATE,
    DATETIME,
    NUMBER,
    STRING,
    URI,
    YEAR,
    Entity,
    Nested,
    Ref,
    Service,
    Structure,
    Version,
    many,
    opt,
    req,
)

R, G, S = Service.ROSTERING, Service.GRADEBOOK, Service.RESOURCES

# --------------------------------------------------------------------------------------------
# Embedded structures (1.2)
# --------------------------------------------------------------------------------------------

METADATA = Structure("Metadata", (), open=True)
USER_ID = Structure("UserId", (req("type", STRING), req("identifier", STRING)))
CREDENTIAL = Structure("Credential", (req("type", STRING), req("username", STRING), opt("password", STRING)), open=True)
USER_PROFILE = Structure(
    "UserProfile",
    (
        req("profileId", URI),
        req("profileType", STRING),
        req("vendorId", STRING),
        opt("applicationId", STRING),
        opt("description", STRING),
        many("credentials", Nested("Credential")),
    ),
)
ROLE = Structure(
    "Role",
    (
        req("roleType", v.ROLE_TYPE),
        req("role", v.ROLE),
        req("org", Ref("org")),
        opt("userProfile", URI),
        opt("beginDate", DATE),
        opt("endDate", DATE),
    ),
)
SCORE_SCALE_VALUE = Structure("ScoreScaleValue", (req("itemValueLHS", STRING), req("itemValueRHS", STRING)))
LEARNING_OBJECTIVE_SET = Structure(
    "LearningObjectiveSet",
    (req("source", v.LEARNING_OBJECTIVE_SOURCE), many("learningObjectiveIds", STRING, min_items=1)),
)
LEARNING_OBJECTIVE_RESULTS = Structure(
    "LearningObjectiveResults",
    (req("learningObjectiveId", STRING), opt("score", NUMBER), opt("textScore", STRING)),
)
LEARNING_OBJECTIVE_SCORE_SET = Structure(
    "LearningObjectiveScoreSet",
    (
        req("source", v.LEARNING_OBJECTIVE_SOURCE),
        many("learningObjectiveResults", Nested("LearningObjectiveResults"), min_items=1),
    ),
)
GUID_PAIR = Structure("GUIDPair", (req("suppliedSourcedId", STRING), req("allocatedSourcedId", STRING)))

# --------------------------------------------------------------------------------------------
# Rostering entities (1.2)
# --------------------------------------------------------------------------------------------

ACADEMIC_SESSION = Entity(
    "academicSession",
    "academicSessions",
    R,
    (
        req("title", STRING),
        req("startDate", DATE),
        req("endDate", DATE),
        req("type", v.SESSION_TYPE),
        opt("parent", Ref("academicSession")),
        many("children", Ref("academicSession")),
        req("schoolYear", YEAR),
    ),
    description="A period of academic activity: a school year, semester, term or grading period.",
    ref_stem="AcadSession",
)

CLASS = Entity(
    "class",
    "classes",
    R,
    (
        req("title", STRING),
        opt("classCode", STRING),
        opt("classType", v.CLASS_TYPE),
        opt("location", STRING),
        many("grades", STRING),
        many("subjects", STRING),
        req("course", Ref("course")),
        req("school", Ref("org")),
        many("terms", Ref("academicSession"), min_items=1),
        many("subjectCodes", STRING),
        many("periods", STRING),
        many("resources", Ref("resource")),
    ),
    description="A scheduled instance of a course, taught in a school during one or more terms.",
)

COURSE = Entity(
    "course",
    "courses",
    R,
    (
        req("title", STRING),
        opt("schoolYear", Ref("academicSession")),
        req("courseCode", STRING),
        many("grades", STRING),
        many("subjects", STRING),
        opt("org", Ref("org")),
        many("subjectCodes", STRING),
        many("resources", Ref("resource")),
    ),
    description="A course of study, of which classes are the scheduled instances.",
)

DEMOGRAPHICS = Entity(
    "demographics",
    "demographics",
    R,
    (
        opt("birthDate", DATE),
        opt("sex", v.SEX),
        opt("americanIndianOrAlaskaNative", BOOLEAN),
        opt("asian", BOOLEAN),
        opt("blackOrAfricanAmerican", BOOLEAN),
        opt("nativeHawaiianOrOtherPacificIslander", BOOLEAN),
        opt("white", BOOLEAN),
        opt("demographicRaceTwoOrMoreRaces", BOOLEAN),
        opt("hispanicOrLatinoEthnicity", BOOLEAN),
        opt("countryOfBirthCode", STRING),
        opt("stateOfBirthAbbreviation", STRING),
        opt("cityOfBirth", STRING),
        opt("publicSchoolResidenceStatus", STRING),
    ),
    description="Demographic data of a user; its sourcedId is the user's. Privileged: needs its own scope.",
)

ENROLLMENT = Entity(
    "enrollment",
    "enrollments",
    R,
    (
        req("user", Ref("user")),
        req("class", Ref("class")),
        req("school", Ref("org")),
        req("role", v.ENROLLMENT_ROLE),
        opt("primary", BOOLEAN),
        opt("beginDate", DATE),
        opt("endDate", DATE),
    ),
    description="A user's membership of a class, in a role.",
)

ORG = Entity(
    "org",
    "orgs",
    R,
    (
        req("name", STRING),
        req("type", v.ORG_TYPE),
        req("identifier", STRING),
        opt("parent", Ref("org")),
        many("children", Ref("org")),
    ),
    description="An organisation: a school, district, state, department...",
)

USER = Entity(
    "user",
    "users",
    R,
    (
        opt("userMasterIdentifier", STRING),
        opt("username", STRING),
        many("userIds", Nested("UserId")),
        req("enabledUser", BOOLEAN),
        req("givenName", STRING),
        req("familyName", STRING),
        opt("middleName", STRING),
        opt("preferredFirstName", STRING),
        opt("preferredMiddleName", STRING),
        opt("preferredLastName", STRING),
        opt("pronouns", STRING),
        many("roles", Nested("Role"), min_items=1),
        many("userProfiles", Nested("UserProfile")),
        opt("primaryOrg", Ref("org")),
        opt("identifier", STRING),
        opt("email", STRING),
        opt("sms", STRING),
        opt("phone", STRING),
        many("agents", Ref("user")),
        many("grades", STRING),
        opt("password", STRING),
        many("resources", Ref("resource")),
    ),
    description="A person: student, teacher, administrator, guardian...; roles say in which orgs.",
)

# --------------------------------------------------------------------------------------------
# Gradebook entities (1.2)
# --------------------------------------------------------------------------------------------

CATEGORY = Entity(
    "category",
    "categories",
    G,
    (req("title", STRING), opt("weight", NUMBER)),
    description="A grading category (homework, tests...) with its weight in the final score.",
    set_stem="Categories",
)

LINE_ITEM = Entity(
    "lineItem",
    "lineItems",
    G,
    (
        req("title", STRING),
        opt("description", STRING),
        req("assignDate", DATETIME),
        req("dueDate", DATETIME),
        req("class", Ref("class")),
        req("school", Ref("org")),
        req("category", Ref("category")),
        opt("gradingPeriod", Ref("academicSession")),
        opt("academicSession", Ref("academicSession")),
        opt("scoreScale", Ref("scoreScale")),
        opt("resultValueMin", NUMBER),
        opt("resultValueMax", NUMBER),
        many("learningObjectiveSet", Nested("LearningObjectiveSet")),
    ),
    description="A gradable item of a class: an assignment, a test...",
)

RESULT = Entity(
    "result",
    "results",
    G,
    (
        req("lineItem", Ref("lineItem")),
        req("student", Ref("user")),
        opt("class", Ref("class")),
        opt("scoreScale", Ref("scoreScale")),
        req("scoreStatus", v.SCORE_STATUS),
        opt("score", NUMBER),
        opt("textScore", STRING),
        req("scoreDate", DATE),
        opt("comment", STRING),
        many("learningObjectiveSet", Nested("LearningObjectiveScoreSet")),
        opt("inProgress", BOOLEAN),
        opt("incomplete", BOOLEAN),
        opt("late", BOOLEAN),
        opt("missing", BOOLEAN),
    ),
    description="A student's score on a line item.",
)

SCORE_SCALE = Entity(
    "scoreScale",
    "scoreScales",
    G,
    (
        req("title", STRING),
        req("type", STRING),
        opt("course", Ref("course")),
        req("class", Ref("class")),
        many("scoreScaleValue", Nested("ScoreScaleValue"), min_items=1),
    ),
    description="A mapping of scores to grades (A+ = 100, Pass = 50...).",
)

ASSESSMENT_LINE_ITEM = Entity(
    "assessmentLineItem",
    "assessmentLineItems",
    G,
    (
        req("title", STRING),
        opt("description", STRING),
        opt("class", Ref("class")),
        opt("parentAssessmentLineItem", Ref("assessmentLineItem")),
        opt("scoreScale", Ref("scoreScale")),
        opt("resultValueMin", NUMBER),
        opt("resultValueMax", NUMBER),
        many("learningObjectiveSet", Nested("LearningObjectiveSet")),
    ),
    description="An assessment, possibly outside any class (Assessment Results profile).",
)

ASSESSMENT_RESULT = Entity(
    "assessmentResult",
    "assessmentResults",
    G,
    (
        req("assessmentLineItem", Ref("assessmentLineItem")),
        req("student", Ref("user")),
        opt("score", NUMBER),
        opt("textScore", STRING),
        req("scoreDate", DATE),
        opt("scoreScale", Ref("scoreScale")),
        opt("scorePercentile", NUMBER),
        req("scoreStatus", v.SCORE_STATUS),
        opt("comment", STRING),
        many("learningObjectiveSet", Nested("LearningObjectiveScoreSet")),
        opt("inProgress", BOOLEAN),
        opt("incomplete", BOOLEAN),
        opt("late", BOOLEAN),
        opt("missing", BOOLEAN),
    ),
    description="A student's result on an assessment line item.",
)

# --------------------------------------------------------------------------------------------
# Resources (1.2)
# --------------------------------------------------------------------------------------------

RESOURCE = Entity(
    "resource",
    "resources",
    S,
    (
        opt("title", STRING),
        many("roles", v.RESOURCE_ROLE),
        opt("importance", v.IMPORTANCE),
        req("vendorResourceId", STRING),
        opt("vendorId", STRING),
        opt("applicationId", STRING),
    ),
    description="A learning resource of a vendor, assigned to courses, classes or users.",
)

# --------------------------------------------------------------------------------------------
# OneRoster 1.1: the differences from 1.2
# --------------------------------------------------------------------------------------------

USER_V1P1 = USER.evolve(
    fields=(
        # 1.1 has no roles[], userProfiles, primaryOrg, userMasterIdentifier, preferred names, pronouns
        # or resources; a single `role` and a required list of `orgs` take the place of roles[].
        req("username", STRING),
        many("userIds", Nested("UserId")),
        req("enabledUser", BOOLEAN),
        req("givenName", STRING),
        req("familyName", STRING),
        opt("middleName", STRING),
        req("role", v.USER_ROLE_V1P1),
        opt("identifier", STRING),
        opt("email", STRING),
        opt("sms", STRING),
        opt("phone", STRING),
        many("agents", Ref("user")),
        many("orgs", Ref("org"), min_items=1),
        many("grades", STRING),
        opt("password", STRING),
    )
)
# 1.1 required neither an org identifier nor a course code; a course belonged to an org.
ORG_V1P1 = ORG.evolve(change=(opt("identifier", STRING),))
COURSE_V1P1 = COURSE.evolve(change=(opt("courseCode", STRING), req("org", Ref("org"))))
DEMOGRAPHICS_V1P1 = DEMOGRAPHICS.evolve(change=(opt("sex", v.SEX_V1P1),))
# 1.1 line items belong to a grading period and always carry their score range; no school,
# academicSession, scoreScale or learning objectives.
LINE_ITEM_V1P1 = LINE_ITEM.evolve(
    fields=(
        req("title", STRING),
        opt("description", STRING),
        req("assignDate", DATETIME),
        req("dueDate", DATETIME),
        req("class", Ref("class")),
        req("category", Ref("category")),
        req("gradingPeriod", Ref("academicSession")),
        req("resultValueMin", NUMBER),
        req("resultValueMax", NUMBER),
    )
)
# 1.1 results always carry a numeric score and nothing beyond a comment.
RESULT_V1P1 = RESULT.evolve(
    fields=(
        req("lineItem", Ref("lineItem")),
        req("student", Ref("user")),
        req("scoreStatus", v.SCORE_STATUS),
        req("score", NUMBER),
        req("scoreDate", DATE),
        opt("comment", STRING),
    )
)
CATEGORY_V1P1 = CATEGORY.evolve(drop=("weight",))


@dataclass(frozen=True)
class VersionModel:
    """The entities and structures of one OneRoster version."""

    version: Version
    entities: tuple[Entity, ...]
    structures: tuple[Structure, ...]

    def entity(self, name: str) -> Entity:
        """The entity whose singular key is `name`."""
        for candidate in self.entities:
            if candidate.name == name:
                return candidate
        raise KeyError(f"OneRoster {self.version} has no entity {name!r}")

    def structure(self, name: str) -> Structure:
        """The embedded structure called `name`."""
        for candidate in self.structures:
            if candidate.name == name:
                return candidate
        raise KeyError(f"OneRoster {self.version} has no structure {name!r}")

    def has_entity(self, name: str) -> bool:
        """Whether this version has an entity with singular key `name`."""
        return any(candidate.name == name for candidate in self.entities)


V1P2 = VersionModel(
    Version.V1P2,
    (
        ACADEMIC_SESSION,
        CLASS,
        COURSE,
        DEMOGRAPHICS,
        ENROLLMENT,
        ORG,
        USER,
        CATEGORY,
        LINE_ITEM,
        RESULT,
        SCORE_SCALE,
        ASSESSMENT_LINE_ITEM,
        ASSESSMENT_RESULT,
        RESOURCE,
    ),
    (
        METADATA,
        USER_ID,
        CREDENTIAL,
        USER_PROFILE,
        ROLE,
        SCORE_SCALE_VALUE,
        LEARNING_OBJECTIVE_SET,
        LEARNING_OBJECTIVE_RESULTS,
        LEARNING_OBJECTIVE_SCORE_SET,
        GUID_PAIR,
    ),
)

V1P1 = VersionModel(
    Version.V1P1,
    (
        ACADEMIC_SESSION,
        CLASS,
        COURSE_V1P1,
        DEMOGRAPHICS_V1P1,
        ENROLLMENT,
        ORG_V1P1,
        USER_V1P1,
        CATEGORY_V1P1,
        LINE_ITEM_V1P1,
        RESULT_V1P1,
        RESOURCE,
    ),
    (METADATA, USER_ID),
)

MODELS: dict[Version, VersionModel] = {Version.V1P1: V1P1, Version.V1P2: V1P2}


def model_for(version: Version | str) -> VersionModel:
    """The model of a version given as `Version` or as "1.1" / "1.2"."""
    return MODELS[Version(version)]
