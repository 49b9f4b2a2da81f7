"""Read the console's connection form into a ConnectionForm, and a stored connection back into form values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rosterlab.consumer.actions import ConnectionForm, InvalidConnection
from rosterlab.consumer.connections import Connection

SECRET_FIELDS = ("client_secret", "password", "sftp_password")


def _number(values: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    text = (values.get(name) or "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise InvalidConnection(f"{name.replace('_', ' ')} must be a number, not {text!r}") from None


def _list(values: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in (values.get(name) or "").split(",") if item.strip())


def read_form(values: Mapping[str, str], previous: Connection | None = None) -> ConnectionForm:
    """The form a user posted; secrets left blank keep the previous connection's."""

    def text(name: str) -> str:
        return (values.get(name) or "").strip()

    kept = form_values(previous) if previous else {}
    secrets = {name: text(name) or kept.get(name) or None for name in SECRET_FIELDS}
    return ConnectionForm(
        name=previous.name if previous else text("name"),
        source=text("source") or "rest",
        base_url=text("base_url"),
        version=text("version") or "auto",
        method=text("method") or "oauth2",
        client_id=text("client_id") or None,
        client_secret=secrets["client_secret"],
        token_url=text("token_url") or None,
        scope=text("scope"),
        client_auth=text("client_auth") or "basic",
        signature=text("signature") or "HMAC-SHA256",
        username=text("username") or None,
        password=secrets["password"],
        csv_path=text("csv_path"),
        sftp_host=text("sftp_host") or None,
        sftp_port=_number(values, "sftp_port", int, 22),
        sftp_user=text("sftp_user") or None,
        sftp_password=secrets["sftp_password"],
        sftp_key_file=text("sftp_key_file") or None,
        sftp_path=text("sftp_path") or None,
        sftp_host_key=text("sftp_host_key") or kept.get("sftp_host_key") or None,
        match_key=text("match_key") or "sourcedId",
        username_suffix=text("username_suffix"),
        tenant=text("tenant") or None,
        gradebook=values.get("gradebook") in ("on", "true", "1"),
        schools=_list(values, "schools"),
        grades=_list(values, "grades"),
        subjects=_list(values, "subjects"),
        schedule=text("schedule") or "manual",
        at=text("at") or "02:00",
        day=text("day") or None,
        cron=text("cron") or None,
        start=text("start") or None,
        scheduled_delta=values.get("scheduled_delta") in ("on", "true", "1"),
        concurrency=_number(values, "concurrency", int, 4),
        guard_count=_number(values, "guard_count", int, 10),
        guard_share=_number(values, "guard_share", float, 0.10),
    )


def form_values(connection: Connection) -> dict[str, Any]:
    """A stored connection as the form's fields (secrets included: the template never shows them)."""
    auth, sftp, plan = connection.auth, connection.sftp, connection.schedule or {}
    oauth1 = auth.get("kind") == "oauth1"
    return {
        "name": connection.name,
        "source": connection.source,
        "base_url": connection.base_url,
        "version": connection.version,
        "method": "oauth1" if oauth1 else "oauth2",
        "client_id": auth.get("key") if oauth1 else auth.get("client_id"),
        "client_secret": auth.get("secret") if oauth1 else auth.get("client_secret"),
        "token_url": auth.get("token_url") or "",
        "scope": auth.get("scope") or "",
        "client_auth": auth.get("client_auth") or "basic",
        "signature": auth.get("method") or "HMAC-SHA256",
        "username": auth.get("username") or "",
        "password": auth.get("password"),
        "csv_path": connection.csv_path,
        "sftp_host": sftp.get("host") or "",
        "sftp_port": sftp.get("port") or 22,
        "sftp_user": sftp.get("username") or "",
        "sftp_password": sftp.get("password"),
        "sftp_key_file": sftp.get("key_file") or "",
        "sftp_path": sftp.get("path") or "",
        "sftp_host_key": sftp.get("host_key") or "",
        "match_key": connection.match_key,
        "username_suffix": connection.username_suffix,
        "tenant": connection.tenant or "",
        "gradebook": connection.gradebook,
        "schools": ", ".join(connection.schools),
        "grades": ", ".join(connection.grades),
        "subjects": ", ".join(connection.subjects),
        "schedule": plan.get("kind", "manual"),
        "at": plan.get("at") or "02:00",
        "day": plan.get("day") or "",
        "cron": plan.get("cron") or "",
        "start": plan.get("start") or "",
        "scheduled_delta": bool(plan.get("delta")),
        "concurrency": connection.concurrency,
        "guard_count": connection.guard_count,
        "guard_share": connection.guard_share,
    }
