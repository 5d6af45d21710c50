"""A convgrade course: nbgrader's course directory plus where convgrade finds things.

Layout (nbgrader's, ``CourseDirectory.directory_structure`` kept at its default)::

    ROOT/
      source/NAME/NB.ipynb            the teacher's notebooks (model solutions, hidden tests)
      release/NAME/NB.ipynb           what students get (``convgrade release``)
      submitted/STUDENT/NAME/...      what they handed in (``convgrade collect``)
      autograded/STUDENT/NAME/...     rebuilt, executed, with feedback in the test cells
      feedback/STUDENT/NAME/NB.html   ``convgrade feedback``
      gradebook.db                    nbgrader's database, with convgrade's two tables

nbgrader's configuration comes from ``autograder/nbgrader_config.py``, then from an
``nbgrader_config.py`` in the course root when there is one (a course may override),
with ``CourseDirectory.root`` (and ``db_url``) set by the course itself.

A :class:`Course` holds only paths and a URL, so it pickles cheaply to grading
workers and Dask.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

from autograder.errors import ConvgradeError, CourseError, GradebookError, SetupError, UnknownAssignment, UnknownStudent

PACKAGE_DIR = Path(__file__).resolve().parent
REPOSITORY_ROOT = PACKAGE_DIR.parent
CONFIG_FILE = PACKAGE_DIR / "nbgrader_config.py"
STUDENT_KERNEL = "convgrade-student"


class Course:
    """The course rooted at ``root``.

    Parameters
    ----------
    root : path
        The course directory; it must exist.
    db_url : str, optional
        SQLAlchemy URL of the gradebook; default ``sqlite:///ROOT/gradebook.db``.
    """

    def __init__(self, root, db_url=None):
        root = Path(root).expanduser()
        if not root.is_dir():
            raise CourseError("course directory %s does not exist (pass --course DIR)" % root)
        self.root = root.resolve()
        if db_url:
            # SQLAlchemy only for a --db URL to check: a Course is made by every command and worker
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError

            try:
                url = make_url(db_url)
            except ArgumentError:
                raise GradebookError("--db %r is not a database URL (sqlite:///PATH or "
                                     "postgresql://USER@HOST/DATABASE)" % db_url) from None
            if url.drivername == "postgresql":
                db_url = _postgresql_driver(url)
        self.db_url = db_url or "sqlite:///%s" % (self.root / "gradebook.db")

    def __repr__(self):
        return "Course(%r, db_url=%r)" % (str(self.root), self.db_url)

    def __eq__(self, other):
        return isinstance(other, Course) and (self.root, self.db_url) == (other.root, other.db_url)

    def __hash__(self):
        return hash((self.root, self.db_url))

    # -- folders -------------------------------------------------------------------------
    source_dir = property(lambda self: self.root / "source")
    release_dir = property(lambda self: self.root / "release")
    submitted_dir = property(lambda self: self.root / "submitted")
    autograded_dir = property(lambda self: self.root / "autograded")
    feedback_dir = property(lambda self: self.root / "feedback")
    archive_dir = property(lambda self: self.root / "archive")

    @property
    def is_sqlite(self):
        return self.db_url.startswith("sqlite")

    @property
    def sqlite_path(self):
        """The gradebook's file for a ``sqlite:///`` URL, else None."""
        prefix = "sqlite:///"
        if self.db_url.startswith(prefix):
            return Path(self.db_url[len(prefix):].split("?", 1)[0])
        return None

    # -- nbgrader configuration ----------------------------------------------------------
    def nbgrader_config(self, **overrides):
        """nbgrader's traitlets ``Config`` for this course.

        ``overrides`` are ``"Section.trait": value`` pairs applied last (e.g.
        ``{"BaseConverter.force": True}``).
        """
        # traitlets and nbgrader load when a configuration is read, not with every Course:
        # a Course is pickled to each grading worker and made by every command
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        alembic_on_path()
        config = Config()
        for path in (CONFIG_FILE, self.root / "nbgrader_config.py"):
            if path.is_file():
                config.merge(PyFileConfigLoader(path.name, str(path.parent)).load_config())
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        if not self.is_sqlite and not config.CourseDirectory.get("course_id"):
            # nbgrader files assignments under course "" when none is set, which only SQLite
            # (no foreign keys enforced) accepts; its Gradebook's own default is this one
            config.CourseDirectory.course_id = "default_course"
        for dotted, value in overrides.items():
            section, _, trait = dotted.rpartition(".")
            setattr(config[section], trait, value)
        return config

    def coursedir(self, **overrides):
        """nbgrader's ``CourseDirectory`` for this course (see :meth:`nbgrader_config`)."""
        from nbgrader.coursedir import CourseDirectory  # see nbgrader_config: not with every Course

        return CourseDirectory(config=self.nbgrader_config(**overrides))

    # -- assignments and notebooks -------------------------------------------------------
    def assignments(self):
        """Names of the assignments in ``source/``, sorted."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    def require_assignment(self, name):
        """Return ``name`` if ``source/NAME`` holds notebooks, else raise UnknownAssignment."""
        if not self.source_dir.is_dir():
            raise CourseError("%s has no source/ folder; is it a course directory? (pass --course DIR)"
                              % self.root)
        known = self.assignments()
        if name not in known:
            raise UnknownAssignment("unknown assignment %r: source/ has %s"
                                    % (name, ", ".join(known) if known else "no assignments"))
        if not self.notebook_names(name):
            raise UnknownAssignment("source/%s has no notebooks" % name)
        return name

    def source_notebooks(self, assignment):
        """``{notebook name: path}`` of ``source/ASSIGNMENT/*.ipynb``, sorted by name."""
        folder = self.source_dir / assignment
        return {p.stem: p for p in sorted(folder.glob("*.ipynb"))} if folder.is_dir() else {}

    def release_notebooks(self, assignment):
        """``{notebook name: path}`` of ``release/ASSIGNMENT/*.ipynb``."""
        folder = self.release_dir / assignment
        return {p.stem: p for p in sorted(folder.glob("*.ipynb"))} if folder.is_dir() else {}

    def notebook_names(self, assignment):
        return list(self.source_notebooks(assignment))

    def source_files(self, assignment):
        """Non-notebook files shipped with ``source/ASSIGNMENT`` (data a notebook reads),
        as ``{relative path: path}``; hidden and checkpoint folders are skipped."""
        folder = self.source_dir / assignment
        files = {}
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            rel = path.relative_to(folder)
            if path.is_file() and path.suffix != ".ipynb" and \
                    not any(part.startswith(".") for part in rel.parts):
                files[str(rel)] = path
        return files

    # -- submissions ---------------------------------------------------------------------
    def submission_dir(self, student, assignment):
        return self.submitted_dir / student / assignment

    def autograded_path(self, student, assignment):
        return self.autograded_dir / student / assignment

    def submitted_students(self, assignment):
        """Students with a ``submitted/STUDENT/ASSIGNMENT`` folder, sorted."""
        if not self.submitted_dir.is_dir():
            return []
        return sorted(p.name for p in self.submitted_dir.iterdir()
                      if (p / assignment).is_dir() and not p.name.startswith("."))

    def require_students(self, assignment, students):
        """Check that each of ``students`` submitted ``assignment``; return them."""
        present = set(self.submitted_students(assignment))
        for student in students:
            if student not in present:
                raise UnknownStudent("student %r has no submission of %s (no folder submitted/%s/%s)"
                                     % (student, assignment, student, assignment))
        return list(students)

    # -- the students' kernel environment ------------------------------------------------
    @property
    def student_python(self):
        """The interpreter of the students' kernel environment.

        ``CONVGRADE_STUDENT_PYTHON`` wins; else ``.venv-student`` of the course, then of
        the repository this package lives in (``make install`` creates it).
        """
        override = os.environ.get("CONVGRADE_STUDENT_PYTHON")
        candidates = [Path(override)] if override else [
            self.root / ".venv-student" / "bin" / "python",
            REPOSITORY_ROOT / ".venv-student" / "bin" / "python"]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        raise SetupError("the students' kernel environment is missing (looked for %s); run `make install`"
                         % ", ".join(str(c) for c in candidates))


def _postgresql_driver(url):
    """A ``postgresql://`` URL with the driver that is installed: SQLAlchemy 2.1 picks
    psycopg (3) for a bare ``postgresql://``, the project installs psycopg2."""
    for module, drivername in (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return url.set(drivername=drivername).render_as_string(hide_password=False)
    raise GradebookError("--db %s needs a PostgreSQL driver for Python: pip install psycopg2-binary"
                         % url.render_as_string(hide_password=True))


def read_timestamp(folder):
    """The text of ``folder/timestamp.txt`` (nbgrader's submission time), or None."""
    try:
        text = (Path(folder) / "timestamp.txt").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return text or None


def submission_hash(folder):
    """SHA-256 over a submission's notebooks and timestamp (name and bytes, sorted)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and (path.suffix == ".ipynb" or path.name == "timestamp.txt"):
                digest.update(path.name.encode("utf-8") + b"\0")
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
                digest.update(b"\0")
    return digest.hexdigest()


_RAISED = re.compile(r"^(?:[A-Za-z_][\w]*\.)*([A-Z]\w*(?:Error|Exception|Entry): .+)$", re.MULTILINE)


@contextmanager
def nbgrader_errors():
    """Collect the errors nbgrader's converters log while the block runs.

    Yields a list; after a failure, :func:`nbgrader_failure` turns it into one line.
    (The CLI keeps nbgrader's own log quiet unless ``--verbose``.)"""
    records = []

    class _Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = _Collect(level=logging.ERROR)
    logger = logging.getLogger("traitlets")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def run_converter(converter, what):
    """``converter.start()`` for an nbgrader converter; its failure becomes one
    :class:`ConvgradeError` ``nbgrader could not <what>: <the most telling line>``."""
    from nbgrader.converters.base import NbGraderException  # see Course.nbgrader_config: here, not at the top

    with nbgrader_errors() as logged:
        try:
            converter.start()
        except NbGraderException as exc:
            raise ConvgradeError("nbgrader could not %s: %s" % (what, nbgrader_failure(logged, str(exc)))) from None


def nbgrader_failure(records, fallback):
    """The most telling line of what nbgrader logged: the exception that ended its
    last traceback (``ArgumentError: Could not parse ...``), else ``fallback``."""
    for message in reversed(records):
        if message.startswith("Traceback"):
            raised = [m.group(1) for m in _RAISED.finditer(message)]
            if raised:
                return raised[-1]
    errors = [m for m in records if "see the" not in m.lower()]
    return errors[-1].splitlines()[0] if errors else fallback


def alembic_on_path():
    """nbgrader runs the ``alembic`` command when it creates a gradebook; make the one
    beside this interpreter findable when its environment is not activated."""
    here = str(Path(sys.executable).parent)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


#: Names a course for commands run without ``--course`` (a cron job, a hub's service).
COURSE_ENV = "CONVGRADE_COURSE"


def is_course_dir(folder):
    """Whether ``folder`` is a course directory: it has ``source/``, or an
    ``nbgrader_config.py`` beside a ``gradebook.db`` (a course kept without its sources)."""
    folder = Path(folder)
    return (folder / "source").is_dir() or \
        ((folder / "nbgrader_config.py").is_file() and (folder / "gradebook.db").is_file())


def find_course_root(named=None, cwd=None):
    """The folder of the course a command works on.

    ``named`` (``--course DIR``) wins, then the environment variable ``CONVGRADE_COURSE``,
    then the current directory or its nearest parent that :func:`is_course_dir`. There is
    no fallback to the repository: without a course, :class:`CourseError` says how to
    make or name one.
    """
    if named:
        return Path(named)
    if os.environ.get(COURSE_ENV):
        return Path(os.environ[COURSE_ENV])
    here = Path(cwd or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if is_course_dir(folder):
            return folder
    raise CourseError("no course here (no source/ in %s or its parents): make one with `convgrade init DIR` "
                      "or pass --course DIR" % here)
