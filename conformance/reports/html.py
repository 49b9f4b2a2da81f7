"""A self-contained HTML page: no scripts, no external files; a section per version checked."""

from __future__ import annotations

from html import escape

from rosterlab.conformance.model import Report, combined
from rosterlab.conformance.reports.console import VERDICTS
from rosterlab.conformance.reports.data import report_data

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222 }
table { border-collapse: collapse; width: 100% }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top }
.pass { color: #176f2c } .fail { color: #b00020; font-weight: bold } .skip { color: #777 }
.error { color: #8a5a00; font-weight: bold }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; margin: .3rem 0 0 }
"""


def _section(report: Report) -> str:
    data = report_data(report)
    rows = []
    for r in data["results"]:
        evidence = r["evidence"]
        detail = escape(r["message"])
        if evidence:
            status = "" if evidence["status"] is None else f"\nHTTP {evidence['status']}"
            detail += f"<pre>{escape(evidence['request'])}{status}\n{escape(evidence['excerpt'])}</pre>"
        rows.append(
            f'<tr><td>{escape(r["id"])}</td><td>{r["level"]}</td><td class="{r["status"]}">{r["status"]}</td>'
            f"<td>{escape(r['title'])}<br><small>{escape(r['reference'])}</small></td><td>{detail}</td></tr>"
        )
    counts = ", ".join(f"{count} {status}" for status, count in data["counts"].items())
    return (
        f"<h2>OneRoster {escape(data['version'])}: {VERDICTS[data['outcome']]}</h2>"
        f"<p>{escape(data['target'])} &middot; {escape(data['started'])} &middot; {counts} &middot; "
        f"failing on {data['fail_on']}</p>"
        "<table><thead><tr><th>check</th><th>level</th><th>status</th><th>what</th><th>details</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def html_page(*reports: Report) -> str:
    verdict = VERDICTS[combined(list(reports)).value]
    versions = " and ".join(escape(report.version) for report in reports)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rosterlab check: {verdict}</title>'
        f"<style>{STYLE}</style></head><body><h1>OneRoster {versions} conformance: {verdict}</h1>"
        f"{''.join(_section(report) for report in reports)}</body></html>"
    )
