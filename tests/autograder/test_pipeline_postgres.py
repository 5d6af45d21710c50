"""`--db postgresql://...`: the same store on Debian's PostgreSQL (a throw-away server on
a Unix socket, no TCP), and one real submission graded into it through the command.
Skipped, saying why, where PostgreSQL's server binaries or a `postgres` user are missing."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.errors import GradebookError
from autograder.grading import failed_result
from autograder.release import release_assignment
from autograder.store import Store, read_table

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None) if Path("/usr/lib/postgresql").is_dir() \
    else None

pytestmark = pytest.mark.slow


def _postgres_user():
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


@pytest.fixture(scope="module")
def postgres_url():
    user = _postgres_user()
    if PG_BIN is None or not (PG_BIN / "initdb").exists() or user is None or os.geteuid() != 0:
        pytest.skip("needs Debian's PostgreSQL server (/usr/lib/postgresql/*/bin), a postgres user and root "
                    "to start a throw-away server as that user")
    base = Path(tempfile.mkdtemp(prefix="convgrade-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    os.chown(base, user.pw_uid, user.pw_gid)
    os.chown(sockets, user.pw_uid, user.pw_gid)

    def as_postgres(*command):
        return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], capture_output=True,
                              text=True, timeout=120)

    try:
        made = as_postgres(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres")
        assert made.returncode == 0, made.stderr
        started = as_postgres(PG_BIN / "pg_ctl", "-D", data, "-w", "-l", base / "log", "-o",
                              "-c listen_addresses='' -k %s" % sockets, "start")
        assert started.returncode == 0, started.stderr + (base / "log").read_text()
        created = as_postgres(PG_BIN / "createdb", "-h", sockets, "-U", "postgres", "convgrade")
        assert created.returncode == 0, created.stderr
        yield "postgresql+psycopg2://postgres@/convgrade?host=%s" % sockets
    finally:
        as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_course(postgres_url, tmp_path_factory):
    root = tmp_path_factory.mktemp("pg") / "course"
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    course = Course(root, db_url=postgres_url)
    release_assignment(course, "ps2")
    return course


def test_the_store_works_on_postgresql(pg_course):
    result = failed_result(pg_course, "ps2", "pia", "graded", "")
    for item in result.items:
        item.score = item.max_score / 2
    result.score = sum(i.score for i in result.items)
    broken = failed_result(pg_course, "ps2", "rob", "graded", "")
    broken.items[0].grade_id = "no_such_cell"
    with Store(pg_course) as store:
        store.write(result)
        store.write(result)  # written again (a --force run): still one row, items replaced
        with pytest.raises(GradebookError, match="no cell no_such_cell"):
            store.write(broken)
        assert set(store.recorded("ps2")) == {"pia"}
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(pg_course.db_url) as gb:
        assert gb.find_submission("ps2", "pia").score == pytest.approx(8.5)
        with pytest.raises(MissingEntry):
            gb.find_student("rob")  # the failed write left nothing, not even the student
    assert len(read_table(pg_course.db_url, "item")) == 7


def test_autograde_into_postgresql_through_the_command(pg_course):
    folder = pg_course.submission_dir("sam", "ps2")
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "source" / "ps2" / "ps2.ipynb", folder / "ps2.ipynb")
    proc = subprocess.run([str(Path(sys.executable).parent / "convgrade"), "--course", str(pg_course.root),
                           "autograde", "ps2", "--student", "sam", "--db", pg_course.db_url, "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = read_table(pg_course.db_url, "submission").set_index("student")
    assert table.loc["sam", "status"] == "graded" and table.loc["sam", "score"] == 17.0
    assert not (pg_course.root / "gradebook.db").exists()  # nothing went to a SQLite file
    assert nbformat.read(pg_course.autograded_path("sam", "ps2") / "ps2.ipynb", as_version=4).cells
