"""`--db postgresql://...` end to end: a real PostgreSQL server from Debian's packages, a
small ps2 batch graded into it through the `convgrade` command, exported from it, and the
same batch graded into SQLite for comparison.

The server is started here, for this module only: ``initdb`` into a temporary folder as
the unprivileged user ``nobody`` (PostgreSQL refuses to run as root, and the tests run as
root), ``pg_ctl start`` listening on no TCP port at all, only on a Unix socket in that
folder, with ``trust`` authentication (nothing else can reach the socket). A finalizer
stops it and deletes the folder, whatever the tests did.

Missing server programs are a failure, not a skip: ``make install`` installs Debian's
``postgresql`` (Makefile, ``system-packages``).
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_HOME = Path("/usr/lib/postgresql")
#: The batch: full marks (loops), partial credit with a misconception, a half-done
#: notebook (zero cells), full marks despite stderr warnings. Their scores do not depend
#: on the random draw of hidden inputs, so the PostgreSQL and SQLite runs must agree exactly.
PERSONAS = ("s01", "s02", "s03", "s10")
PS2_POINTS = 17.0
NBGRADER_TABLES = {"assignment", "notebook", "grade_cells", "student", "submitted_assignment",
                   "submitted_notebook", "grade"}

pytestmark = pytest.mark.slow


# -- the server -------------------------------------------------------------------------------
def server_programs():
    """The newest ``/usr/lib/postgresql/VERSION/bin`` holding initdb, pg_ctl and createdb."""
    found = [p.parent for p in PG_HOME.glob("*/bin/pg_ctl")
             if (p.parent / "initdb").exists() and (p.parent / "createdb").exists()]
    if not found:
        pytest.fail("PostgreSQL's server programs are missing (no %s/VERSION/bin/initdb, pg_ctl, createdb): run "
                    "`make install`, which installs Debian's postgresql package" % PG_HOME, pytrace=False)
    return max(found, key=lambda b: [int(n) for n in re.findall(r"\d+", b.parent.name)] or [0])


class Server:
    """A throw-away PostgreSQL cluster in ``base``, run by the user ``nobody``."""

    def __init__(self, programs, base):
        self.programs, self.base = programs, base
        self.data, self.socket, self.log = base / "data", base / "socket", base / "server.log"
        self.user = pwd.getpwnam("nobody")
        self.running = False

    def as_nobody(self, program, *args, timeout=120):
        # setpriv: drop to nobody's uid and gid, no supplementary groups, no capabilities
        command = ["setpriv", "--reuid=%d" % self.user.pw_uid, "--regid=%d" % self.user.pw_gid, "--clear-groups",
                   "--inh-caps=-all", str(self.programs / program), *map(str, args)]
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.base)}
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=self.base)

    def must(self, program, *args):
        proc = self.as_nobody(program, *args)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            pytest.fail("%s %s failed (%d): %s%s\n%s" % (program, " ".join(map(str, args)), proc.returncode,
                                                        proc.stdout[-2000:], proc.stderr[-2000:], log),
                        pytrace=False)
        return proc

    def start(self, database):
        self.socket.mkdir()
        for path in (self.base, self.socket):
            os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self.must("initdb", "-D", self.data, "-U", "convgrade", "-A", "trust", "-E", "UTF8", "--no-sync")
        self.running = True  # from here on the finalizer tries to stop it
        # no TCP at all (listen_addresses ''): only the socket in our folder; fsync off: a test's data
        self.must("pg_ctl", "start", "-w", "-t", "60", "-D", self.data, "-l", self.log, "-o",
                  "-c listen_addresses='' -c unix_socket_directories='%s' -c fsync=off" % self.socket)
        self.must("createdb", "-h", self.socket, "-U", "convgrade", database)
        return "postgresql://convgrade@/%s?host=%s" % (database, self.socket)

    def stop(self):
        if self.running:
            stopped = self.as_nobody("pg_ctl", "stop", "-w", "-t", "60", "-D", self.data, "-m", "fast")
            if stopped.returncode != 0 and "not running" not in stopped.stderr + stopped.stdout:
                self.as_nobody("pg_ctl", "stop", "-w", "-t", "30", "-D", self.data, "-m", "immediate")
            self.running = False
        shutil.rmtree(self.base, ignore_errors=True)

    def is_up(self):
        return self.as_nobody("pg_ctl", "status", "-D", self.data).returncode == 0


@pytest.fixture(scope="module")
def postgres(request):
    """``(url, server)``: a fresh database on a server that lives as long as this module."""
    programs = server_programs()
    # not under pytest's tmp_path: that is root's, mode 0700, and nobody could not enter it
    server = Server(programs, Path(tempfile.mkdtemp(prefix="convgrade-pg-")))
    request.addfinalizer(server.stop)
    return server.start("gradebook"), server


def with_driver(url):
    """The URL for reads in this process: SQLAlchemy 2.1 takes a bare ``postgresql://`` to
    mean psycopg 3; the project installs psycopg2 (the command picks it by itself)."""
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


# -- the batch, graded twice ----------------------------------------------------------------
def convgrade(*args, timeout=600):
    env = dict(os.environ, PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    proc = subprocess.run([str(VENV_BIN / "convgrade"), *args], capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert proc.returncode == 0, "convgrade %s failed (%d):\n%s\n%s" % (" ".join(args), proc.returncode,
                                                                        proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


def handins():
    """``{student: notebook}``: the simulated class's ps2 work of :data:`PERSONAS`, made
    from the real release notebook."""
    from autograder.demo import simulate

    release = nbformat.read(ROOT / "release" / "ps2" / "ps2.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / "ps2" / "ps2.ipynb", as_version=4)
    personas = {p.id: p for p in simulate.roster()}
    return {pid: simulate.student_notebook(release, source, personas[pid], "ps2") for pid in PERSONAS}


def graded_course(root, notebooks, db_args):
    """Release ps2 into a course at ``root``, hand in ``notebooks``, autograde and export
    (both CSV formats) through the command, with ``db_args`` (``[]`` or ``["--db", URL]``)."""
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    course = ["--course", str(root), *db_args]
    convgrade(*course, "release", "ps2")
    for student, nb in notebooks.items():
        (root / "submitted" / student / "ps2").mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / student / "ps2" / "ps2.ipynb")
    log = convgrade(*course, "autograde", "ps2", "--workers", "2", "--no-progress")
    for fmt in ("nbgrader", "items"):
        convgrade(*course, "export", "--format", fmt, "-o", str(root / ("%s.csv" % fmt)))
    return log


@pytest.fixture(scope="module")
def runs(postgres, tmp_path_factory):
    """The batch graded into PostgreSQL and into SQLite: ``{"pg": root, "sqlite": root, "url": url}``."""
    url, _ = postgres
    notebooks = handins()
    base = tmp_path_factory.mktemp("postgres")
    pg_log = graded_course(base / "pg", notebooks, ["--db", url])
    graded_course(base / "sqlite", notebooks, [])
    return {"pg": base / "pg", "sqlite": base / "sqlite", "url": url, "pg_log": pg_log}


def cell_scores(url):
    """``{student: {grade_id: (score, max_score)}}`` from nbgrader's own tables, read
    through nbgrader's Gradebook."""
    from nbgrader.api import Gradebook

    course_id = "default_course" if url.startswith("postgresql") else ""
    with Gradebook(with_driver(url), course_id) as gb:
        return {s.student.id: {g.name: (g.score, g.max_score) for nb in s.notebooks for g in nb.grades}
                for s in gb.find_assignment("ps2").submissions}


def items(url):
    from autograder.pipeline.record import read_table

    table = read_table(with_driver(url), "item")
    return {(r.student, r.grade_id): (r.score, r.max_score, r.misconception) for r in table.itertuples()}


# -- the tests ----------------------------------------------------------------------------------
def test_the_server_listens_on_its_socket_only(postgres):
    import sqlalchemy

    url, server = postgres
    assert server.is_up()
    engine = sqlalchemy.create_engine(with_driver(url))
    try:
        with engine.connect() as connection:
            listen = connection.exec_driver_sql("SHOW listen_addresses").scalar()
            user = connection.exec_driver_sql("SELECT current_user").scalar()
    finally:
        engine.dispose()
    assert listen == "" and user == "convgrade"
    owner = pwd.getpwuid((server.data / "PG_VERSION").stat().st_uid).pw_name
    assert owner == "nobody"  # run unprivileged, never as root


def test_grades_land_in_postgresql(runs):
    import sqlalchemy

    url = runs["url"]
    engine = sqlalchemy.create_engine(with_driver(url))
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        with engine.connect() as connection:
            submissions = connection.exec_driver_sql(
                "SELECT student, status, score, max_score FROM convgrade_submission WHERE assignment = 'ps2'").all()
            n_items = connection.exec_driver_sql("SELECT count(*) FROM convgrade_item").scalar()
            n_grades = connection.exec_driver_sql(
                "SELECT count(*) FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
                "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id").scalar()
    finally:
        engine.dispose()
    assert NBGRADER_TABLES | {"convgrade_submission", "convgrade_item"} <= tables
    by_student = {s: (status, score, max_score) for s, status, score, max_score in submissions}
    assert set(by_student) == set(PERSONAS)
    assert {status for status, _, _ in by_student.values()} == {"graded"}
    assert all(m == PS2_POINTS for _, _, m in by_student.values())
    assert by_student["s01"][1] == PS2_POINTS and by_student["s10"][1] == PS2_POINTS  # stderr costs nothing
    assert 0 < by_student["s02"][1] < PS2_POINTS and 0 < by_student["s03"][1] < PS2_POINTS
    assert n_items == 7 * len(PERSONAS) and n_grades == 7 * len(PERSONAS)  # ps2 has 7 graded cells
    # nbgrader's rows, read back through nbgrader, add up to convgrade's totals
    scores = cell_scores(url)
    for student, (_, score, _) in by_student.items():
        assert sum(s for s, _ in scores[student].values()) == pytest.approx(score)
    assert "flipped_kernel" in {m for (s, _), (_, _, m) in items(url).items() if s == "s02"}
    # nothing went to a SQLite file beside the course
    assert not (runs["pg"] / "gradebook.db").exists()
    assert "isolation: bubblewrap" in runs["pg_log"]


def test_postgresql_and_sqlite_runs_agree(runs):
    sqlite_url = "sqlite:///%s" % (runs["sqlite"] / "gradebook.db")
    assert cell_scores(runs["url"]) == cell_scores(sqlite_url)
    assert items(runs["url"]) == items(sqlite_url)


def test_export_from_postgresql_matches_sqlite(runs):
    for fmt, key in (("nbgrader", ["student_id"]), ("items", ["student_id", "grade_id"])):
        pg = pd.read_csv(runs["pg"] / ("%s.csv" % fmt)).sort_values(key).reset_index(drop=True)
        lite = pd.read_csv(runs["sqlite"] / ("%s.csv" % fmt)).sort_values(key).reset_index(drop=True)
        # messages name the shapes of the hidden inputs, which are drawn afresh in each run
        pg, lite = (t.drop(columns=[c for c in ("message",) if c in t]) for t in (pg, lite))
        pd.testing.assert_frame_equal(pg, lite, check_dtype=False)
        assert set(pg["student_id"]) == set(PERSONAS)
    grades = pd.read_csv(runs["pg"] / "nbgrader.csv").set_index("student_id")
    assert grades.loc["s01", "score"] == PS2_POINTS and grades.loc["s01", "status"] == "graded"


# -- the store's API on PostgreSQL ----------------------------------------------------------
@pytest.fixture(scope="module")
def pg_course(postgres, tmp_path_factory):
    """A released ps2 course whose gradebook is a second database on the same server."""
    from autograder.classroom.release import release_assignment
    from autograder.course import Course

    _, server = postgres
    server.must("createdb", "-h", server.socket, "-U", "convgrade", "store")
    root = tmp_path_factory.mktemp("pg-store") / "course"
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    course = Course(root, db_url="postgresql://convgrade@/store?host=%s" % server.socket)
    release_assignment(course, "ps2")
    return course


def test_the_store_writes_once_and_all_or_nothing_on_postgresql(pg_course):
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.errors import GradebookError
    from autograder.pipeline.grade import failed_result
    from autograder.pipeline.record import Store, read_table

    result = failed_result(pg_course, "ps2", "pia", "graded", "")
    items = [replace(item, score=item.max_score / 2) for item in result.items]
    result = replace(result, items=items, score=sum(i.score for i in items))
    broken = failed_result(pg_course, "ps2", "rob", "graded", "")
    broken = replace(broken, items=[replace(broken.items[0], grade_id="no_such_cell")] + broken.items[1:])
    with Store(pg_course) as store:
        store.write(result)
        store.write(result)  # written again (a --force run): still one row, items replaced
        with pytest.raises(GradebookError, match="no cell no_such_cell"):
            store.write(broken)
        assert set(store.recorded("ps2")) == {"pia"}
    with Gradebook(pg_course.db_url) as gb:
        assert gb.find_submission("ps2", "pia").score == pytest.approx(8.5)
        with pytest.raises(MissingEntry):
            gb.find_student("rob")  # the failed write left nothing, not even the student
    assert len(read_table(pg_course.db_url, "item")) == 7
