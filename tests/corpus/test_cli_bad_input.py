"""Bad input to every ``convgrade`` command (issue 5): a wrong argument, a missing folder,
an unknown assignment or student, an unusable gradebook. Each must end with ONE line
``convgrade: error: ...`` that names what is wrong, a non-zero exit status, and no
traceback anywhere in the output.

The commands run through ``autograder.cli.main``, the function the installed script
calls, with the process's own stdout and stderr captured (``capfd``), so output from
nbgrader, alembic or warnings would be seen too. ``tests/autograder/test_cli.py``
checks selected messages word for word; this file sweeps every command.
"""
from __future__ import annotations

import re
import shutil

import pytest

from autograder import cli
from corpus_checks import copy_course

#: (argv, regex the error line must match); {course}, {broken}, {missing}, {file}, {zip}
#: and {dir} are filled in by the fixture.
BAD = [
    # the course and the gradebook, for every command that reads them
    (["--course", "{missing}", "release", "ps2"], r"course directory .*missing.* does not exist"),
    (["--course", "{missing}", "collect", "ps2", "--from", "{dir}"], r"course directory .*missing"),
    (["--course", "{missing}", "autograde", "ps2"], r"course directory .*missing"),
    (["--course", "{missing}", "feedback", "ps2"], r"course directory .*missing"),
    (["--course", "{missing}", "key", "ps2", "--student", "ada"], r"course directory .*missing"),
    (["--course", "{missing}", "export"], r"course directory .*missing"),
    (["--course", "{missing}", "report"], r"course directory .*missing"),
    (["--course", "{missing}", "lab"], r"course directory .*missing"),
    (["--course", "{dir}", "autograde", "ps2"], r"has no source/ folder"),
    (["--course", "{course}", "--db", "nonsense://x", "export"], r"gradebook nonsense://x"),
    (["--course", "{course}", "--db", "sqlite:///{missing}/gb.db", "autograde", "ps2"],
     r"cannot open the gradebook .*missing/gb\.db"),
    (["--course", "{course}", "--db", "sqlite:///{file}", "report", "-o", "{dir}/r.html"],
     r"gradebook .*notes\.txt.*not a database"),
    (["--course", "{course}", "--db", "postgresql://nobody@127.0.0.1:1/none", "export"],
     r"gradebook postgresql://nobody@127\.0\.0\.1:1/none.*(refused|connect)"),
    (["--course", "{broken}", "autograde", "ps2"], r"gradebook .*gradebook\.db.*not a database"),
    (["--course", "{broken}", "feedback", "ps2"], r"gradebook .*gradebook\.db.*not a database"),
    (["--course", "{broken}", "key", "ps2", "--student", "ada"], r"gradebook .*gradebook\.db.*not a database"),
    (["--course", "{broken}", "export"], r"gradebook .*gradebook\.db.*not a database"),
    (["--course", "{broken}", "report", "-o", "{dir}/r.html"], r"gradebook .*gradebook\.db.*not a database"),
    # the command line itself
    (["--bogus"], r"unrecognized arguments: --bogus"),
    (["regrade", "ps2"], r"invalid choice: 'regrade'"),
    (["--course", "{course}", "release"], r"required: NAME"),
    (["--course", "{course}", "release", "ps9"], r"unknown assignment 'ps9'"),
    (["--course", "{course}", "release", "../ps2"], r"unknown assignment '\.\./ps2'"),
    (["--course", "{edited}", "release", "ps2"], r"release/ps2 differs from what source/ps2 generates .*--force"),
    (["--course", "{course}", "collect", "ps9", "--from", "{dir}"], r"unknown assignment 'ps9'"),
    (["--course", "{course}", "collect", "ps2", "--from", "{missing}"], r"--from .*missing: no such file"),
    (["--course", "{course}", "collect", "ps2", "--from", "{file}"], r"--from .*notes\.txt is neither"),
    (["--course", "{course}", "collect", "ps2", "--from", "{zip}"], r"--from .*broken\.zip is neither"),
    (["--course", "{course}", "collect", "ps2", "--file-under", "bogus"], r"--file-under: invalid choice"),
    (["--course", "{course}", "autograde", "ps9"], r"unknown assignment 'ps9'"),
    (["--course", "{course}", "autograde", ""], r"unknown assignment ''"),
    (["--course", "{course}", "autograde", "ps2", "--student", "zed"], r"student 'zed' has no submission"),
    (["--course", "{course}", "autograde", "ps2", "--student", "../../etc"], r"student '\.\./\.\./etc'"),
    (["--course", "{course}", "autograde", "ps2", "--workers", "0"], r"--workers must be a whole number"),
    (["--course", "{course}", "autograde", "ps2", "--workers", "1.5"], r"--workers .* got '1\.5'"),
    (["--course", "{course}", "autograde", "ps2", "--timeout", "nan"], r"--timeout .* got 'nan'"),
    (["--course", "{course}", "autograde", "ps2", "--timeout", "1e400"], r"--timeout .* got '1e400'"),
    (["--course", "{course}", "autograde", "ps2", "--notebook-timeout", "-5"], r"--notebook-timeout"),
    (["--course", "{course}", "autograde", "ps2", "--dask", "no-port-here", "--no-progress"],
     r"Dask scheduler at no-port-here"),
    (["--course", "{course}", "feedback", "ps9"], r"unknown assignment 'ps9'"),
    (["--course", "{course}", "feedback", "ps2"], r"no autograded/\*/ps2"),
    (["--course", "{course}", "feedback", "ps2", "--student", "zed"], r"student 'zed' has no autograded ps2"),
    (["--course", "{course}", "key", "ps9", "--student", "ada"], r"unknown assignment 'ps9'"),
    (["--course", "{course}", "key", "ps2"], r"required: --student"),
    (["--course", "{course}", "key", "ps2", "--student", "zed"], r"student 'zed' is not in the gradebook"),
    (["--course", "{course}", "export", "--format", "bogus"], r"--format: invalid choice: 'bogus'"),
    (["--course", "{course}", "export", "-o", "{missing}/grades.csv"], r"missing.* does not exist"),
    (["--course", "{course}", "export", "-o", "{dir}"], r"-o .*empty is a folder; name a file"),
    (["--course", "{course}", "report", "-o", "{missing}/report.html"], r"missing.* does not exist"),
    (["--course", "{course}", "report", "-o", "{dir}"], r"[Ii]s a directory"),
    (["demo", "--students", "0"], r"--students must be a whole number"),
    (["demo", "--students", "31"], r"--students: .*between 1 and 30, got 31"),
    (["demo", "--dir", "{course}"], r"--dir .* not empty and was not made by `convgrade demo`"),
    (["--course", "{course}", "lab", "--port", "0"], r"--port must be a whole number"),
    (["--course", "{course}", "lab", "--port", "http"], r"--port .* got 'http'"),
]


@pytest.fixture(scope="module")
def places(released_ps2, tmp_path_factory):
    """A released ps2 course with one submission (ada, in the gradebook), the same course
    with a gradebook that is not a database, one with a hand-edited release/ps2, and a few
    things that are not courses."""
    base = tmp_path_factory.mktemp("cli-bad-input")
    course = copy_course(released_ps2, base / "course")
    (course / "submitted" / "ada" / "ps2").mkdir(parents=True)
    shutil.copy(course / "release" / "ps2" / "ps2.ipynb", course / "submitted" / "ada" / "ps2" / "ps2.ipynb")
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gradebook:
        gradebook.update_or_create_student("ada")
    broken = copy_course(course, base / "broken")
    edited = copy_course(course, base / "edited")  # a release/ps2 that is not what source/ps2 generates
    (edited / "release" / "ps2" / "notes.txt").write_text("a teacher's note\n")
    (broken / "gradebook.db").write_bytes(b"this is not an SQLite database\n" * 200)
    (base / "notes.txt").write_text("not a course, not a zip\n")
    (base / "broken.zip").write_bytes(b"PK\x03\x04 but not really a zip")
    (base / "empty").mkdir()
    return {"course": course, "broken": broken, "edited": edited, "missing": base / "missing",
            "file": base / "notes.txt", "zip": base / "broken.zip", "dir": base / "empty"}


@pytest.mark.parametrize("argv, pattern", BAD, ids=[" ".join(a for a in argv if a != "--course") for argv, _ in BAD])
def test_bad_input_is_one_line_and_a_non_zero_exit(places, capfd, argv, pattern):
    argv = [a.format(**places) for a in argv]
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse's own exit for usage errors
        status = exc.code
    out, err = capfd.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in out + err, err[-3000:]
    assert len(lines) == 1, "expected one line on stderr, got:\n%s" % err[-3000:]
    assert lines[0].startswith("convgrade: error: "), lines[0]
    assert re.search(pattern, lines[0]), "%r does not match %r" % (lines[0], pattern)
    assert isinstance(status, int) and status != 0, (status, lines[0])


def test_bad_input_left_the_course_untouched(places):
    """None of the failed commands above created, graded or released anything."""
    course = places["course"]
    assert sorted(p.name for p in course.iterdir() if p.name != ".convgrade.lock") == \
        ["gradebook.db", "release", "source", "submitted"]
    assert not (places["missing"]).exists()
    assert sorted(p.name for p in places["dir"].iterdir()) == []
