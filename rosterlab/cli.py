"""The `rosterlab` command line: one entry point, a subcommand per part.

Each part's commands are imported only when they are run (or their own --help is asked for), so that
`rosterlab --help` and a spawned server worker do not load the whole toolkit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

from rosterlab import __version__

STORE_VARIABLE = "ROSTERLAB_DATABASE"


@dataclass(frozen=True)
class Entry:
    """Where a subcommand lives, and the summary `rosterlab --help` shows without importing it (the first
    sentence of the command's help; tests/test_cli_startup.py checks they agree)."""

    module: str
    attribute: str
    summary: str
    mock_store: bool = False  # its --database is the mock SIS's store, defaulting to $ROSTERLAB_DATABASE


COMMANDS: dict[str, Entry] = {
    "spec": Entry("rosterlab.spec.cli", "spec_group", "Inspect rosterlab's model of the OneRoster standard."),
    "serve": Entry("rosterlab.server.cli", "serve", "Run the mock SIS (OneRoster 1.1 and 1.2).", mock_store=True),
    "profiles": Entry(
        "rosterlab.server.cli",
        "profiles",
        "The provider profiles, quirk switches and faults `rosterlab serve` can imitate.",
    ),
    "clients": Entry(
        "rosterlab.server.cli",
        "clients",
        "Register, list and revoke the clients allowed to call the mock SIS.",
        mock_store=True,
    ),
    "csv": Entry(
        "rosterlab.server.csv.cli",
        "csv_group",
        "OneRoster CSV bundles (1.1, 1.2, 1.2.1): export, validate, import.",
        mock_store=True,
    ),
    "generate": Entry(
        "rosterlab.server.cli",
        "generate",
        "Generate a realistic district into the store (replacing its data).",
        mock_store=True,
    ),
    "sis": Entry(
        "rosterlab.server.cli",
        "sis",
        "Change the mock SIS's data over time: let days pass, or add, change and delete records.",
        mock_store=True,
    ),
    "sync": Entry("rosterlab.consumer.cli", "sync_group", "Pull rosters from OneRoster providers into a local store."),
    "ui": Entry(
        "rosterlab.consumer.console.cli",
        "ui",
        "Run the sync console: connections, syncs, uploads, history and held deletions, in a browser.",
    ),
    "check": Entry(
        "rosterlab.conformance.cli",
        "check",
        "Check a OneRoster endpoint's conformance (every version it serves, unless --version names one).",
    ),
    "check-csv": Entry(
        "rosterlab.conformance.cli",
        "check_csv",
        "Check OneRoster CSV bundles; a certification-style log per bundle; exit 1 if any fails.",
    ),
    "report": Entry(
        "rosterlab.conformance.cli", "report_group", "Reports drawn from the mock's records.", mock_store=True
    ),
}


def share_mock_store(command: click.Command) -> click.Command:
    """Let every --database option of `command` (and of the commands below it) read $ROSTERLAB_DATABASE."""
    for param in command.params:
        if isinstance(param, click.Option) and param.name == "database_url":
            param.envvar = STORE_VARIABLE
            param.show_envvar = True
    for sub in getattr(command, "commands", {}).values():
        share_mock_store(sub)
    return command


def load(name: str) -> click.Command | None:
    """The subcommand called `name`, imported now; None when there is none."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    return share_mock_store(command) if entry.mock_store else command


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are invoked, and listed from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="rosterlab")
def main() -> None:
    """rosterlab: a OneRoster mock SIS, sync engine and conformance checker."""
