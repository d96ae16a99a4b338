"""`python -m stancekit`: help for every command, usage errors exit 2, failures exit 1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stancekit.cli import main

COMMANDS = ["train", "score", "evaluate", "extract", "labels"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: stancekit {command}" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["train", "--method", "magic"],
    ["train", "--real-repeats", "0"],
    ["train", "--real-repeats", "1.5"],
    ["score"],
    ["score", "seeds", "--format", "xml"],
    ["score", "seeds", "--batch-size", "0"],
    ["evaluate", "--cv", "sometimes"],
    ["labels", "check", "--no-such-flag"],
])
def test_wrong_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage: stancekit" in capsys.readouterr().err


def test_expected_failures_are_one_line_and_exit_1(tmp_path, capsys):
    assert main(["score", "seeds", "--model", str(tmp_path / "nothing-here")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("stancekit score: error:") and "\n" not in err


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "stancekit", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("stancekit ")
