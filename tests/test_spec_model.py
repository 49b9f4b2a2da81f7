"""The model of the standard is complete and consistent with itself."""

from __future__ import annotations

import pytest

from rosterlab.spec import scopes as sc
from rosterlab.spec.endpoints import PATH_PARAMETERS, OpKind, base_path, operation, operations
from rosterlab.spec.entities import MODELS, model_for
from rosterlab.spec.model import Nested, Ref, Service, Version


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.1", {Service.ROSTERING: 41, Service.GRADEBOOK: 16, Service.RESOURCES: 4}),
        ("1.2", {Service.ROSTERING: 41, Service.GRADEBOOK: 35, Service.RESOURCES: 5}),
    ],
)
def test_every_operation_of_each_version_is_modelled(version, expected):
    assert {service: len(operations(version, service)) for service in Service} == expected


def test_operation_ids_are_unique_within_a_version():
    for version in Version:
        ids = [op.operation_id for op in operations(version)]
        assert len(ids) == len(set(ids)), version


def test_1p2_has_four_create_many_operations_and_1p1_none():
    assert sum(op.kind is OpKind.CREATE_MANY for op in operations("1.2")) == 4
    assert not [op for op in operations("1.1") if op.kind is OpKind.CREATE_MANY]


@pytest.mark.parametrize("version", list(Version))
def test_every_reference_and_structure_resolves(version):
    model = model_for(version)
    for entity in model.entities:
        for field in entity.all_fields:
            if isinstance(field.type, Ref):
                assert model.has_entity(field.type.target), (entity.name, field.name)
            if isinstance(field.type, Nested):
                model.structure(field.type.structure)
    for structure in model.structures:
        for field in structure.fields:
            if isinstance(field.type, Nested):
                model.structure(field.type.structure)


@pytest.mark.parametrize("version", list(Version))
def test_every_operation_names_an_entity_and_known_path_parameters(version):
    for op in operations(version):
        assert model_for(version).has_entity(op.entity), op.operation_id
        for name in op.parents:
            assert name in PATH_PARAMETERS, (op.operation_id, name)
        assert op.scopes_in(version), f"{op.operation_id} has no scope in {version}"
        for name in op.scopes_in(version):
            assert name in sc.SCOPES_BY_VERSION[version]


@pytest.mark.parametrize(
    ("operation_id", "version", "key"),
    [
        ("getAllSchools", "1.2", "orgs"),
        ("getSchool", "1.1", "org"),
        ("getAllTerms", "1.2", "academicSessions"),
        ("getGradingPeriodsForTerm", "1.2", "academicSessions"),
        ("getStudentsForClass", "1.1", "users"),
        ("getDemographics", "1.2", "demographics"),
        ("getDemographics", "1.1", "demographics"),
        ("getAllCategories", "1.2", "categories"),
        ("postResultsForLineItem", "1.2", "sourcedIdPairs"),
        ("putLineItem", "1.2", None),
        ("deleteResult", "1.1", None),
    ],
)
def test_response_keys_follow_the_base_entity(operation_id, version, key):
    assert operation(operation_id).response_key(version) == key


def test_request_keys_of_writes():
    assert operation("putLineItem").request_key("1.2") == "lineItem"
    assert operation("postLineItemsForClass").request_key("1.2") == "lineItems"
    assert operation("getAllUsers").request_key("1.2") is None


def test_core_reads_accept_either_roster_scope_and_demographics_only_their_own():
    assert operation("getAllUsers").scopes_in("1.2") == (sc.ROSTER, sc.ROSTER_CORE)
    assert operation("getStudentsForClass").scopes_in("1.2") == (sc.ROSTER,)
    assert operation("getAllDemographics").scopes_in("1.1") == (sc.ROSTER_DEMOGRAPHICS,)
    # 1.1 has no -core scopes for gradebook or resources.
    assert operation("getAllLineItems").scopes_in("1.1") == (sc.GRADEBOOK,)
    assert operation("getAllResources").scopes_in("1.1") == (sc.RESOURCE,)


def test_scope_uris_carry_the_version():
    assert sc.scope_uri("1.1", sc.ROSTER) == "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"
    assert sc.scope_name(sc.scope_uri("1.2", sc.GRADEBOOK_PUT)) == sc.GRADEBOOK_PUT


def test_base_paths():
    assert base_path("1.1", Service.GRADEBOOK) == "/ims/oneroster/v1p1"
    assert base_path("1.2", Service.RESOURCES) == "/ims/oneroster/resources/v1p2"


def test_version_differences_are_in_the_model():
    v11, v12 = MODELS[Version.V1P1], MODELS[Version.V1P2]
    assert v11.entity("user").has_field("role") and not v11.entity("user").has_field("roles")
    assert v12.entity("user").has_field("roles") and not v12.entity("user").has_field("role")
    assert v11.entity("user").field("orgs").required
    assert v12.entity("user").has_field("primaryOrg")
    assert not v11.entity("org").field("identifier").required
    assert v12.entity("org").field("identifier").required
    assert v11.entity("result").field("score").required
    assert not v12.entity("result").field("score").required
    assert v11.entity("lineItem").field("gradingPeriod").required
    assert not v11.has_entity("scoreScale") and v12.has_entity("scoreScale")


def test_evolving_an_entity_refuses_unknown_fields():
    with pytest.raises(KeyError):
        model_for("1.2").entity("org").evolve(drop=("nonsense",))
