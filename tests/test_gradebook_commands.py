"""`python -m autograder`: one parser of subcommands, and --help never does any work."""

import os

import pytest

from autograder import __main__ as commands
from nst_utils import checks


@pytest.mark.parametrize("name", sorted(commands.COMMANDS))
def test_every_command_answers_help_without_side_effects(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NST_COURSE_ROOT", str(tmp_path / "course"))
    stored = checks.DATA_FILE.stat().st_mtime_ns
    try:
        with pytest.raises(SystemExit) as done:
            commands.main([name, "--help"])
        assert done.value.code == 0
        assert f"python -m autograder {name}" in capsys.readouterr().out
    except ModuleNotFoundError:  # pragma: no cover - a command whose module is not here
        pytest.fail(f"{name}: its module is missing")
    assert os.listdir(tmp_path) == []  # nothing written where it ran
    assert checks.DATA_FILE.stat().st_mtime_ns == stored  # `values --help` recomputes nothing


def test_the_top_level_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        commands.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in commands.COMMANDS)
    with pytest.raises(SystemExit) as unknown:
        commands.main(["paint"])
    assert unknown.value.code == 2 and "invalid choice: 'paint'" in capsys.readouterr().err
