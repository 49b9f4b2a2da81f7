"""The `rosterlab` command line: one entry point, a subcommand per part."""

import click

from rosterlab import __version__
from rosterlab.conformance.cli import check, check_csv, report_group
from rosterlab.consumer.cli import sync_group
from rosterlab.consumer.console.cli import ui
from rosterlab.server.cli import clients, generate, profiles, serve, sis
from rosterlab.server.csv.cli import csv_group
from rosterlab.spec.cli import spec_group


@click.group()
@click.version_option(__version__, prog_name="rosterlab")
def main() -> None:
    """rosterlab: a OneRoster mock SIS, sync engine and conformance checker."""


main.add_command(spec_group)
main.add_command(serve)
main.add_command(profiles)
main.add_command(clients)
main.add_command(csv_group)
main.add_command(generate)
main.add_command(sis)
main.add_command(sync_group)
main.add_command(ui)
main.add_command(check)
main.add_command(check_csv)
main.add_command(report_group)
