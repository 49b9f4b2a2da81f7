"""Every REST operation of OneRoster 1.1 and 1.2: path, method, operationId, payload keys and scopes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rosterlab.spec import scopes as sc
from rosterlab.spec.entities import model_for
from rosterlab.spec.model import Entity, Service, Version

BOTH = frozenset({Version.V1P1, Version.V1P2})
ONLY_1P2 = frozenset({Version.V1P2})


class OpKind(StrEnum):
    """What an operation does."""

    COLLECTION = "collection"  # GET a (possibly nested) collection
    SINGLE = "single"  # GET one object by sourcedId
    PUT = "put"  # create or replace one object whose sourcedId the client supplies
    DELETE = "delete"
    CREATE_MANY = "createMany"  # POST many objects; the server allocates their sourcedIds


@dataclass(frozen=True)
class Selection:
    """A subset of an entity that an endpoint stands for: `/schools` are the orgs of type school."""

    field: str  # "type" (orgs, academic sessions) or "role" (users: 1.1 `role`, 1.2 `roles[].role`)
    value: str


SCHOOL = Selection("type", "school")
TERM = Selection("type", "term")
GRADING_PERIOD = Selection("type", "gradingPeriod")
STUDENT = Selection("role", "student")
TEACHER = Selection("role", "teacher")

# What the sourcedId in a path parameter identifies: (entity, the subset it must belong to).
PATH_PARAMETERS: dict[str, tuple[str, Selection | None]] = {
    "schoolSourcedId": ("org", SCHOOL),
    "classSourcedId": ("class", None),
    "courseSourcedId": ("course", None),
    "termSourcedId": ("academicSession", TERM),
    "academicSessionSourcedId": ("academicSession", None),
    "studentSourcedId": ("user", STUDENT),
    "teacherSourcedId": ("user", TEACHER),
    "userSourcedId": ("user", None),
    "lineItemSourcedId": ("lineItem", None),
}


@dataclass(frozen=True)
class Operation:
    """One REST operation of the standard."""

    operation_id: str
    method: str
    path: str  # relative to the service's base path, e.g. "/classes/{classSourcedId}/students"
    kind: OpKind
    entity: str  # singular key of the entity returned or written
    scopes: tuple[str, ...]  # short scope names, any one of which grants the operation
    versions: frozenset[Version] = BOTH
    selection: Selection | None = None

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """Names of the path parameters, in order."""
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def parents(self) -> tuple[str, ...]:
        """Path parameters that name a parent object (everything but the object's own sourcedId)."""
        return tuple(name for name in self.path_parameters if name != "sourcedId")

    @property
    def tag(self) -> str:
        """The tag of the operation: the management group of its first path segment."""
        first = self.path.split("/")[1]
        return first[0].upper() + first[1:] + "Management"

    def entity_in(self, version: Version | str) -> Entity:
        """The entity this operation returns or writes, in `version`."""
        return model_for(version).entity(self.entity)

    def service(self) -> Service:
        """The service this operation belongs to."""
        return SERVICE_OF_OPERATION[self.operation_id]

    def scopes_in(self, version: Version | str) -> tuple[str, ...]:
        """The scopes of this operation that exist in `version`."""
        available = sc.SCOPES_BY_VERSION[Version(version)]
        return tuple(name for name in self.scopes if name in available)

    def response_key(self, version: Version | str) -> str | None:
        """The key of the success payload, or None when the success response has no body."""
        entity = self.entity_in(version)
        return {
            OpKind.COLLECTION: entity.plural,
            OpKind.SINGLE: entity.single,
            OpKind.CREATE_MANY: "sourcedIdPairs",
        }.get(self.kind)

    def request_key(self, version: Version | str) -> str | None:
        """The key of the request body, or None when the operation takes no body."""
        entity = self.entity_in(version)
        return {OpKind.PUT: entity.single, OpKind.CREATE_MANY: entity.plural}.get(self.kind)


def _reads(
    collection_id: str,
    single_id: str,
    path: str,
    entity: str,
    scopes: tuple[str, ...],
    *,
    selection: Selection | None = None,
    versions: frozenset[Version] = BOTH,
) -> tuple[Operation, ...]:
    """The collection and single-object GETs of one endpoint."""
    return (
        Operation(collection_id, "get", path, OpKind.COLLECTION, entity, scopes, versions, selection),
        Operation(single_id, "get", path + "/{sourcedId}", OpKind.SINGLE, entity, scopes, versions, selection),
    )


def _writes(
    stem: str, path: str, entity: str, put: str, delete: str, *, versions: frozenset[Version] = BOTH
) -> tuple[Operation, ...]:
    """The PUT and DELETE of one gradebook endpoint."""
    item = path + "/{sourcedId}"
    return (
        Operation("put" + stem, "put", item, OpKind.PUT, entity, (put,), versions),
        Operation("delete" + stem, "delete", item, OpKind.DELETE, entity, (delete,), versions),
    )


def _nested(
    operation_id: str,
    path: str,
    entity: str,
    scopes: tuple[str, ...],
    *,
    selection: Selection | None = None,
    versions: frozenset[Version] = BOTH,
) -> Operation:
    return Operation(operation_id, "get", path, OpKind.COLLECTION, entity, scopes, versions, selection)


def _create_many(operation_id: str, path: str, entity: str) -> Operation:
    return Operation(operation_id, "post", path, OpKind.CREATE_MANY, entity, (sc.GRADEBOOK_POST,), ONLY_1P2)


_CORE = (sc.ROSTER, sc.ROSTER_CORE)
_ROSTER = (sc.ROSTER,)

ROSTERING: tuple[Operation, ...] = (
    *_reads("getAllAcademicSessions", "getAcademicSession", "/academicSessions", "academicSession", _CORE),
    *_reads("getAllClasses", "getClass", "/classes", "class", _CORE),
    *_reads("getAllCourses", "getCourse", "/courses", "course", _CORE),
    *_reads("getAllDemographics", "getDemographics", "/demographics", "demographics", (sc.ROSTER_DEMOGRAPHICS,)),
    *_reads("getAllEnrollments", "getEnrollment", "/enrollments", "enrollment", _CORE),
    *_reads(
        "getAllGradingPeriods",
        "getGradingPeriod",
        "/gradingPeriods",
        "academicSession",
        _CORE,
        selection=GRADING_PERIOD,
    ),
    *_reads("getAllOrgs", "getOrg", "/orgs", "org", _CORE),
    *_reads("getAllSchools", "getSchool", "/schools", "org", _CORE, selection=SCHOOL),
    *_reads("getAllStudents", "getStudent", "/students", "user", _CORE, selection=STUDENT),
    *_reads("getAllTeachers", "getTeacher", "/teachers", "user", _CORE, selection=TEACHER),
    *_reads("getAllTerms", "getTerm", "/terms", "academicSession", _CORE, selection=TERM),
    *_reads("getAllUsers", "getUser", "/users", "user", _CORE),
    _nested("getStudentsForClass", "/classes/{classSourcedId}/students", "user", _ROSTER, selection=STUDENT),
    _nested("getTeachersForClass", "/classes/{classSourcedId}/teachers", "user", _ROSTER, selection=TEACHER),
    _nested("getClassesForCourse", "/courses/{courseSourcedId}/classes", "class", _ROSTER),
    _nested("getClassesForSchool", "/schools/{schoolSourcedId}/classes", "class", _ROSTER),
    _nested(
        "getEnrollmentsForClassInSchool",
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments",
        "enrollment",
        _ROSTER,
    ),
    _nested(
        "getStudentsForClassInSchool",
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
        "user",
        _ROSTER,
        selection=STUDENT,
    ),
    _nested(
        "getTeachersForClassInSchool",
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
        "user",
        _ROSTER,
        selection=TEACHER,
    ),
    _nested("getCoursesForSchool", "/schools/{schoolSourcedId}/courses", "course", _ROSTER),
    _nested("getEnrollmentsForSchool", "/schools/{schoolSourcedId}/enrollments", "enrollment", _ROSTER),
    _nested("getStudentsForSchool", "/schools/{schoolSourcedId}/students", "user", _ROSTER, selection=STUDENT),
    _nested("getTeachersForSchool", "/schools/{schoolSourcedId}/teachers", "user", _ROSTER, selection=TEACHER),
    _nested("getTermsForSchool", "/schools/{schoolSourcedId}/terms", "academicSession", _ROSTER, selection=TERM),
    _nested("getClassesForStudent", "/students/{studentSourcedId}/classes", "class", _ROSTER),
    _nested("getClassesForTeacher", "/teachers/{teacherSourcedId}/classes", "class", _ROSTER),
    _nested("getClassesForTerm", "/terms/{termSourcedId}/classes", "class", _ROSTER),
    _nested(
        "getGradingPeriodsForTerm",
        "/terms/{termSourcedId}/gradingPeriods",
        "academicSession",
        _ROSTER,
        selection=GRADING_PERIOD,
    ),
    _nested("getClassesForUser", "/users/{userSourcedId}/classes", "class", _ROSTER),
)

_GB_CORE = (sc.GRADEBOOK, sc.GRADEBOOK_CORE)
_GB = (sc.GRADEBOOK,)
_PUT, _DELETE = sc.GRADEBOOK_PUT, sc.GRADEBOOK_DELETE

GRADEBOOK: tuple[Operation, ...] = (
    *_reads("getAllCategories", "getCategory", "/categories", "category", _GB_CORE),
    *_writes("Category", "/categories", "category", _PUT, _DELETE),
    _nested("getCategoriesForClass", "/classes/{classSourcedId}/categories", "category", _GB, versions=ONLY_1P2),
    *_reads("getAllLineItems", "getLineItem", "/lineItems", "lineItem", _GB_CORE),
    *_writes("LineItem", "/lineItems", "lineItem", _PUT, _DELETE),
    _nested("getLineItemsForClass", "/classes/{classSourcedId}/lineItems", "lineItem", _GB),
    _create_many("postLineItemsForClass", "/classes/{classSourcedId}/lineItems", "lineItem"),
    _create_many("postLineItemsForSchool", "/schools/{schoolSourcedId}/lineItems", "lineItem"),
    *_reads("getAllResults", "getResult", "/results", "result", _GB_CORE),
    *_writes("Result", "/results", "result", _PUT, _DELETE),
    _nested("getResultsForClass", "/classes/{classSourcedId}/results", "result", _GB),
    _nested(
        "getResultsForLineItemForClass",
        "/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results",
        "result",
        _GB,
    ),
    _nested(
        "getResultsForStudentForClass",
        "/classes/{classSourcedId}/students/{studentSourcedId}/results",
        "result",
        _GB,
    ),
    _create_many("postResultsForLineItem", "/lineItems/{lineItemSourcedId}/results", "result"),
    _create_many(
        "postResultsForAcademicSessionForClass",
        "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results",
        "result",
    ),
    *_reads("getAllScoreScales", "getScoreScale", "/scoreScales", "scoreScale", _GB_CORE, versions=ONLY_1P2),
    *_writes("ScoreScale", "/scoreScales", "scoreScale", _PUT, _DELETE, versions=ONLY_1P2),
    _nested(
        "getScoreScalesForClass",
        "/classes/{classSourcedId}/scoreScales",
        "scoreScale",
        _GB,
        versions=ONLY_1P2,
    ),
    _nested(
        "getScoreScalesForSchool",
        "/schools/{schoolSourcedId}/scoreScales",
        "scoreScale",
        _GB,
        versions=ONLY_1P2,
    ),
    *_reads(
        "getAllAssessmentLineItems",
        "getAssessmentLineItem",
        "/assessmentLineItems",
        "assessmentLineItem",
        (sc.ASSESSMENT,),
        versions=ONLY_1P2,
    ),
    *_writes(
        "AssessmentLineItem",
        "/assessmentLineItems",
        "assessmentLineItem",
        sc.ASSESSMENT_PUT,
        sc.ASSESSMENT_DELETE,
        versions=ONLY_1P2,
    ),
    *_reads(
        "getAllAssessmentResults",
        "getAssessmentResult",
        "/assessmentResults",
        "assessmentResult",
        (sc.ASSESSMENT,),
        versions=ONLY_1P2,
    ),
    *_writes(
        "AssessmentResult",
        "/assessmentResults",
        "assessmentResult",
        sc.ASSESSMENT_PUT,
        sc.ASSESSMENT_DELETE,
        versions=ONLY_1P2,
    ),
)

_RES = (sc.RESOURCE,)

RESOURCES: tuple[Operation, ...] = (
    *_reads("getAllResources", "getResource", "/resources", "resource", (sc.RESOURCE, sc.RESOURCE_CORE)),
    _nested("getResourcesForClass", "/classes/{classSourcedId}/resources", "resource", _RES),
    _nested("getResourcesForCourse", "/courses/{courseSourcedId}/resources", "resource", _RES),
    _nested("getResourcesForUser", "/users/{userSourcedId}/resources", "resource", _RES, versions=ONLY_1P2),
)

OPERATIONS_BY_SERVICE: dict[Service, tuple[Operation, ...]] = {
    Service.ROSTERING: ROSTERING,
    Service.GRADEBOOK: GRADEBOOK,
    Service.RESOURCES: RESOURCES,
}
SERVICE_OF_OPERATION: dict[str, Service] = {
    op.operation_id: service for service, ops in OPERATIONS_BY_SERVICE.items() for op in ops
}


def operations(version: Version | str, service: Service | None = None) -> tuple[Operation, ...]:
    """The operations of a version, optionally of one service only."""
    version = Version(version)
    services = [service] if service else list(Service)
    return tuple(op for svc in services for op in OPERATIONS_BY_SERVICE[svc] if version in op.versions)


def operation(operation_id: str) -> Operation:
    """The operation with this operationId."""
    for ops in OPERATIONS_BY_SERVICE.values():
        for op in ops:
            if op.operation_id == operation_id:
                return op
    raise KeyError(operation_id)


def base_path(version: Version | str, service: Service) -> str:
    """The base path of a service: one for all of 1.1, one per service in 1.2."""
    version = Version(version)
    if version is Version.V1P1:
        return "/ims/oneroster/v1p1"
    return f"/ims/oneroster/{service.value}/{version.slug}"
