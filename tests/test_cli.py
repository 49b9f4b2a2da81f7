"""The `rosterlab spec` commands, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys

ROSTERLAB = [sys.executable, "-m", "rosterlab"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ROSTERLAB, *args], capture_output=True, text=True, timeout=60)


def test_summary_lists_both_versions_and_counts():
    result = run("spec", "summary")
    assert result.returncode == 0, result.stderr
    assert "/ims/oneroster/rostering/v1p2" in result.stdout
    assert " 35 operations" in result.stdout
    assert "CSV 1.2.1: 21 files" in result.stdout


def test_filter_prints_canonical_form():
    result = run("spec", "filter", "familyName = 'O''Brien' AND grades.x~'5'")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "familyName='O''Brien' AND grades.x~'5'"
    assert "dotted field paths" in result.stdout


def test_bad_filter_exits_non_zero_with_a_pointer_and_no_traceback():
    result = run("spec", "filter", "familyName='jones")
    assert result.returncode == 2
    assert "unterminated value" in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_check_passes_on_a_clean_tree():
    assert run("spec", "generate", "--check").returncode == 0


def test_parity_command_against_the_official_files(official_openapi_dir):
    result = run("spec", "parity", str(official_openapi_dir))
    assert result.returncode == 0, result.stdout
    assert ", 0 unexplained" in result.stdout


def test_version():
    result = run("--version")
    assert result.returncode == 0 and "rosterlab" in result.stdout
