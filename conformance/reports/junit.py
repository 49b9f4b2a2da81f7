"""JUnit XML, for CI systems: a test suite per version, a test case per check; failures carry the evidence,
checks that could not run are errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rosterlab.conformance.model import Report
from rosterlab.conformance.reports.data import report_data


def _suite(report: Report) -> ET.Element:
    data = report_data(report)
    suite = ET.Element(
        "testsuite",
        name=f"rosterlab check {data['target']} (OneRoster {data['version']})",
        tests=str(len(data["results"])),
        failures=str(data["counts"]["fail"]),
        errors=str(data["counts"]["error"]),
        skipped=str(data["counts"]["skip"]),
        timestamp=data["started"],
    )
    for result in data["results"]:
        case = ET.SubElement(suite, "testcase", classname=f"oneroster.{result['level']}", name=result["id"],
                             time=str(result["seconds"]))  # fmt: skip
        if result["status"] in ("fail", "error"):
            node = ET.SubElement(case, "failure" if result["status"] == "fail" else "error",
                                 message=result["message"], type=result["level"])  # fmt: skip
            evidence = result["evidence"] or {}
            node.text = "\n".join(
                filter(None, [result["title"], result["reference"], evidence.get("request"), evidence.get("excerpt")])
            )
        elif result["status"] == "skip":
            ET.SubElement(case, "skipped", message=result["message"])
    return suite


def junit_xml(*reports: Report) -> str:
    """One report as a testsuite; several (one per version) as testsuites."""
    if len(reports) == 1:
        return ET.tostring(_suite(reports[0]), encoding="unicode", xml_declaration=True)
    suites = ET.Element("testsuites", name="rosterlab check")
    for report in reports:
        suites.append(_suite(report))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
