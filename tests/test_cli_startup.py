"""`rosterlab --help` and the mock SIS's `COMMAND --help` load only what they show, and stay fast."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from rosterlab.cli import COMMANDS, main

HEAVY = ("schemathesis", "connexion", "flask", "asyncssh", "apscheduler", "playwright", "uvicorn", "hypothesis")

PROBE = """
import json, runpy, sys
sys.argv = ["rosterlab", *{args!r}]
try:
    runpy.run_module("rosterlab", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def _loaded_by(*args: str) -> list[str]:
    """The heavy packages imported by `rosterlab ARGS`, run in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("serve", "--help"),
        ("clients", "--help"),
        ("clients", "add", "--help"),
        ("sis", "--help"),
        ("generate", "--help"),
        ("spec", "--help"),
    ],
    ids=" ".join,
)
def test_help_imports_nothing_heavy(args):
    assert _loaded_by(*args) == []


def test_the_help_lists_every_command_with_its_own_summary():
    context = click.Context(main)
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        assert command is not None and command.name == name
        assert COMMANDS[name].summary == command.get_short_help_str(limit=1000), name


def test_the_help_text():
    result = subprocess.run([sys.executable, "-m", "rosterlab", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for name in ("serve", "clients", "sync", "check", "check-csv", "report", "ui", "spec", "csv", "generate", "sis"):
        assert f"\n  {name} " in result.stdout
    assert "Run the mock SIS (OneRoster 1.1 and 1.2)." in result.stdout


def test_an_unknown_command_is_refused():
    result = subprocess.run([sys.executable, "-m", "rosterlab", "serv"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "No such command 'serv'" in result.stderr
