"""Refusals in the standard's envelope: malformed paging, bad filter, unknown filter field, unknown object."""

from __future__ import annotations

import uuid

from rosterlab.conformance.checks.common import code_minor, status_info
from rosterlab.conformance.exchange import Exchange
from rosterlab.conformance.model import Level, check
from rosterlab.conformance.target import Target

ERRORS = "REST binding: error handling (imsx_StatusInfo, imsx_CodeMinor; 1.1 statusInfoSet)"


def _refused(target: Target, exchange: Exchange, status: int, minors: tuple[str, ...] | None = None) -> None:
    if exchange.status != status:
        raise exchange.fail(f"expected HTTP {status}, got {exchange.status}")
    info = status_info(exchange, target.version)
    if info is None:
        raise exchange.fail("the body is not the version's status envelope")
    if info.get("imsx_codeMajor") != "failure":
        raise exchange.fail(f"imsx_codeMajor is {info.get('imsx_codeMajor')!r}, not 'failure'")
    minor = code_minor(info)
    if minor is None:
        raise exchange.fail("imsx_CodeMinor is not the nested imsx_codeMinorField list")
    if minors and minor not in minors:
        raise exchange.fail(f"code minor {minor!r}, expected one of {minors}")


@check("errors.bad-filter", "A malformed filter is refused with 400 in the envelope", ERRORS, Level.MUST)
def bad_filter(target: Target) -> None:
    _refused(target, target.get("getAllUsers", {"filter": "familyName=='x"}), 400)


MALFORMED_PAGING = ({"limit": "abc"}, {"limit": "-1"}, {"offset": "abc"}, {"offset": "-5"})


@check("errors.bad-paging", "Malformed limit and offset are refused with 400 in the envelope", ERRORS, Level.MUST)
def bad_paging(target: Target) -> None:
    for params in MALFORMED_PAGING:
        _refused(target, target.get("getAllUsers", params), 400)


@check("errors.unknown-filter-field", "A filter on an unknown field is 400 invalid_filter_field", ERRORS, Level.MUST)
def unknown_filter_field(target: Target) -> None:
    exchange = target.get("getAllUsers", {"filter": "shoeSize='42'"})
    _refused(target, exchange, 400, ("invalid_filter_field",))


@check("errors.unknown-object", "An unknown sourcedId is 404 unknownobject", ERRORS, Level.MUST)
def unknown_object(target: Target) -> None:
    exchange = target.get("getUser", sourcedId=f"no-such-user-{uuid.uuid4().hex[:8]}")
    _refused(target, exchange, 404, ("unknownobject",))


@check("errors.unknown-sort-field", "Sorting on an unknown field: 1.2 refuses with 400, 1.1 warns beside the data",
       ERRORS, Level.SHOULD)  # fmt: skip
def unknown_sort_field(target: Target) -> None:
    exchange = target.get("getAllUsers", {"sort": "shoeSize", "limit": "1"})
    if target.version == "1.2":
        _refused(target, exchange, 400)
        return
    if exchange.status == 400:
        _refused(target, exchange, 400)
        return
    infos = exchange.body.get("statusInfoSet") if isinstance(exchange.body, dict) else None
    minors = {code_minor(info) for info in infos or [] if isinstance(info, dict)}
    if exchange.status != 200 or "invalid_sort_field" not in minors:
        raise exchange.fail("an unknown sort field was neither refused nor warned about (invalid_sort_field)")
