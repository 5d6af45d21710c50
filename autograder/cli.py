"""The `convgrade` command line: release, collect, autograde, feedback and more.

This module parses the arguments and runs the command's module in
:mod:`autograder.commands` (each calls one function of the package and prints what it
did), and turns every error a teacher can cause into one line
``convgrade: error: ...`` with a non-zero exit status, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from autograder import __version__
from autograder.errors import ConvgradeError

DESCRIPTION = "Grade nbgrader assignments on convolution in isolated kernels, against a trusted reference."
#: The commands, each a module of autograder.commands with ``run(args)``.
COMMANDS = ("init", "release", "collect", "autograde", "feedback", "key", "export", "report", "deadline", "demo",
            "lab", "hub", "roster")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``convgrade: error: ...``), exit 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        command = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        hint = " (see `convgrade %s--help`)" % (command + " " if command else "")
        self.exit(2, "convgrade: error: %s%s\n" % (" ".join(message.split()), hint))


class _CommandParser(_Parser):
    """A subcommand's parser: it takes the global options too, so they work after the
    subcommand (``convgrade autograde ps2 --course X``) as well as before it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _add_global_options(self, after_command=True)


class _DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default: written in the help where it is not a
    plain value (``(default: the number of cores)``), else added here."""

    def _get_help_string(self, action):
        text = action.help or ""
        if not action.option_strings or "(default" in text or action.default is argparse.SUPPRESS:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return text + " (default: off)"
        return text + " (default: %(default)s)"


def _add_global_options(parser, after_command=False):
    """``--course``, ``--db``, ``-v``: the top-level parser holds their defaults; after a
    subcommand they default to SUPPRESS, so leaving them out there keeps what came before."""
    unset = argparse.SUPPRESS if after_command else None
    parser.add_argument("--course", metavar="DIR", default=unset,
                        help="the course directory (default: $CONVGRADE_COURSE, else the current directory or "
                             "its nearest parent that has source/; `convgrade init DIR` makes one)")
    parser.add_argument("--db", metavar="URL", default=unset,
                        help="the gradebook's SQLAlchemy URL, postgresql://... works too "
                             "(default: sqlite:///COURSE/gradebook.db)")
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS if after_command else False,
                        help="log what nbgrader and the sandbox do (default: off)")


def _positive_int(name):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1 or str(value) != text.strip().lstrip("+"):
            raise argparse.ArgumentTypeError("%s must be a whole number >= 1, got %r" % (name, text))
        return value
    return parse


def _positive_float(name, allow_zero=False):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not (value >= 0 if allow_zero else value > 0) or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError("%s must be a number of seconds %s 0, got %r"
                                             % (name, ">=" if allow_zero else ">", text))
        return value
    return parse


def build_parser():
    """The ``convgrade`` parser. A new command is one ``commands.add_parser(...)`` block here
    and a module of :mod:`autograder.commands`; its parser takes the global options by itself."""
    parser = _Parser(prog="convgrade", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version="convgrade %s" % __version__)
    _add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    assignment = "an assignment: a folder of the course's source/"

    init = commands.add_parser("init", help="make a new course directory holding convgrade's assignments")
    init.add_argument("directory", metavar="DIR", help="the new course's folder (made if missing; must be empty)")
    init.add_argument("--course-id", metavar="ID", help="nbgrader's course id (default: DIR's name)")
    init.add_argument("--assignments", metavar="A,B,...",
                      help="the assignments to copy, comma-separated (default: all that convgrade ships)")

    release = commands.add_parser("release", help="nbgrader generate_assignment into release/NAME")
    release.add_argument("assignment", metavar="NAME", help=assignment)
    release.add_argument("--force", action="store_true",
                         help="regenerate release/NAME even where it differs from what source/NAME generates")

    collect = commands.add_parser("collect", help="gather submissions into submitted/STUDENT/NAME")
    collect.add_argument("assignment", metavar="NAME", help=assignment)
    collect.add_argument("--from", dest="source", metavar="PATH",
                         help="a folder (STUDENT/NAME/*.ipynb or STUDENT/*.ipynb) or an LMS zip (Canvas, Moodle) "
                              "(default: nbgrader's exchange)")
    collect.add_argument("--file-under", choices=("name", "lms-id"), default="name",
                         help="for LMS zips: file students under their name or their LMS number")
    collect.add_argument("--max-notebook-mb", type=_positive_int("--max-notebook-mb"), default=64, metavar="MB",
                         help="refuse a notebook larger than this")
    collect.add_argument("--max-total-mb", type=_positive_int("--max-total-mb"), default=1024, metavar="MB",
                         help="read or unpack at most this much in one collect, refused files included")

    autograde = commands.add_parser("autograde", help="grade submissions in sandboxed kernels")
    autograde.add_argument("assignment", metavar="NAME", help=assignment)
    autograde.add_argument("--student", action="append", metavar="ID",
                           help="grade only this student, repeatable (default: every submission)")
    autograde.add_argument("--workers", type=_positive_int("--workers"), metavar="N",
                           help="worker processes (default: the number of cores)")
    autograde.add_argument("--timeout", type=_positive_float("--timeout"), metavar="S",
                           help="wall seconds per cell (default: 30)")
    autograde.add_argument("--notebook-timeout", type=_positive_float("--notebook-timeout"), metavar="S",
                           help="wall seconds per notebook (default: 600)")
    autograde.add_argument("--dask", metavar="ADDRESS", help="grade on this Dask scheduler, whose workers must see "
                                                             "the course directory (default: local workers)")
    autograde.add_argument("--force", action="store_true", help="grade again submissions that have a result "
                                                                "(on the same random inputs: the same score)")
    autograde.add_argument("--new-inputs", action="store_true",
                           help="grade again on new random inputs (kept for later runs; the summary says how many)")
    autograde.add_argument("--wait", type=_positive_float("--wait", allow_zero=True), default=600.0, metavar="S",
                           help="if another run is grading this course, wait up to S seconds for it, then grade "
                                "what it left (0: refuse at once)")
    autograde.add_argument("--unsandboxed", action="store_true",
                           help="run even where bubblewrap is unavailable (weaker isolation, reported)")
    autograde.add_argument("--no-progress", action="store_true", help="no progress bar")

    feedback = commands.add_parser("feedback", help="HTML feedback per student in feedback/STUDENT/NAME")
    feedback.add_argument("assignment", metavar="NAME", help=assignment)
    feedback.add_argument("--student", action="append", metavar="ID",
                          help="only this student, repeatable (default: every autograded student)")
    feedback.add_argument("--release", action="store_true",
                          help="then put the pages into nbgrader's exchange for students to fetch")

    key = commands.add_parser("key", help="a student's variant and answer key")
    key.add_argument("assignment", metavar="NAME", help=assignment)
    key.add_argument("--student", required=True, metavar="ID", help="the student's id (required)")
    key.add_argument("--any-id", action="store_true", help="print the key for an id not in the gradebook")

    export = commands.add_parser("export", help="grades as CSV (nbgrader, items, canvas, moodle)")
    export.add_argument("-o", "--output", metavar="FILE", help="the CSV file, relative to the current directory (default: grades.csv, or grades-FORMAT.csv for the "
                             "other formats)")
    export.add_argument("--format", default="nbgrader", choices=("nbgrader", "items", "canvas", "moodle"),
                        help="the columns: nbgrader's, one row per item, or an LMS's grade import")
    export.add_argument("--assignment", action="append", metavar="NAME",
                        help="export only this assignment, repeatable (default: every assignment)")
    export.add_argument("--student", action="append", metavar="ID",
                        help="export only this student, repeatable (default: every student)")
    export.add_argument("--decimals", type=int, choices=range(7), default=2, metavar="N",
                        help="round scores to N decimals, 0 to 6 (default: 2)")

    report = commands.add_parser("report", help="one HTML page for the teacher")
    report.add_argument("-o", "--output", metavar="FILE", default="report.html",
                        help="the HTML file, relative to the current directory")

    deadline = commands.add_parser("deadline", help="an assignment's due date and late policy (applied at once)")
    deadline.add_argument("assignment", metavar="NAME", help=assignment)
    deadline.add_argument("--due", metavar="'YYYY-MM-DD HH:MM'",
                          help="the due date, in --timezone's local time (default: keep the one set)")
    deadline.add_argument("--timezone", metavar="ZONE",
                          help="an IANA time zone such as Europe/Amsterdam (default: the one given last, else UTC)")
    deadline.add_argument("--late-policy", metavar="POLICY",
                          help="none, per-hour:P or per-day:P (P %% of the marks off per started hour/day) and/or "
                               "zero-after:H, comma-separated (default: keep the one set, else none)")

    demo = commands.add_parser("demo", help="grade a simulated class end to end in a throw-away course")
    demo.add_argument("--students", type=_positive_int("--students"), default=30, metavar="N",
                      help="the simulated class's size, 1 to 30")
    demo.add_argument("--workers", type=_positive_int("--workers"), metavar="N",
                      help="worker processes (default: the number of cores)")
    demo.add_argument("--dir", metavar="DIR", help="build the demo course here (default: a temporary folder)")

    roster = commands.add_parser("roster", help="the class list: which ids (LMS, school, e-mail) are one student's")
    roster.add_argument("action", choices=("import", "show"), help="import a class list, or print the roster")
    roster.add_argument("file", nargs="?", metavar="FILE",
                        help="for import: a Canvas gradebook export, a Moodle grades export, or a CSV with "
                             "filed_id,lms_id,institutional_id,email,name")
    roster.add_argument("--from-collected", metavar="NAME",
                        help="for import: the students collect filed for assignment NAME, with their LMS ids "
                             "and names (default: read FILE instead)")

    lab = commands.add_parser("lab", help="JupyterLab on the course (teacher) or a student's workspace")
    lab.add_argument("--student", action="store_true", help="a student's view of release/")
    lab.add_argument("--port", type=_positive_int("--port"), metavar="N", help="the port (default: a free one)")

    hub = commands.add_parser("hub", help="JupyterHub for the course with throw-away Unix users (as root)")
    hub.add_argument("--students", default="ada,ben,cy", metavar="A,B,...",
                     help="students' short names, lower-case letters and digits (default: ada,ben,cy)")
    hub.add_argument("--assignments", default="ps2", metavar="NAME,...",
                     help="released to nbgrader's exchange at start (default: ps2)")
    hub.add_argument("--port", type=_positive_int("--port"), metavar="N", help="the hub's port (default: a free one)")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    # nbgrader's converters chat on WARNING and print tracebacks on ERROR; unless --verbose
    # the commands turn their failures into one line (autograder.course.nbgrader_errors)
    nbgrader_log = logging.getLogger("traitlets")
    saved = nbgrader_log.level, nbgrader_log.propagate
    if not args.verbose:
        nbgrader_log.setLevel(logging.ERROR)
        nbgrader_log.propagate = False
    try:
        # a command's module is loaded when it runs: it loads nbgrader, SQLAlchemy or JupyterLab,
        # which `convgrade --help` and a usage error do without
        command = importlib.import_module("autograder.commands." + args.command)
        return command.run(args) or 0
    except ConvgradeError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to finish (results so far are kept)", 130)
    except OSError as exc:
        where = " (%s)" % exc.filename if getattr(exc, "filename", None) else ""
        return _fail("%s%s" % (exc.strerror or exc, where), 1)
    except Exception as exc:
        # here, not at the top: SQLAlchemy and the store take half a second to load, which
        # `convgrade --help` and a usage error do without
        from sqlalchemy.exc import SQLAlchemyError

        from autograder.commands import course_of, db_url_of
        from autograder.pipeline.record import database_error

        if isinstance(exc, SQLAlchemyError):
            return _fail(str(database_error(exc, db_url_of(args) or course_of(args).db_url)), 2)
        raise
    finally:
        nbgrader_log.setLevel(saved[0])
        nbgrader_log.propagate = saved[1]


def _fail(message, code):
    print("convgrade: error: %s" % " ".join(str(message).split()), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
