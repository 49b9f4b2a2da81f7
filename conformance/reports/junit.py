"""JUnit XML, for CI systems: one test case per check; failures carry the evidence."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rosterlab.conformance.model import Report
from rosterlab.conformance.reports.data import report_data


def junit_xml(report: Report) -> str:
    data = report_data(report)
    suite = ET.Element(
        "testsuite",
        name=f"rosterlab check {data['target']} (OneRoster {data['version']})",
        tests=str(len(data["results"])),
        failures=str(data["counts"]["fail"]),
        skipped=str(data["counts"]["skip"]),
        timestamp=data["started"],
    )
    for result in data["results"]:
        case = ET.SubElement(suite, "testcase", classname=f"oneroster.{result['level']}", name=result["id"],
                             time=str(result["seconds"]))  # fmt: skip
        if result["status"] == "fail":
            failure = ET.SubElement(case, "failure", message=result["message"], type=result["level"])
            evidence = result["evidence"] or {}
            failure.text = "\n".join(
                filter(None, [result["title"], result["reference"], evidence.get("request"), evidence.get("excerpt")])
            )
        elif result["status"] == "skip":
            ET.SubElement(case, "skipped", message=result["message"])
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
