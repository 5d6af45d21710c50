"""`convgrade` as a teacher meets it: every mistake a teacher can make ends in one line
`convgrade: error: ...` and a non-zero exit status, never a traceback. Most cases call
the command's `main` in process (the same code the console script runs); one runs the
installed script to prove the same holds for a real process."""
from __future__ import annotations

import argparse
import os
import re
import time
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import cli
from autograder.course import Course
from autograder.pipeline.record import course_lock

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A course with ps1 and ps2 released and one ps2 submission (ada), not graded."""
    root = tmp_path_factory.mktemp("cli") / "course"
    for name in ("ps1", "ps2"):
        shutil.copytree(ROOT / "source" / name, root / "source" / name)
        assert cli.main(["--course", str(root), "release", name]) == 0
    (root / "submitted" / "ada" / "ps2").mkdir(parents=True)
    shutil.copy(root / "release" / "ps2" / "ps2.ipynb", root / "submitted" / "ada" / "ps2" / "ps2.ipynb")
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///%s" % (root / "gradebook.db")) as gb:
        gb.update_or_create_student("ada")
    return root


@pytest.fixture
def course(template, tmp_path):
    shutil.copytree(template, tmp_path / "course")
    return tmp_path / "course"


def fails(capsys, argv, pattern, code=2):
    """Run ``convgrade ARGV``; assert one stderr line matching ``pattern`` and exit ``code``."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own exit
        status = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, "expected one line, got:\n%s" % err
    assert lines[0].startswith("convgrade: error: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in err
    assert status == code, (status, lines[0])
    return lines[0]


def test_unknown_course_assignment_student_and_folder(capsys, course, tmp_path):
    fails(capsys, ["--course", tmp_path / "nowhere", "autograde", "ps2"], r"course directory .*nowhere does not exist")
    fails(capsys, ["--course", course, "autograde", "ps9"], r"unknown assignment 'ps9': source/ has ps1, ps2")
    fails(capsys, ["--course", course, "autograde", "ps2", "--student", "zed"],
          r"student 'zed' has no submission of ps2")
    fails(capsys, ["--course", course, "feedback", "ps2", "--student", "zed"], r"student 'zed' has no autograded ps2")
    fails(capsys, ["--course", course, "collect", "ps2", "--from", tmp_path / "missing"], r"no such file or folder")
    fails(capsys, ["autograde", "ps9", "--course", course], r"unknown assignment 'ps9': source/ has ps1, ps2")
    fails(capsys, ["--course", tmp_path, "autograde", "ps2"], r"has no source/ folder")


@pytest.mark.parametrize("argv, pattern", [
    (["autograde", "ps2", "--workers", "0"], r"--workers must be a whole number >= 1, got '0'"),
    (["autograde", "ps2", "--workers", "two"], r"--workers must be a whole number >= 1, got 'two'"),
    (["autograde", "ps2", "--timeout", "-1"], r"--timeout must be a number of seconds > 0"),
    (["regrade", "ps2"], r"invalid choice: 'regrade'"),
    (["key", "ps1"], r"the following arguments are required: --student"),
])
def test_bad_arguments_are_one_line(capsys, course, argv, pattern):
    fails(capsys, ["--course", course] + argv, pattern)


def test_grading_before_release_says_what_to_do(capsys, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    (root / "submitted" / "ada" / "ps2").mkdir(parents=True)
    fails(capsys, ["--course", root, "autograde", "ps2", "--no-progress"],
          r"ps2 is not in the gradebook; run `convgrade release ps2` first")


def test_a_changed_source_must_be_released_again(capsys, course):
    nb = nbformat.read(course / "source" / "ps2" / "ps2.ipynb", as_version=4)
    nb.cells[4].metadata["nbgrader"]["grade_id"] = "test_output_size_renamed"
    nbformat.write(nb, course / "source" / "ps2" / "ps2.ipynb")
    fails(capsys, ["--course", course, "autograde", "ps2"], r"changed since it was released.*--force")


def test_a_busy_course_and_a_locked_or_read_only_gradebook(capsys, course, monkeypatch):
    with course_lock(Course(course)):
        fails(capsys, ["--course", course, "autograde", "ps2", "--wait", "0"],
              r"another convgrade run is grading this course \(pid %d" % os.getpid())
        started = time.monotonic()
        assert cli.main(["--course", str(course), "autograde", "ps2", "--wait", "1"]) == 2
        assert time.monotonic() - started >= 1.0  # it waited for the other run before giving up
        waited, error = capsys.readouterr().err.strip().splitlines()
        assert waited.startswith("convgrade: waiting up to 1 s for another convgrade run")
        assert re.match(r"convgrade: error: another convgrade run is grading this course \(pid %d.*"
                        r"\(waited 1 s\)$" % os.getpid(), error), error
    monkeypatch.setattr("autograder.pipeline.record.BUSY_TIMEOUT", 0.3)
    other = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        fails(capsys, ["--course", course, "autograde", "ps2"], r"gradebook .* is locked by another program")
    finally:
        other.execute("ROLLBACK")
        other.close()
    read_only = "sqlite:///file:%s?mode=ro&uri=true" % (course / "gradebook.db")
    fails(capsys, ["--course", course, "--db", read_only, "autograde", "ps2"], r"gradebook .* is read-only")
    with sqlite3.connect(course / "gradebook.db") as db:  # nothing was written by either attempt
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (0,)


def test_key_prints_a_students_variant_and_answers(capsys, course):
    assert cli.main(["--course", str(course), "key", "ps1", "--student", "ada"]) == 0
    out = capsys.readouterr().out
    assert "variant of ps1 for ada:" in out and "answer key of ps1 for ada:" in out
    from autograder.judging.checks.ps1 import answer_key

    first_item = next(iter(answer_key("ps1", "ada")))
    assert "  %s = " % first_item in out
    fails(capsys, ["--course", course, "key", "ps1", "--student", "bea"], r"student 'bea' is not in the gradebook")
    assert cli.main(["--course", str(course), "key", "ps1", "--student", "bea", "--any-id"]) == 0
    assert cli.main(["--course", str(course), "key", "ps2", "--student", "ada"]) == 0
    assert "ps2 has no per-student variant" in capsys.readouterr().out


def test_export_is_wired_to_the_export_module(capsys, course, tmp_path):
    target = tmp_path / "items.csv"
    assert cli.main(["--course", str(course), "export", "--format", "items", "-o", str(target)]) == 0
    assert target.read_text().startswith("assignment,student_id,notebook,grade_id")


def test_the_installed_command_prints_one_line_and_no_traceback(course):
    proc = subprocess.run([str(CONVGRADE), "--course", str(course), "autograde", "ps7"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["convgrade: error: unknown assignment 'ps7': source/ has ps1, ps2"]
    assert proc.stdout == ""


def test_a_bad_database_url_is_one_line(capsys, course):
    fails(capsys, ["--course", course, "--db", "gradebook", "autograde", "ps2"], r"--db 'gradebook' is not a database URL")
    fails(capsys, ["--course", course, "--db", "sqlite:////no/such/folder/gradebook.db", "release", "ps2", "--force"],
          r"nbgrader could not generate release/ps2: OperationalError: .*unable to open database file")
    fails(capsys, ["--course", course, "--db", "sqlite:////no/such/folder/gradebook.db", "autograde", "ps2"],
          r"cannot open the gradebook .*does its folder exist")


def test_global_options_work_after_the_subcommand_too(capsys, course):
    parser = cli.build_parser()
    after = parser.parse_args(["autograde", "ps2", "--course", "A", "--db", "sqlite:///x.db", "-v"])
    assert (after.course, after.db, after.verbose) == ("A", "sqlite:///x.db", True)
    before = parser.parse_args(["--course", "A", "-v", "autograde", "ps2"])
    assert (before.course, before.db, before.verbose) == ("A", None, True)  # the subcommand does not reset them
    assert parser.parse_args(["--course", "A", "export", "--course", "B"]).course == "B"  # the later one wins
    assert cli.main(["key", "ps1", "--student", "ada", "--course", str(course)]) == 0
    assert "answer key of ps1 for ada:" in capsys.readouterr().out
    # --db after the subcommand is the gradebook used (autograde's own --db is the same option)
    fails(capsys, ["autograde", "ps2", "--course", course, "--db", "sqlite:////no/such/folder/gradebook.db"],
          r"cannot open the gradebook .*no/such/folder")
    fails(capsys, ["autograde", "ps2", "--workers", "0", "--course", course],
          r"--workers must be a whole number >= 1, got '0' \(see `convgrade autograde --help`\)$")


def test_the_course_comes_from_the_environment_or_a_parent_folder(capsys, course, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("CONVGRADE_COURSE", str(course))
    assert cli.main(["key", "ps1", "--student", "ada"]) == 0
    monkeypatch.setenv("CONVGRADE_COURSE", str(tmp_path / "nowhere"))
    assert cli.main(["key", "ps1", "--student", "ada", "--course", str(course)]) == 0  # --course wins
    fails(capsys, ["key", "ps1", "--student", "ada"], r"course directory .*nowhere does not exist")
    monkeypatch.delenv("CONVGRADE_COURSE")
    monkeypatch.chdir(course / "submitted" / "ada" / "ps2")  # inside the course: its folder is found
    assert cli.main(["key", "ps1", "--student", "ada"]) == 0


def _subcommands():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices, convgrade=parser)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_option_says_its_default(name):
    """`convgrade [COMMAND] --help`: every option's help ends with its default; every
    positional argument is explained; the global options are there after a command too."""
    parser = _subcommands()[name]
    text = parser.format_help()
    blocks = {}
    for block in re.split(r"\n(?=  -)", text.split("\noptions:\n", 1)[1]):
        blocks[block.split()[0].rstrip(",")] = " ".join(block.split())
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if not action.option_strings:
            assert action.help or isinstance(action, argparse._SubParsersAction), (name, action.dest)
            continue
        shown = blocks[action.option_strings[0]]
        assert re.search(r"\(default: [^)]+\)", shown), (name, shown)
    for option in ("--course", "--db", "-v"):
        assert option in blocks, (name, option)
