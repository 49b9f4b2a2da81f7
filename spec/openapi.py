"""Render the model and the operation table as OpenAPI 3.0 documents, one per 1.1 binding and 1.2 service."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rosterlab.spec import scopes as sc
from rosterlab.spec import vocabularies as v
from rosterlab.spec.endpoints import Operation, OpKind, base_path, operations
from rosterlab.spec.entities import model_for
from rosterlab.spec.model import (
    EXT_PATTERN,
    Entity,
    Field,
    FieldType,
    Kind,
    Nested,
    Ref,
    Scalar,
    Service,
    Structure,
    Version,
    Vocabulary,
)

Schema = dict[str, Any]
OPENAPI_VERSION = "3.0.3"
DEFAULT_TOKEN_URL = "/oauth/token"
STATUS_INFO = "imsx_StatusInfoDType"
STATUS_INFO_SET = "imsx_StatusInfoSetDType"
INT32_MAX = 2**31 - 1
SERVER_SUPPLIED = ("sourcedId", "status", "dateLastModified")

_SCALARS: dict[Kind, Schema] = {
    Kind.STRING: {"type": "string"},
    Kind.DATE: {"type": "string", "format": "date"},
    Kind.DATETIME: {"type": "string", "format": "date-time"},
    Kind.YEAR: {"type": "string"},
    Kind.URI: {"type": "string", "format": "uri"},
    Kind.NUMBER: {"type": "number", "format": "float"},
}

_CODE_MINOR: dict[tuple[Version, Service], Vocabulary] = {
    (Version.V1P2, Service.ROSTERING): v.CODE_MINOR_ROSTERING,
    (Version.V1P2, Service.GRADEBOOK): v.CODE_MINOR_GRADEBOOK,
    (Version.V1P2, Service.RESOURCES): v.CODE_MINOR_RESOURCES,
}


@dataclass(frozen=True)
class Document:
    """One OpenAPI document: a version and the services it describes."""

    name: str  # file stem under spec/openapi/
    version: Version
    services: tuple[Service, ...]
    title: str

    @property
    def base_path(self) -> str:
        """The base path of every operation in the document."""
        return base_path(self.version, self.services[0])

    @property
    def filename(self) -> str:
        """The file name of the rendered document."""
        return self.name + ".json"


DOCUMENTS: tuple[Document, ...] = (
    Document("oneroster-v1p1", Version.V1P1, tuple(Service), "OneRoster 1.1"),
    Document("oneroster-v1p2-rostering", Version.V1P2, (Service.ROSTERING,), "OneRoster 1.2 Rostering"),
    Document("oneroster-v1p2-gradebook", Version.V1P2, (Service.GRADEBOOK,), "OneRoster 1.2 Gradebook"),
    Document("oneroster-v1p2-resources", Version.V1P2, (Service.RESOURCES,), "OneRoster 1.2 Resources"),
)


def document(name: str) -> Document:
    """The document called `name` (e.g. "oneroster-v1p2-rostering")."""
    for candidate in DOCUMENTS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def schema_name(entity: Entity, role: str) -> str:
    """The component name of an entity's schema; role is "item", "set", "single" or "ref"."""
    if role == "item":
        return f"{entity.stem}DType"
    if role == "set":
        return f"{entity.set_stem or entity.stem}SetDType"
    if role == "single":
        return f"Single{entity.stem}DType"
    if role == "ref":
        return f"{entity.ref_stem or entity.stem}GUIDRefDType"
    raise ValueError(role)


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _camel_words(identifier: str) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", identifier).lower()
    return words[0].upper() + words[1:]


class _SchemaBuilder:
    """Collects the component schemas that one document's operations reach."""

    def __init__(self, version: Version, service: Service) -> None:
        self.version = version
        self.model = model_for(version)
        self.service = service
        self.schemas: dict[str, Schema] = {}

    # -- field types -------------------------------------------------------------------------

    def type_schema(self, type_: FieldType) -> Schema:
        if isinstance(type_, Scalar):
            if type_.kind is Kind.BOOLEAN:
                # 1.2 JSON carries every boolean as the string "true" or "false".
                if self.version is Version.V1P2:
                    return {"type": "string", "enum": ["true", "false"]}
                return {"type": "boolean"}
            return dict(_SCALARS[type_.kind])
        if isinstance(type_, Vocabulary):
            closed = {"type": "string", "enum": list(type_.values)}
            if type_.extensible and self.version is Version.V1P2:
                return {"anyOf": [closed, {"type": "string", "pattern": EXT_PATTERN}]}
            return closed
        if isinstance(type_, Ref):
            return _ref(self.guid_ref(type_.target))
        if isinstance(type_, Nested):
            return _ref(self.structure(self.model.structure(type_.structure)))
        raise TypeError(type_)

    def field_schema(self, field: Field, written: bool = False) -> Schema:
        if written and isinstance(field.type, Ref):
            item = _ref(self.guid_ref_input(field.type.target))
        else:
            item = self.type_schema(field.type)
        if field.many:
            return {"type": "array", "items": item, "minItems": field.min_items}
        return item

    def object_schema(
        self, fields: tuple[Field, ...], description: str, open_: bool = False, written: bool = False
    ) -> Schema:
        schema: Schema = {"type": "object"}
        if description:
            schema["description"] = description
        schema["properties"] = {f.name: self.field_schema(f, written) for f in fields}
        # In a written object the path gives the sourcedId and the server sets status and dateLastModified.
        required = [f.name for f in fields if f.required and not (written and f.name in SERVER_SUPPLIED)]
        if required:
            schema["required"] = required
        schema["additionalProperties"] = open_
        return schema

    # -- named components --------------------------------------------------------------------

    def structure(self, structure: Structure) -> str:
        name = f"{structure.name}DType"
        if name not in self.schemas:
            self.schemas[name] = {}  # reserve the name first: structures may refer to each other
            self.schemas[name] = self.object_schema(structure.fields, "", structure.open)
        return name

    def guid_ref(self, target: str) -> str:
        if self.version is Version.V1P1:
            name = "GUIDRefDType"
            type_schema = {"type": "string", "enum": list(v.GUIDREF_TYPE_V1P1.values)}
        else:
            name = schema_name(self.model.entity(target), "ref")
            type_schema = {"type": "string", "enum": [target]}
        self.schemas.setdefault(
            name,
            {
                "type": "object",
                "description": "A reference to another object by its sourcedId.",
                "properties": {
                    "href": {"type": "string", "format": "uri"},
                    "sourcedId": {"type": "string"},
                    "type": type_schema,
                },
                "required": ["href", "sourcedId", "type"],
                "additionalProperties": False,
            },
        )
        return name

    def guid_ref_input(self, target: str) -> str:
        """A GUIDRef as a client may write it: the sourcedId is enough."""
        full = self.schemas[self.guid_ref(target)]
        name = self.guid_ref(target).replace("GUIDRefDType", "GUIDRefInputDType")
        self.schemas.setdefault(
            name,
            {
                "type": "object",
                "description": "A reference in a written object: href and type may be left out.",
                "properties": full["properties"],
                "required": ["sourcedId"],
                "additionalProperties": False,
            },
        )
        return name

    def entity_input(self, entity: Entity) -> str:
        name = schema_name(entity, "item").replace("DType", "InputDType")
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self.object_schema(entity.all_fields, entity.description, written=True)
        return name

    def entity(self, entity: Entity) -> str:
        name = schema_name(entity, "item")
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self.object_schema(entity.all_fields, entity.description)
        return name

    def _payload(self, key: str, value: Schema) -> Schema:
        properties = {key: value}
        if self.version is Version.V1P1:
            # 1.1 providers send warnings (unknown sort or selection field) beside the data.
            properties["statusInfoSet"] = {"type": "array", "items": _ref(STATUS_INFO)}
        return {"type": "object", "properties": properties, "required": [key], "additionalProperties": False}

    def entity_set(self, entity: Entity) -> str:
        name = schema_name(entity, "set")
        item = self.entity(entity)
        self.status_info()
        self.schemas[name] = self._payload(entity.plural, {"type": "array", "items": _ref(item), "minItems": 0})
        return name

    def entity_single(self, entity: Entity) -> str:
        name = schema_name(entity, "single")
        self.status_info()
        self.schemas[name] = self._payload(entity.single, _ref(self.entity(entity)))
        return name

    def guid_pairs(self) -> str:
        pair = self.structure(self.model.structure("GUIDPair"))
        self.schemas["GUIDPairSetDType"] = {
            "type": "object",
            "properties": {"sourcedIdPairs": {"type": "array", "items": _ref(pair), "minItems": 0}},
            "required": ["sourcedIdPairs"],
            "additionalProperties": False,
        }
        return "GUIDPairSetDType"

    def status_info(self) -> str:
        code_minor = _CODE_MINOR.get((self.version, self.service), v.CODE_MINOR_V1P1)
        self.schemas["imsx_CodeMinorFieldDType"] = {
            "type": "object",
            "properties": {
                "imsx_codeMinorFieldName": {"type": "string", "default": "TargetEndSystem"},
                "imsx_codeMinorFieldValue": {"type": "string", "enum": list(code_minor.values)},
            },
            "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
            "additionalProperties": False,
        }
        self.schemas["imsx_CodeMinorDType"] = {
            "type": "object",
            "properties": {
                "imsx_codeMinorField": {
                    "type": "array",
                    "items": _ref("imsx_CodeMinorFieldDType"),
                    "minItems": 1,
                }
            },
            "required": ["imsx_codeMinorField"],
            "additionalProperties": False,
        }
        self.schemas[STATUS_INFO] = {
            "type": "object",
            "description": "Why a request failed (or, in 1.1, a warning beside the data).",
            "properties": {
                "imsx_codeMajor": {"type": "string", "enum": list(v.CODE_MAJOR.values)},
                "imsx_severity": {"type": "string", "enum": list(v.SEVERITY.values)},
                "imsx_description": {"type": "string"},
                "imsx_CodeMinor": _ref("imsx_CodeMinorDType"),
            },
            "required": ["imsx_codeMajor", "imsx_severity"],
            "additionalProperties": False,
        }
        if self.version is Version.V1P2:
            return STATUS_INFO
        # 1.1 providers wrap status reports in a `statusInfoSet` array.
        self.schemas[STATUS_INFO_SET] = {
            "type": "object",
            "properties": {"statusInfoSet": {"type": "array", "items": _ref(STATUS_INFO), "minItems": 1}},
            "required": ["statusInfoSet"],
            "additionalProperties": False,
        }
        return STATUS_INFO_SET


# -- parameters ------------------------------------------------------------------------------


def _query(name: str, description: str, schema: Schema, **extra: Any) -> Schema:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "required": False,
        "schema": schema,
        "style": "form",
        "allowEmptyValue": False,
        **extra,
    }


# What a field name (or a dotted path to one) looks like; anything else in `fields` or `sort` is malformed.
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"

FIELDS_PARAMETER = _query(
    "fields",
    "The fields to return, comma-separated (fields=sourcedId,familyName).",
    {"type": "array", "items": {"type": "string", "pattern": FIELD_NAME_PATTERN}},
    explode=False,
)
PAGING_PARAMETERS = (
    _query(
        "limit",
        "The largest number of records to return (default 100); a provider may cap it.",
        {"type": "integer", "format": "int32", "default": 100, "minimum": 1, "maximum": INT32_MAX},
    ),
    _query(
        "offset",
        "The zero-based index of the first record to return.",
        {"type": "integer", "format": "int32", "default": 0, "minimum": 0, "maximum": INT32_MAX},
    ),
    _query("sort", "The field to sort the records by.", {"type": "string", "pattern": FIELD_NAME_PATTERN}),
    _query("orderBy", "The direction of the sort.", {"type": "string", "enum": ["asc", "desc"]}),
    _query(
        "filter",
        "A filter expression, e.g. familyName='Jones' AND dateLastModified>'2024-01-01T00:00:00Z'.",
        {"type": "string"},
    ),
    FIELDS_PARAMETER,
)


def _path_parameter(name: str) -> Schema:
    what = "this object" if name == "sourcedId" else "the " + _camel_words(name[: -len("SourcedId")]).lower()
    return {
        "name": name,
        "in": "path",
        "description": f"The sourcedId of {what}.",
        "required": True,
        "schema": {"type": "string"},
        "style": "simple",
    }


# -- operations ------------------------------------------------------------------------------

_ERRORS: dict[str, str] = {
    "400": "The request is malformed: a bad filter, sort, fields, paging value or body.",
    "401": "Missing, invalid or expired credentials (unauthorisedrequest).",
    "403": "The credentials do not grant this operation (forbidden).",
    "404": "No object has this sourcedId, or the parent in the path does not exist (unknownobject).",
    "422": "The body is well-formed but its content is wrong (invaliddata).",
    "429": "Too many requests; retry later (server_busy).",
    "500": "The provider failed (internal_server_error).",
    "default": "Any other failure.",
}


def _error_codes(op: Operation) -> tuple[str, ...]:
    codes = ["400", "401", "403"]
    if op.kind is not OpKind.COLLECTION or op.parents:
        codes.append("404")
    return (*codes, "422", "429", "500", "default")


def _success_responses(op: Operation, builder: _SchemaBuilder) -> dict[str, Schema]:
    entity = op.entity_in(builder.version)
    if op.kind is OpKind.COLLECTION:
        return {
            "200": {
                "description": "A page of the collection (possibly empty).",
                "headers": {
                    "X-Total-Count": {
                        "description": "How many records match the query, across all pages.",
                        "schema": {"type": "integer"},
                    },
                    "Link": {
                        "description": "RFC 8288 links to the first, prev, next and last pages.",
                        "schema": {"type": "string"},
                    },
                },
                "content": {"application/json": {"schema": _ref(builder.entity_set(entity))}},
            }
        }
    if op.kind is OpKind.SINGLE:
        return {
            "200": {
                "description": "The object.",
                "content": {"application/json": {"schema": _ref(builder.entity_single(entity))}},
            }
        }
    if op.kind is OpKind.PUT:
        stem = op.operation_id.removeprefix("put")
        links = {
            f"Get{stem}": {"operationId": f"get{stem}", "parameters": {"sourcedId": "$request.path.sourcedId"}},
            f"Delete{stem}": {"operationId": f"delete{stem}", "parameters": {"sourcedId": "$request.path.sourcedId"}},
        }
        return {
            "200": {"description": "An existing object was replaced.", "links": links},
            "201": {"description": "The object was created.", "links": links},
        }
    if op.kind is OpKind.DELETE:
        return {"204": {"description": "The object was deleted."}}
    return {
        "201": {
            "description": "Created; each supplied sourcedId is paired with the one allocated.",
            "content": {"application/json": {"schema": _ref(builder.guid_pairs())}},
        }
    }


def _request_body(op: Operation, builder: _SchemaBuilder) -> Schema | None:
    entity = op.entity_in(builder.version)
    item = _ref(builder.entity_input(entity)) if op.kind in (OpKind.PUT, OpKind.CREATE_MANY) else None
    if op.kind is OpKind.PUT:
        schema = schema_name(entity, "single").replace("DType", "InputDType")
        builder.schemas[schema] = {
            "type": "object",
            "properties": {entity.single: item},
            "required": [entity.single],
            "additionalProperties": False,
        }
    elif op.kind is OpKind.CREATE_MANY:
        schema = schema_name(entity, "set").replace("DType", "InputDType")
        builder.schemas[schema] = {
            "type": "object",
            "properties": {entity.plural: {"type": "array", "items": item, "minItems": 1}},
            "required": [entity.plural],
            "additionalProperties": False,
        }
    else:
        return None
    return {
        "description": f"The {_camel_words(entity.name).lower()} data to store.",
        "required": True,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _security(op: Operation, version: Version) -> list[Schema]:
    requirements: list[Schema] = [{"OAuth1": []}] if version is Version.V1P1 else []
    # One requirement object per scope: any one of the listed scopes grants the operation.
    requirements += [{"OAuth2CC": [sc.scope_uri(version, name)]} for name in op.scopes_in(version)]
    return requirements


def _operation(op: Operation, builder: _SchemaBuilder) -> Schema:
    error_schema = _ref(builder.status_info())
    parameters = [_path_parameter(name) for name in op.path_parameters]
    if op.kind is OpKind.COLLECTION:
        parameters += PAGING_PARAMETERS
    elif op.kind is OpKind.SINGLE:
        parameters.append(FIELDS_PARAMETER)
    responses = _success_responses(op, builder)
    for code in _error_codes(op):
        responses[code] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": error_schema}},
        }
    rendered: Schema = {
        "operationId": op.operation_id,
        "summary": _camel_words(op.operation_id) + ".",
        "tags": [op.tag],
        "parameters": parameters,
    }
    body = _request_body(op, builder)
    if body:
        rendered["requestBody"] = body
    rendered["responses"] = responses
    rendered["security"] = _security(op, builder.version)
    return rendered


def _security_schemes(document: Document, token_url: str) -> Schema:
    scheme_scopes = {
        sc.scope_uri(document.version, name): sc.DESCRIPTIONS[name]
        for service in document.services
        for op in operations(document.version, service)
        for name in op.scopes_in(document.version)
    }
    schemes: Schema = {}
    if document.version is Version.V1P1:
        schemes["OAuth1"] = {
            "type": "http",
            "scheme": "OAuth",
            "description": "OAuth 1.0a two-legged request signing (HMAC-SHA1 or HMAC-SHA256).",
        }
    schemes["OAuth2CC"] = {
        "type": "oauth2",
        "description": "OAuth 2.0 client credentials; bearer tokens carry the scopes granted.",
        "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": dict(sorted(scheme_scopes.items()))}},
    }
    return schemes


def build(document: Document, token_url: str = DEFAULT_TOKEN_URL) -> Schema:
    """The OpenAPI document as a dict, ready for `json.dumps`."""
    paths: dict[str, Schema] = {}
    tags: set[str] = set()
    schemas: dict[str, Schema] = {}
    for service in document.services:
        builder = _SchemaBuilder(document.version, service)
        for op in operations(document.version, service):
            paths.setdefault(op.path, {})[op.method] = _operation(op, builder)
            tags.add(op.tag)
        schemas.update(builder.schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{document.title} (rosterlab)",
            "version": document.version.value,
            "description": (
                f"The {document.title} REST binding as served by the rosterlab mock SIS. "
                "Generated from rosterlab's model of the standard; do not edit by hand."
            ),
        },
        "servers": [{"url": document.base_path}],
        "tags": [{"name": tag} for tag in sorted(tags)],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": _security_schemes(document, token_url),
            "schemas": dict(sorted(schemas.items())),
        },
    }
