"""`rosterlab serve` runs the mock SIS; `rosterlab clients` manages who may call it."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rosterlab.server.log_setup import FORMATS as LOG_FORMATS
from rosterlab.server.log_setup import LEVELS as LOG_LEVELS
from rosterlab.spec.scopes import DESCRIPTIONS as SCOPE_DESCRIPTIONS

if TYPE_CHECKING:  # the commands import what they use when they run, so that --help stays fast
    from sqlalchemy.exc import SQLAlchemyError

    from rosterlab.server.auth.registry import Registry
    from rosterlab.server.config import ServerConfig
    from rosterlab.server.sftp import SftpSettings

DEFAULT_DATABASE = "sqlite:///rosterlab.db"  # rosterlab.server.store.database.DEFAULT_URL, without SQLAlchemy
DEFAULT_KEY_FILE = Path(".rosterlab/secret.key")
ALL_SCOPES = tuple(SCOPE_DESCRIPTIONS)
# Seconds a worker may take to answer uvicorn's health check: a spawned worker imports and builds the whole
# application first, which takes far longer than uvicorn's default 5 s on a busy machine.
WORKER_HEALTHCHECK_SECONDS = 120

database_option = click.option(
    "--database",
    "database_url",
    default=DEFAULT_DATABASE,
    envvar="ROSTERLAB_DATABASE",
    show_envvar=True,
    show_default=True,
    help="The mock SIS's store: a SQLite file or a PostgreSQL URL.",
)
key_file_option = click.option(
    "--secret-key-file",
    type=click.Path(path_type=Path),
    default=DEFAULT_KEY_FILE,
    show_default=True,
    help="Key sealing OAuth 1.0a secrets (or set ROSTERLAB_SECRET_KEY).",
)


def _config(database_url: str, key_file: Path, **extra) -> ServerConfig:
    from rosterlab.server.config import ServerConfig

    return ServerConfig(
        database_url=database_url, secret_key=os.environ.get("ROSTERLAB_SECRET_KEY"), secret_key_file=key_file, **extra
    )


def _fail(database_url: str, error: SQLAlchemyError) -> None:
    reason = getattr(error, "orig", None) or error
    click.echo(f"error: cannot use the database {database_url}: {error.__class__.__name__}: {reason}", err=True)
    sys.exit(2)


def _say(message: str) -> None:
    """One line of what `serve` is doing while it starts."""
    click.echo(f"rosterlab: {message}")


def _prepare_store(config: ServerConfig, demo: bool) -> None:
    """Create the tables (proving the database is reachable), load the demo district into an empty store and
    register the demo clients."""
    from sqlalchemy import func, select

    from rosterlab.server.app import registry_for
    from rosterlab.server.auth.demo import ensure_demo_clients
    from rosterlab.server.demo import demo_district
    from rosterlab.server.store.database import connect
    from rosterlab.server.store.load import create_schema, load
    from rosterlab.server.store.tables import entity_table

    _say(f"preparing the database {config.database_url}")
    engine = connect(config.database_url)
    create_schema(engine)
    with engine.connect() as connection:
        empty = connection.execute(select(func.count()).select_from(entity_table("org"))).scalar_one() == 0
    if demo and empty:
        counts = load(engine, demo_district())
        click.echo(f"loaded the demo district: {sum(counts.values())} records")
    if demo and config.authentication:
        ensure_demo_clients(registry_for(config, engine))
    if config.authentication:
        _warn_unsealable(registry_for(config, engine).unsealable(), config)
    engine.dispose()


def _warn_unsealable(client_ids: list[str], config: ServerConfig) -> None:
    """Say at start-up that the secret key cannot unseal some clients' OAuth 1.0a secrets."""
    if not client_ids:
        return
    source = "ROSTERLAB_SECRET_KEY" if config.secret_key else f"the key file {config.secret_key_file}"
    shown = ", ".join(client_ids[:10]) + (f" and {len(client_ids) - 10} more" if len(client_ids) > 10 else "")
    click.echo(
        f"rosterlab: warning: {source} cannot unseal the OAuth 1.0a secrets of {len(client_ids)} client(s) "
        f"({shown}): they were sealed under another key, and every OAuth 1.0a request they sign will be refused. "
        "Serve with the key they were sealed under (--secret-key-file or ROSTERLAB_SECRET_KEY).",
        err=True,
    )


def _program() -> str:
    """How to run this rosterlab from a shell: `rosterlab` when it is the one on the PATH, else its path."""
    script = Path(sys.executable).with_name("rosterlab")
    found = shutil.which("rosterlab")
    if found and script.exists() and Path(found).resolve() == script.resolve():
        return "rosterlab"
    if not script.exists():
        return f"{shlex.quote(sys.executable)} -m rosterlab"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def clients_add_command(database_url: str, key_file: Path, program: str = "rosterlab") -> str:
    """The `clients add` command that registers a client in the store at `database_url`."""
    words = [program, "clients", "add", "NAME"]
    if database_url != DEFAULT_DATABASE:
        words += ["--database", shlex.quote(database_url)]
    if key_file != DEFAULT_KEY_FILE:
        words += ["--secret-key-file", shlex.quote(str(key_file))]
    return " ".join(words)


def _banner(host: str, port: int, config: ServerConfig, demo: bool, console: bool = False) -> str:
    from rosterlab.server.auth.demo import credential_lines
    from rosterlab.spec.openapi import DOCUMENTS

    origin = f"http://{host}:{port}"
    lines = [f"rosterlab mock SIS on {origin}  (database: {config.database_url})", ""]
    for document in DOCUMENTS:
        lines.append(f"  {document.title:<26} {origin}{document.base_path}")
    lines += ["", f"  start:   {origin}/", f"  browse:  {origin}/ims/oneroster/rostering/v1p2/ui/"]
    if console:
        lines.append(f"  console: {origin}/console/  (log in as admin with the admin password)")
    lines.append("")
    if config.profile != "strict" or config.quirks.active:
        lines += [f"profile: {config.profile}; quirks: {', '.join(config.quirks.settings()) or 'none'}", ""]
    if config.faults is not None:
        lines += [f"faults: {config.faults.text()}", ""]
    if not config.authentication:
        lines.append("authentication is OFF: every request is answered")
        return "\n".join(lines)
    if demo:
        v1p1_served = not config.quirks.rostering_reads_only
        oauth1 = ("oauth1" in config.auth_methods_v1p1 and v1p1_served) or "oauth1" in config.auth_methods_v1p2
        query = config.token_query_string or config.quirks.token_query_only
        redirect = config.quirks.token_redirect
        lines += [
            *credential_lines(origin, config.token_path, oauth1=oauth1, token_redirect=redirect, token_query=query),
            "",
        ]
    add = clients_add_command(config.database_url, config.secret_key_file, _program())
    lines.append(f"  add a client (from this folder): {add}")
    return "\n".join(lines)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@database_option
@key_file_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--demo/--no-demo", default=False, help="Load the demo district into an empty store; demo clients.")
@click.option("--max-limit", default=1000, show_default=True, type=click.IntRange(1), help="Cap on `limit`.")
@click.option(
    "--max-body-bytes", default=1_048_576, show_default=True, type=click.IntRange(1), help="Larger bodies are 413."
)
@click.option("--public-url", default=None, help="scheme://host:port used in hrefs and Link headers.")
@click.option("--no-auth", is_flag=True, help="Answer every request without credentials.")
@click.option("--token-path", default="/oauth/token", show_default=True, help="Path of the OAuth 2.0 token endpoint.")
@click.option(
    "--token-lifetime", default=3600, show_default=True, type=click.IntRange(0), help="Seconds; 0: never expire."
)
@click.option("--oauth1-window", default=600, show_default=True, type=click.IntRange(1), help="Timestamp window, s.")
@click.option("--admin-password", envvar="ROSTERLAB_ADMIN_PASSWORD", default=None, help="Turns on the admin API.")
@click.option(
    "--profile", default="strict", show_default=True, help="Behave like a kind of provider (`rosterlab profiles`)."
)
@click.option("--quirk", "quirks", multiple=True, metavar="NAME[=VALUE]", help="One quirk switch on top (repeat).")
@click.option("--faults", default=None, metavar="SPEC", help="A seeded fault mix: `mix`, or name=value,... .")
@click.option(
    "--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True, help="Log from this level."
)
@click.option(
    "--log-format", type=click.Choice(LOG_FORMATS), default="text", show_default=True, help="json: one object a line."
)
@click.option("--record-requests", is_flag=True, help="Log every request, for `rosterlab report consumer`.")
@click.option("--console", is_flag=True, help="Serve the web console at /console (log in with the admin password).")
@click.option("--sftp", is_flag=True, help="Also publish the CSV export over SFTP.")
@click.option("--sftp-port", default=2222, show_default=True, type=click.IntRange(0, 65535))
@click.option("--sftp-account", "sftp_accounts", multiple=True, metavar="USER:PASSWORD", help="Repeat.")
@click.option("--sftp-key", "sftp_keys", multiple=True, metavar="USER:PUBLIC_KEY_FILE", help="Repeat.")
@click.option("--sftp-path", default="oneroster", show_default=True, help="Folder of the published file.")
@click.option("--sftp-file", default="oneroster.zip", show_default=True, help="Name of the published file.")
@click.option("--sftp-version", type=click.Choice(["1.1", "1.2", "1.2.1"]), default="1.2.1", show_default=True)
@click.option("--sftp-interval", default=3600, show_default=True, type=click.IntRange(0), help="Seconds; 0: once.")
def serve(
    host: str,
    port: int,
    database_url: str,
    secret_key_file: Path,
    workers: int,
    demo: bool,
    max_limit: int,
    max_body_bytes: int,
    public_url: str | None,
    no_auth: bool,
    token_path: str,
    token_lifetime: int,
    oauth1_window: int,
    admin_password: str | None,
    profile: str,
    quirks: tuple[str, ...],
    faults: str | None,
    log_level: str,
    log_format: str,
    record_requests: bool,
    console: bool,
    sftp: bool,
    sftp_port: int,
    sftp_accounts: tuple[str, ...],
    sftp_keys: tuple[str, ...],
    sftp_path: str,
    sftp_file: str,
    sftp_version: str,
    sftp_interval: int,
) -> None:
    """Run the mock SIS (OneRoster 1.1 and 1.2)."""
    if not token_path.startswith("/"):
        raise click.BadParameter("must start with /", param_hint="--token-path")
    if console and not admin_password:
        raise click.BadParameter("the console needs --admin-password (its login)", param_hint="--console")
    config = _config(
        database_url,
        secret_key_file,
        max_limit=max_limit,
        max_body_bytes=max_body_bytes,
        public_url=public_url,
        authentication=not no_auth,
        token_path=token_path,
        token_lifetime=token_lifetime,
        oauth1_window=oauth1_window,
    )
    config = _with_behaviour(config, profile, quirks, faults, record_requests)
    _prepare_or_fail(config, demo)
    os.environ.update(
        ROSTERLAB_DATABASE_URL=database_url,
        ROSTERLAB_MAX_LIMIT=str(max_limit),
        ROSTERLAB_MAX_BODY_BYTES=str(max_body_bytes),
        ROSTERLAB_PUBLIC_URL=public_url or "",
        ROSTERLAB_AUTHENTICATION="0" if no_auth else "1",
        ROSTERLAB_SECRET_KEY_FILE=str(secret_key_file),
        ROSTERLAB_TOKEN_PATH=token_path,
        ROSTERLAB_TOKEN_LIFETIME=str(token_lifetime),
        ROSTERLAB_OAUTH1_WINDOW=str(oauth1_window),
        ROSTERLAB_ADMIN_PASSWORD=admin_password or "",
        ROSTERLAB_PROFILE=profile,
        ROSTERLAB_QUIRKS=",".join(quirks),
        ROSTERLAB_FAULTS=faults or "",
        ROSTERLAB_RECORD_REQUESTS="1" if record_requests else "0",
        ROSTERLAB_CONSOLE="1" if console else "0",
    )
    click.echo(_banner(host, port, config, demo, console))
    if sftp:
        settings = _sftp_settings(
            host, sftp_port, sftp_accounts, sftp_keys, sftp_path, sftp_file, sftp_version, sftp_interval
        )
        _start_sftp(database_url, settings)
    _run_workers(host, port, workers, log_level, log_format)


def _with_behaviour(
    config: ServerConfig, profile: str, quirks: tuple[str, ...], faults: str | None, record_requests: bool
) -> ServerConfig:
    """The configuration with the chosen profile, quirk switches and faults (a usage error when unknown)."""
    from dataclasses import replace

    from rosterlab.server.quirks.faults import Faults
    from rosterlab.server.quirks.profiles import apply_profile

    try:
        config = apply_profile(config, profile, quirks)
        return replace(config, faults=Faults.parse(faults) if faults else None, record_requests=record_requests)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _prepare_or_fail(config: ServerConfig, demo: bool) -> None:
    """Prepare the store, or exit 2 saying why the database cannot be used."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        _prepare_store(config, demo)
    except SQLAlchemyError as error:
        _fail(config.database_url, error)


def _start_sftp(database_url: str, settings: SftpSettings) -> None:
    """Start the SFTP drop beside the server."""
    from rosterlab.server.sftp import SftpDrop
    from rosterlab.server.store.database import connect

    listening = SftpDrop(connect(database_url), settings).start()
    names = ", ".join(account.username for account in settings.accounts)
    location = f"sftp://{settings.host}:{listening}/{settings.path}/{settings.filename}"
    click.echo(f"  SFTP:    {location}  (accounts: {names})")


# uvicorn's HTTP protocol, answering requests it cannot parse in the OneRoster envelope.
HTTP_PROTOCOL = "rosterlab.server.protocols:HTTP_PROTOCOL"


def worker_options(workers: int, log_level: str = "info", log_format: str = "text") -> dict[str, Any]:
    """uvicorn's options for `workers` processes: a health check patient with workers that are still starting,
    refusals in the envelope, logs at `log_level` in `log_format`."""
    import inspect

    import uvicorn

    from rosterlab.server.log_setup import log_config

    options: dict[str, Any] = {
        "workers": workers,
        "log_level": log_level,
        "log_config": log_config(log_level, log_format),
        "access_log": False,
        "http": HTTP_PROTOCOL,
    }
    if workers > 1 and "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        options["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
    return options


def _run_workers(host: str, port: int, workers: int, log_level: str, log_format: str) -> None:
    """Serve the application (configured by the environment) until stopped."""
    import gc

    import uvicorn

    if workers > 1:
        _say(f"starting {workers} workers on http://{host}:{port}; each loads the application, then answers")
    else:
        _say(f"loading the application on http://{host}:{port}")
    gc.freeze()  # start-up objects never die; keep full collections short under load
    uvicorn.run(
        "rosterlab.server.asgi:create_from_environment",
        factory=True,
        host=host,
        port=port,
        **worker_options(workers, log_level, log_format),
    )


def _sftp_settings(host, port, accounts, keys, path, filename, version, interval) -> SftpSettings:
    from rosterlab.server.sftp import SftpAccount, SftpSettings

    parsed: dict[str, SftpAccount] = {}
    for item in accounts:
        user, sep, password = item.partition(":")
        if not sep or not user or not password:
            raise click.BadParameter(f"{item!r} is not USER:PASSWORD", param_hint="--sftp-account")
        parsed[user] = SftpAccount(user, password=password, public_keys=parsed.get(user, SftpAccount(user)).public_keys)
    for item in keys:
        user, sep, key_file = item.partition(":")
        if not sep or not Path(key_file).is_file():
            raise click.BadParameter(f"{item!r} is not USER:PUBLIC_KEY_FILE", param_hint="--sftp-key")
        old = parsed.get(user, SftpAccount(user))
        parsed[user] = SftpAccount(user, old.password, (*old.public_keys, Path(key_file).read_text().strip()))
    if not parsed:
        raise click.BadParameter("give at least one --sftp-account or --sftp-key", param_hint="--sftp")
    return SftpSettings(
        root=Path(".rosterlab/sftp"),
        accounts=tuple(parsed.values()),
        host=host,
        port=port,
        path=path,
        filename=filename,
        version=version,
        interval=interval,
        host_key_file=Path(".rosterlab/sftp_host_key"),
    )


@click.command("profiles")
def profiles() -> None:
    """The provider profiles, quirk switches and faults `rosterlab serve` can imitate."""
    from rosterlab.server.quirks.faults import DESCRIPTIONS as FAULT_DESCRIPTIONS
    from rosterlab.server.quirks.faults import MIX
    from rosterlab.server.quirks.profiles import PROFILES
    from rosterlab.server.quirks.switches import DESCRIPTIONS as QUIRK_DESCRIPTIONS

    click.echo("Profiles (rosterlab serve --profile NAME):")
    for profile in PROFILES.values():
        settings = [
            f"{k}={'+'.join(sorted(v)) if isinstance(v, frozenset) else v}" for k, v in profile.settings.items()
        ]
        click.echo(f"  {profile.name:<20} {profile.imitates}")
        click.echo(f"  {'':<20}   sources: {profile.sources}")
        if profile.quirks.settings():
            click.echo(f"  {'':<20}   quirk switches: {', '.join(profile.quirks.settings())}")
        if settings:
            click.echo(f"  {'':<20}   server settings: {', '.join(settings)}")
    click.echo(
        "\nQuirk switches (--quirk NAME[=VALUE], on top of a profile; seed=N chooses the records data faults touch):"
    )
    for name, (what, who) in QUIRK_DESCRIPTIONS.items():
        click.echo(f"  {name:<30} {what}" + (f"  [seen at: {who}]" if who != "-" else ""))
    click.echo("\nFaults (--faults mix | name=value,...; seeded and reproducible):")
    for name, what in FAULT_DESCRIPTIONS.items():
        click.echo(f"  {name:<20} {what}")
    click.echo(f"  mix = {MIX.text()}")


@click.group("clients")
def clients() -> None:
    """Register, list and revoke the clients allowed to call the mock SIS."""


def _connect(database_url: str) -> Any:
    """An engine on the mock SIS's store."""
    from rosterlab.server.store.database import connect

    return connect(database_url)


def _registry(database_url: str, key_file: Path) -> Registry:
    from sqlalchemy.exc import SQLAlchemyError

    from rosterlab.server.app import registry_for

    config = _config(database_url, key_file)
    try:
        return registry_for(config, _connect(database_url))
    except SQLAlchemyError as error:
        _fail(database_url, error)
        raise


@clients.command("add")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(ALL_SCOPES), help="Repeat; default: every scope.")
@click.option("--org", "orgs", multiple=True, help="Restrict the client to an org (and the orgs below it). Repeat.")
@click.option("--client-id", default=None, help="Choose the client id (default: generated).")
@click.option("--username", default=None, help="Give the client an account for the OAuth 2.0 password grant.")
@database_option
@key_file_option
def add_client(name, scopes, orgs, client_id, username, database_url, secret_key_file) -> None:
    """Register a client; its secret is shown once."""
    registry = _registry(database_url, secret_key_file)
    try:
        created = registry.add(name, tuple(scopes) or ALL_SCOPES, tuple(orgs), client_id=client_id, username=username)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    click.echo(f"client_id      {created.client.client_id}")
    click.echo(f"client_secret  {created.secret}")
    if created.password:
        click.echo(f"username       {username}")
        click.echo(f"password       {created.password}")
    click.echo("scopes         " + " ".join(sorted(created.client.scopes)))
    if orgs:
        click.echo("orgs           " + " ".join(orgs))
    click.echo("The secret is stored hashed and sealed; it cannot be shown again.")


@clients.command("list")
@database_option
@key_file_option
def list_clients(database_url, secret_key_file) -> None:
    """List the registered clients (never their secrets)."""
    for client in _registry(database_url, secret_key_file).all():
        state = "REVOKED" if client.revoked else "active"
        orgs = ",".join(client.orgs) or "all orgs"
        click.echo(f"{client.client_id:<24} {state:<8} {client.name:<20} {orgs:<20} {len(client.scopes)} scopes")


@clients.command("revoke")
@click.argument("client_id")
@database_option
@key_file_option
def revoke_client(client_id, database_url, secret_key_file) -> None:
    """Revoke a client and every token it holds."""
    if not _registry(database_url, secret_key_file).revoke(client_id):
        click.echo(f"error: no client {client_id!r}", err=True)
        sys.exit(2)
    click.echo(f"revoked {client_id}")


@click.command("generate")
@click.option("--users", default=1000, show_default=True, type=click.IntRange(20), help="About how many users.")
@click.option("--seed", default=1, show_default=True, type=int, help="The same seed gives the same district.")
@click.option("--as-of", "as_of", default="2025-01-15", show_default=True, help="The date the district describes.")
@database_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the district as a CSV bundle.",
)
@click.option("--csv-version", type=click.Choice(["1.1", "1.2", "1.2.1"]), default="1.2.1", show_default=True)
def generate(users: int, seed: int, as_of: str, database_url: str, csv_path: Path | None, csv_version: str) -> None:
    """Generate a realistic district into the store (replacing its data)."""
    from datetime import date

    from sqlalchemy.exc import SQLAlchemyError

    from rosterlab.server.csv.export import export_store
    from rosterlab.server.generate import DistrictGenerator, DistrictPlan
    from rosterlab.server.store.load import load

    try:
        plan = DistrictPlan.for_users(users, seed=seed, as_of=date.fromisoformat(as_of))
    except ValueError:
        raise click.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None
    try:
        engine = _connect(database_url)
        counts = load(engine, DistrictGenerator(plan).streams(), bulk=users >= 20_000)
    except SQLAlchemyError as error:
        _fail(database_url, error)
    click.echo(f"generated {len(plan.schools)} school(s): " + ", ".join(f"{n} {e}" for e, n in counts.items()))
    if csv_path is not None:
        csv_path.write_bytes(export_store(engine, csv_version))
        click.echo(f"wrote {csv_path} (OneRoster {csv_version} CSV, bulk)")


@click.group("sis")
def sis() -> None:
    """Change the mock SIS's data over time: let days pass, or add, change and delete records."""


@sis.command("advance")
@click.option("--days", default=1, show_default=True, type=click.IntRange(1, 3660))
@click.option("--seed", default=1, show_default=True, type=int)
@database_option
def advance_command(days: int, seed: int, database_url: str) -> None:
    """Let DAYS days of realistic changes happen (new students, withdrawals, schedule changes...)."""
    from rosterlab.server.churn import advance

    summary = advance(_connect(database_url), days, seed)
    click.echo(f"{summary.start} -> {summary.end}")
    for kind, count in summary.changes.items():
        click.echo(f"  {kind}: {count}")


@sis.command("set")
@click.argument("entity")
@click.argument("document")
@database_option
def set_command(entity: str, document: str, database_url: str) -> None:
    """Add or replace one record of ENTITY from a JSON DOCUMENT (a 1.2 object with its sourcedId)."""
    import orjson

    from rosterlab.server.churn import set_record
    from rosterlab.server.write.validate import BodyErrors, canonical_record
    from rosterlab.spec.entities import V1P2
    from rosterlab.spec.model import Version

    if not V1P2.has_entity(entity):
        raise click.BadParameter(f"no entity {entity!r}", param_hint="ENTITY")
    try:
        body = orjson.loads(document)
        record = canonical_record(V1P2.entity(entity), Version.V1P2, body, body.get("sourcedId"))
    except (orjson.JSONDecodeError, AttributeError):
        raise click.BadParameter("not a JSON object", param_hint="DOCUMENT") from None
    except BodyErrors as errors:
        raise click.BadParameter("; ".join(errors.problems), param_hint="DOCUMENT") from None
    click.echo(f"{entity} {record['sourcedId']} dated {set_record(_connect(database_url), entity, record)}")


@sis.command("delete")
@click.argument("entity")
@click.argument("sourced_id")
@database_option
def delete_command(entity: str, sourced_id: str, database_url: str) -> None:
    """Mark one record of ENTITY tobedeleted."""
    from rosterlab.server.churn import delete_record
    from rosterlab.spec.entities import V1P2

    if not V1P2.has_entity(entity):
        raise click.BadParameter(f"no entity {entity!r}", param_hint="ENTITY")
    stamp = delete_record(_connect(database_url), entity, sourced_id)
    if stamp is None:
        click.echo(f"error: no {entity} {sourced_id!r}", err=True)
        sys.exit(2)
    click.echo(f"{entity} {sourced_id} tobedeleted at {stamp}")


@sis.command("publish")
@click.option(
    "--sftp-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".rosterlab/sftp"),
    show_default=True,
    help="The folder the SFTP drop serves.",
)
@click.option("--sftp-path", default="oneroster", show_default=True)
@click.option("--sftp-file", default="oneroster.zip", show_default=True)
@click.option("--version", "version", type=click.Choice(["1.1", "1.2", "1.2.1"]), default="1.2.1", show_default=True)
@database_option
def publish_command(sftp_root: Path, sftp_path: str, sftp_file: str, version: str, database_url: str) -> None:
    """Publish the store's CSV export to the SFTP drop now (a running drop serves it at once)."""
    from rosterlab.server.csv.export import export_store
    from rosterlab.server.sftp import publish_bundle

    target = publish_bundle(export_store(_connect(database_url), version), sftp_root / sftp_path / sftp_file)
    click.echo(f"published {target}")
