"""Stage 5, record: a graded submission, once, in one transaction (``docs/architecture.md``).

The gradebook is nbgrader's SQLAlchemy database; convgrade adds four tables to it:

``convgrade_submission`` - one row per (assignment, student) graded by convgrade:
    ``id, assignment, student, status`` (one of :data:`autograder.records.STATUSES`),
    ``score, max_score`` (autograded points; manual grades live in nbgrader's rows),
    ``late_penalty`` (points off, kept apart from ``score``), ``lms_late`` (the LMS
    marked it LATE, as collect found it), ``detail, protections`` (JSON list), ``seconds, graded_at,
    timestamp`` (submission time), ``submission_hash, rng_seed, inputs_salt``
    (the seed of the hidden inputs and the salt ``--new-inputs`` drew), ``typed_id,
    variant_id, id_check, id_flag`` (the id check of :mod:`autograder.pipeline.identity`).
``convgrade_deadline`` - one row per assignment whose due date ``convgrade deadline`` set:
    ``assignment, late_policy`` (:mod:`autograder.pipeline.late_policy` text),
    ``timezone`` (the one the teacher gave), ``set_at``; the due date itself is nbgrader's
    ``assignment.duedate`` (UTC), so nbgrader and formgrader see it too.
``convgrade_roster`` - one row per student of the class list (``convgrade roster``):
    ``filed_id, lms_id, institutional_id, email, name``.
``convgrade_item`` - one row per graded cell of such a submission:
    ``id, submission_id, assignment, student, notebook, grade_id, kind``
    (autograded/manual/task), ``check_ids`` (comma-separated), ``score`` (None while a
    teacher must grade it), ``max_score, fraction, misconception, message``.

:meth:`Store.write` puts a :class:`~autograder.records.SubmissionResult` into both
nbgrader's rows (``update_or_create_submission``, each ``Grade.auto_score`` and
``needs_manual_grade`` as nbgrader's SaveAutoGrades sets them, solution comments,
the late penalty from the assignment's ``convgrade deadline`` policy, else from
nbgrader's configured plugin) and convgrade's rows, through
nbgrader's own :class:`~nbgrader.api.Gradebook` methods bound to one connection
whose outer transaction commits once: their internal commits become savepoints.
On SQLite that transaction starts with ``BEGIN IMMEDIATE``, so two writers queue
instead of corrupting anything, and a gradebook locked for longer than the busy
timeout gives one clear error with nothing half-written. The autograded notebooks
are written (atomically, file by file) just before the commit, so a row in
``convgrade_submission`` always means "this submission is done": a killed run re-run
grades exactly the submissions without one.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import os
import sys
import time
import warnings
from contextlib import contextmanager

import pandas as pd
from nbgrader import utils as nbutils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties
from sqlalchemy import (Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint,
                        create_engine, event, inspect, select)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SAWarning, SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, relationship

from autograder.pipeline.late_policy import is_late, parse_policy, read_lms_mark
from autograder.course import alembic_on_path
from autograder.errors import GradebookBusy, GradebookError

Base = declarative_base()
#: Seconds a writer waits for another one's transaction before giving up (SQLite).
BUSY_TIMEOUT = float(os.environ.get("CONVGRADE_DB_TIMEOUT", "60"))


class SubmissionRow(Base):
    __tablename__ = "convgrade_submission"
    __table_args__ = (UniqueConstraint("assignment", "student"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    assignment = Column(String(128), nullable=False, index=True)
    student = Column(String(128), nullable=False)
    status = Column(String(16), nullable=False)
    score = Column(Float, nullable=False, default=0.0)
    max_score = Column(Float, nullable=False, default=0.0)
    late_penalty = Column(Float)
    lms_late = Column(Boolean, default=False)  # the LMS's LATE mark (submitted/STUDENT/NAME/lms.json)
    detail = Column(Text, default="")
    protections = Column(Text, default="[]")
    seconds = Column(Float)
    graded_at = Column(DateTime, nullable=False)
    timestamp = Column(DateTime)
    submission_hash = Column(String(64))
    rng_seed = Column(String(32))
    inputs_salt = Column(String(32), default="")  # set by --new-inputs; part of the seed until the next one
    typed_id = Column(String(128))      # MY_ID as the notebook types it (assignments with variants)
    variant_id = Column(String(128))    # whose numbers the by-hand items were graded on
    id_check = Column(String(16), default="")  # autograder.pipeline.identity.ID_CHECKS
    id_flag = Column(Text, default="")  # the teacher's line when the typed id is a classmate's
    items = relationship("ItemRow", back_populates="submission", cascade="all, delete-orphan",
                         order_by="ItemRow.id")


class ItemRow(Base):
    __tablename__ = "convgrade_item"

    id = Column(Integer, primary_key=True, autoincrement=True)
    submission_id = Column(Integer, ForeignKey("convgrade_submission.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    assignment = Column(String(128), nullable=False)
    student = Column(String(128), nullable=False)
    notebook = Column(String(128), nullable=False)
    grade_id = Column(String(128), nullable=False)
    kind = Column(String(16), nullable=False, default="autograded")
    check_ids = Column(Text, default="")
    score = Column(Float)
    max_score = Column(Float, nullable=False)
    fraction = Column(Float)
    misconception = Column(String(64))
    message = Column(Text, default="")
    submission = relationship("SubmissionRow", back_populates="items")


class RosterRow(Base):
    """One student of the class list (``convgrade roster import``): the ids one person has
    in the LMS, the institution and convgrade; any but one may be empty."""

    __tablename__ = "convgrade_roster"

    id = Column(Integer, primary_key=True, autoincrement=True)
    filed_id = Column(String(128), index=True, default="")          # the id submissions are filed under
    lms_id = Column(String(128), index=True, default="")            # the LMS's user number
    institutional_id = Column(String(128), index=True, default="")  # student number (SIS User ID, ID number)
    email = Column(String(256), default="")
    name = Column(String(256), default="")


class DeadlineRow(Base):
    """An assignment's late policy, set with its due date by ``convgrade deadline``."""

    __tablename__ = "convgrade_deadline"

    assignment = Column(String(128), primary_key=True)
    late_policy = Column(String(128), nullable=False, default="none")
    timezone = Column(String(64), nullable=False, default="UTC")
    set_at = Column(DateTime, nullable=False)


SUBMISSION_COLUMNS = [c.name for c in SubmissionRow.__table__.columns]
ITEM_COLUMNS = [c.name for c in ItemRow.__table__.columns]
DEADLINE_COLUMNS = [c.name for c in DeadlineRow.__table__.columns]


def make_engine(db_url, *, busy_timeout=None):
    """A SQLAlchemy engine for ``db_url``; on SQLite every transaction is ``BEGIN
    IMMEDIATE`` (the write lock up front) and waits ``busy_timeout`` seconds for it."""
    timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
    if not db_url.startswith("sqlite"):
        return create_engine(db_url, future=True, pool_pre_ping=True)
    engine = create_engine(db_url, future=True, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's recipe: we emit BEGIN ourselves

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def describe_url(db_url):
    """``db_url`` without its password, for messages."""
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:
        return repr(db_url)


def database_error(exc, db_url, timeout=None):
    """A one-line :class:`GradebookError` for a database exception."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = describe_url(db_url)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        waited = " for %g s" % timeout if timeout is not None else ""
        return GradebookError("the gradebook %s is locked by another program (formgrader, nbgrader or another "
                              "convgrade) and stayed locked%s; close it and run the command again" % (where, waited))
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return GradebookError("the gradebook %s is read-only; make it (and its folder) writable or pass "
                              "--db URL of a writable copy" % where)
    if "unable to open" in lowered:
        return GradebookError("cannot open the gradebook %s: does its folder exist and is it writable?" % where)
    return GradebookError("cannot use the gradebook %s: %s" % (where, text))


class _TransactionalGradebook:
    """nbgrader's :class:`~nbgrader.api.Gradebook` API on a session whose commits are
    savepoints of one outer transaction (see the module docstring)."""

    def __new__(cls, session, course_id):
        gradebook = object.__new__(Gradebook)
        gradebook.db = session
        gradebook.engine = session.get_bind()
        gradebook.course_id = course_id
        gradebook.authenticator = None
        return gradebook


class Store:
    """The course's gradebook, opened for convgrade's reads and writes.

    Parameters
    ----------
    course : autograder.course.Course
    busy_timeout : float, optional
        Seconds to wait for another writer (SQLite); default ``CONVGRADE_DB_TIMEOUT``
        or 60.
    """

    def __init__(self, course, *, busy_timeout=None):
        self.course = course
        self.db_url = course.db_url
        self.busy_timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        course_id = course.nbgrader_config().CourseDirectory.get("course_id", "") or "default_course"
        self.course_id = course_id
        try:
            ensure_schema(self.db_url, course_id)
            self.engine = make_engine(self.db_url, busy_timeout=self.busy_timeout)
        except SQLAlchemyError as exc:
            raise database_error(exc, self.db_url) from None

    def close(self):
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def transaction(self):
        """``(session, gradebook)`` inside one transaction, committed on success."""
        try:
            with self.engine.connect() as connection:
                outer = connection.begin()
                session = Session(bind=connection, join_transaction_mode="create_savepoint",
                                  autoflush=True, future=True)
                try:
                    yield session, _TransactionalGradebook(session, self.course_id)
                    session.commit()
                    outer.commit()
                except BaseException:
                    session.close()
                    outer.rollback()
                    raise
                session.close()
        except OperationalError as exc:
            raise database_error(exc, self.db_url, self.busy_timeout) from None

    def check_writable(self):
        """Take and release the write lock: fail now, with one line, rather than after
        grading the first submission."""
        with self.transaction():
            pass

    # -- reads -----------------------------------------------------------------------------
    def recorded(self, assignment):
        """``{student: submission_hash}`` of the submissions of ``assignment`` with a result."""
        try:
            with Session(self.engine) as session:
                rows = session.execute(select(SubmissionRow.student, SubmissionRow.submission_hash)
                                       .where(SubmissionRow.assignment == assignment)).all()
        except OperationalError as exc:
            raise database_error(exc, self.db_url) from None
        return {student: digest for student, digest in rows}

    def inputs_salts(self, assignment):
        """``{student: salt}`` of ``assignment``'s recorded submissions (``""``: never
        drawn anew), so a plain ``--force`` grades on the inputs of the last ``--new-inputs``."""
        with Session(self.engine) as session:
            rows = session.execute(select(SubmissionRow.student, SubmissionRow.inputs_salt)
                                   .where(SubmissionRow.assignment == assignment)).all()
        return {student: salt or "" for student, salt in rows}

    def gradebook_structure(self, assignment):
        """``{notebook: {grade_id, ...}}`` of ``assignment`` in nbgrader's tables, or None
        when the assignment is not in the gradebook (not released)."""
        with Session(self.engine) as session:
            gradebook = _TransactionalGradebook(session, self.course_id)
            try:
                found = gradebook.find_assignment(assignment)
            except MissingEntry:
                return None
            return {nb.name: {c.name for c in nb.grade_cells} | {c.name for c in nb.task_cells}
                    for nb in found.notebooks}

    # -- the write ---------------------------------------------------------------------------
    def write(self, result):
        """Record ``result`` (a SubmissionResult) and its autograded notebooks, once.

        Raises
        ------
        GradebookError
            The gradebook is locked, read-only, or does not know the assignment's
            cells (released before the source changed); nothing is written then.
        """
        self._write_notebooks(result)
        with self.transaction() as (session, gradebook), warnings.catch_warnings():
            # nbgrader's add_submission builds rows through backrefs; SQLAlchemy 2 warns, harmlessly
            warnings.filterwarnings("ignore", category=SAWarning, message=".*not in session.*")
            try:
                gradebook.find_student(result.student)
            except MissingEntry:
                gradebook.add_student(result.student)
            timestamp = nbutils.parse_utc(result.timestamp) if result.timestamp else None
            submission = gradebook.update_or_create_submission(result.assignment, result.student)
            submission.timestamp = timestamp
            for item in result.items:
                try:
                    grade = gradebook.find_grade(item.grade_id, item.notebook, result.assignment, result.student)
                except MissingEntry:
                    raise GradebookError("the gradebook has no cell %s in %s/%s; source/%s changed since it "
                                         "was released: run `convgrade release %s --force`"
                                         % (item.grade_id, result.assignment, item.notebook,
                                            result.assignment, result.assignment)) from None
                grade.auto_score = item.score
                grade.needs_manual_grade = grade.manual_score is not None or item.score is None
            for notebook, grade_id, text in getattr(result, "comments", []):
                try:
                    comment = gradebook.find_comment(grade_id, notebook, result.assignment, result.student)
                except MissingEntry:
                    continue
                comment.auto_comment = text
            session.flush()
            penalty, lms_late = self._late_penalty(session, gradebook, result, submission)

            row = session.execute(select(SubmissionRow).where(
                SubmissionRow.assignment == result.assignment,
                SubmissionRow.student == result.student)).scalar_one_or_none()
            if row is None:
                row = SubmissionRow(assignment=result.assignment, student=result.student)
                session.add(row)
            row.items = []
            row.status, row.score, row.max_score = result.status, result.score, result.max_score
            row.late_penalty, row.lms_late, row.detail = penalty, lms_late, result.detail
            row.protections = json.dumps(list(result.protections))
            row.seconds, row.graded_at = result.seconds, datetime.datetime.utcnow()
            row.timestamp, row.submission_hash = timestamp, result.submission_hash
            row.rng_seed = None if result.rng_seed is None else str(result.rng_seed)
            if result.rng_seed is not None:  # a result that drew no inputs (a dead worker's) keeps the salt
                row.inputs_salt = result.inputs_salt
            row.typed_id, row.variant_id = result.typed_id, result.variant_id
            row.id_check, row.id_flag = result.id_check, result.id_flag
            for item in result.items:
                row.items.append(ItemRow(
                    assignment=result.assignment, student=result.student, notebook=item.notebook,
                    grade_id=item.grade_id, kind=item.kind, check_ids=",".join(item.check_ids),
                    score=item.score, max_score=item.max_score, fraction=item.fraction,
                    misconception=item.misconception, message=item.message))

    def _late_penalty(self, session, gradebook, result, submission):
        """The late penalty of the submission just written, set in nbgrader's notebook
        rows too; returns ``(total or None when not late, lms_late)``. The assignment's
        convgrade policy (``convgrade deadline``) when it has one, else nbgrader's
        configured late-submission plugin, per notebook, as its AssignLatePenalties."""
        session.expire_all()  # the notebooks' scores are SQL expressions over the grades just set
        submission = gradebook.find_submission(result.assignment, result.student)
        lms_late = read_lms_mark(self.course.submission_dir(result.student, result.assignment))["late"]
        policy = stored_policy(session, result.assignment)
        if policy is not None:
            return apply_late_policy(submission, policy, lms_late), lms_late
        seconds_late = submission.total_seconds_late
        total = 0.0
        penalties = AssignLatePenalties(config=self.course.nbgrader_config())
        penalties.init_plugin()
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = None
            if seconds_late > 0:
                penalty = penalties.plugin_inst.late_submission_penalty(result.student, notebook.score,
                                                                        seconds_late)
                if penalty is not None:
                    notebook.late_submission_penalty = penalties._check_late_penalty(notebook, penalty)
                    total += notebook.late_submission_penalty
        return (total if seconds_late > 0 else None), lms_late

    def _write_notebooks(self, result):
        folder = self.course.autograded_path(result.student, result.assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.ipynb"):
            if stale.stem not in result.notebooks:
                stale.unlink()
        for name, text in result.notebooks.items():
            _atomic_write(folder / ("%s.ipynb" % name), text)
        if result.timestamp:
            _atomic_write(folder / "timestamp.txt", result.timestamp + "\n")


def _atomic_write(path, text):
    tmp = path.with_name(".%s.tmp-%d" % (path.name, os.getpid()))
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def ensure_schema(db_url, course_id="default_course"):
    """Create nbgrader's tables (through nbgrader, so its alembic version is set) and
    convgrade's, if missing."""
    alembic_on_path()
    for attempt in range(3):
        try:
            with Gradebook(db_url, course_id):
                pass
            engine = create_engine(db_url, future=True)
            try:
                Base.metadata.create_all(engine)
                _add_missing_columns(engine)
            finally:
                engine.dispose()
            return
        except SQLAlchemyError as exc:
            # two processes opening a new gradebook at once both see a table missing and
            # both create it: the slower one fails, and finds it there when it looks again
            if attempt == 2 or "already exists" not in str(exc):
                raise


def _add_missing_columns(engine):
    """Give a gradebook made by an older convgrade the columns added since (nullable,
    so its rows keep their values); create_all makes missing tables only."""
    found = inspect(engine)
    for table in Base.metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=engine.dialect)
                try:
                    with engine.begin() as connection:
                        connection.exec_driver_sql('ALTER TABLE %s ADD COLUMN "%s" %s'
                                                   % (table.name, column.name, kind))
                except SQLAlchemyError:
                    # another process opening the same gradebook added it first
                    if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                        raise


def stored_policy(session, assignment):
    """The :class:`~autograder.pipeline.late_policy.LatePolicy` convgrade holds for
    ``assignment``, or None (then nbgrader's configured plugin applies)."""
    text = session.execute(select(DeadlineRow.late_policy).where(DeadlineRow.assignment == assignment)).scalar()
    return None if text is None else parse_policy(text, "the stored late policy of %s" % assignment)


def apply_late_policy(submission, policy, lms_late):
    """Set the late penalty of nbgrader's ``submission`` (a SubmittedAssignment) from
    ``policy``; return the total penalty (None: not late).

    The penalty is the policy's for the whole assignment (its raw score and marks),
    spread over the notebooks in order, none taking more than its own score, so
    nbgrader's per-notebook rows add up to it and pass nbgrader's own check.
    """
    seconds_late = submission.total_seconds_late
    if not is_late(seconds_late, lms_late):
        for notebook in submission.notebooks:
            notebook.late_submission_penalty = None
        return None
    total = left = policy.penalty(submission.score, submission.max_score, seconds_late, lms_late)
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = min(left, float(notebook.score or 0.0))
        left -= notebook.late_submission_penalty
    return total


def read_table(db_url, which):
    """convgrade's table ``which`` ("submission", "item" or "deadline") as a DataFrame; empty
    (with the columns) when the database has no such table."""
    table, columns = {"submission": (SubmissionRow.__table__, SUBMISSION_COLUMNS),
                      "item": (ItemRow.__table__, ITEM_COLUMNS),
                      "deadline": (DeadlineRow.__table__, DEADLINE_COLUMNS)}[which]
    engine = create_engine(db_url, future=True)
    try:
        if not inspect(engine).has_table(table.name):
            return pd.DataFrame(columns=columns)
        with engine.connect() as connection:
            return pd.read_sql(select(table), connection)
    finally:
        engine.dispose()


@contextmanager
def course_lock(course, what="autograde", wait=0.0):
    """Hold the course's grading lock (``ROOT/.convgrade.lock``) for the block.

    A second run started while another holds the lock waits up to ``wait`` seconds for
    it (saying so once on stderr), so two runs serialise; the later one then finds the
    earlier one's results recorded and grades only what is left.

    Raises
    ------
    GradebookBusy
        Another process still holds it after ``wait`` seconds; the message names its pid.
        The lock dies with its process, so a killed run never leaves it behind.
    """
    path = course.root / ".convgrade.lock"
    handle = open(path, "a+", encoding="utf-8")
    deadline = time.monotonic() + max(0.0, float(wait))
    said = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise GradebookBusy("another convgrade run is grading this course (%s); wait for it to "
                                        "finish%s" % (holder, " (waited %g s)" % wait if wait else "")) from None
                if not said:
                    print("convgrade: waiting up to %g s for another convgrade run on this course (%s)"
                          % (wait, holder), file=sys.stderr, flush=True)
                    said = True
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write("pid %d, convgrade %s, since %s" % (os.getpid(), what,
                                                         datetime.datetime.now().strftime("%H:%M:%S")))
        handle.flush()
        yield
    finally:
        handle.close()


__all__ = ["Store", "SubmissionRow", "ItemRow", "RosterRow", "read_table", "course_lock", "ensure_schema",
           "DeadlineRow", "stored_policy", "apply_late_policy"]
