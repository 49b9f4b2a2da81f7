"""A self-contained HTML page: no scripts, no external files."""

from __future__ import annotations

from html import escape

from rosterlab.conformance.model import Report
from rosterlab.conformance.reports.data import report_data

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222 }
table { border-collapse: collapse; width: 100% }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top }
.pass { color: #176f2c } .fail { color: #b00020; font-weight: bold } .skip { color: #777 }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; margin: .3rem 0 0 }
"""


def html_page(report: Report) -> str:
    data = report_data(report)
    verdict = "PASSED" if data["passed"] else "FAILED"
    rows = []
    for r in data["results"]:
        evidence = r["evidence"]
        detail = escape(r["message"])
        if evidence:
            detail += (
                f"<pre>{escape(evidence['request'])}\nHTTP {evidence['status']}\n{escape(evidence['excerpt'])}</pre>"
            )
        rows.append(
            f'<tr><td>{escape(r["id"])}</td><td>{r["level"]}</td><td class="{r["status"]}">{r["status"]}</td>'
            f"<td>{escape(r['title'])}<br><small>{escape(r['reference'])}</small></td><td>{detail}</td></tr>"
        )
    counts = ", ".join(f"{count} {status}" for status, count in data["counts"].items())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rosterlab check: {verdict}</title>'
        f"<style>{STYLE}</style></head><body><h1>OneRoster {escape(data['version'])} conformance: {verdict}</h1>"
        f"<p>{escape(data['target'])} &middot; {escape(data['started'])} &middot; {counts}</p>"
        "<table><thead><tr><th>check</th><th>level</th><th>status</th><th>what</th><th>details</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )
