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
COMMANDS = ("release", "collect", "autograde", "feedback", "key", "export", "report", "demo", "lab")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``convgrade: error: ...``), exit 2."""

    def error(self, message):
        command = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        hint = " (see `convgrade %s--help`)" % (command + " " if command else "")
        self.exit(2, "convgrade: error: %s%s\n" % (" ".join(message.split()), hint))


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
    parser = _Parser(prog="convgrade", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version="convgrade %s" % __version__)
    parser.add_argument("--course", metavar="DIR", help="the course directory (default: the current directory "
                                                        "if it has source/, else the repository root)")
    parser.add_argument("--db", metavar="URL", help="the gradebook's SQLAlchemy URL (default: sqlite:///COURSE/"
                                                    "gradebook.db; postgresql://... works too)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what nbgrader and the sandbox do")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    release = commands.add_parser("release", help="nbgrader generate_assignment into release/NAME")
    release.add_argument("assignment", metavar="NAME")
    release.add_argument("--force", action="store_true", help="regenerate an existing release/NAME")

    collect = commands.add_parser("collect", help="gather submissions into submitted/STUDENT/NAME")
    collect.add_argument("assignment", metavar="NAME")
    collect.add_argument("--from", dest="source", metavar="PATH",
                         help="a folder (STUDENT/NAME/*.ipynb or STUDENT/*.ipynb) or an LMS zip (Canvas, Moodle); "
                              "default: nbgrader's exchange")
    collect.add_argument("--file-under", choices=("name", "lms-id"), default="name",
                         help="for LMS zips: file students under their name (default) or their LMS number")
    collect.add_argument("--max-notebook-mb", type=_positive_int("--max-notebook-mb"), default=64, metavar="MB",
                         help="refuse a notebook larger than this (default 64)")
    collect.add_argument("--max-total-mb", type=_positive_int("--max-total-mb"), default=1024, metavar="MB",
                         help="read or unpack at most this much in one collect, refused files included (default 1024)")

    autograde = commands.add_parser("autograde", help="grade submissions in sandboxed kernels")
    autograde.add_argument("assignment", metavar="NAME")
    autograde.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    autograde.add_argument("--workers", type=_positive_int("--workers"), metavar="N",
                           help="worker processes (default: the number of cores)")
    autograde.add_argument("--timeout", type=_positive_float("--timeout"), metavar="S",
                           help="wall seconds per cell (default 30)")
    autograde.add_argument("--notebook-timeout", type=_positive_float("--notebook-timeout"), metavar="S",
                           help="wall seconds per notebook (default 600)")
    autograde.add_argument("--dask", metavar="ADDRESS", help="grade on this Dask scheduler instead of local "
                                                             "workers (its workers must see the course directory)")
    autograde.add_argument("--force", action="store_true", help="grade again submissions that have a result")
    autograde.add_argument("--wait", type=_positive_float("--wait", allow_zero=True), default=600.0, metavar="S",
                           help="if another run is grading this course, wait up to S seconds for it, then grade "
                                "what it left (default 600; 0: refuse at once)")
    autograde.add_argument("--db", dest="autograde_db", metavar="URL", help="as the global --db")
    autograde.add_argument("--unsandboxed", action="store_true",
                           help="run even where bubblewrap is unavailable (weaker isolation, reported)")
    autograde.add_argument("--no-progress", action="store_true", help="no progress bar")

    feedback = commands.add_parser("feedback", help="HTML feedback per student in feedback/STUDENT/NAME")
    feedback.add_argument("assignment", metavar="NAME")
    feedback.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")

    key = commands.add_parser("key", help="a student's variant and answer key")
    key.add_argument("assignment", metavar="NAME")
    key.add_argument("--student", required=True, metavar="ID")
    key.add_argument("--any-id", action="store_true", help="print the key for an id not in the gradebook")

    export = commands.add_parser("export", help="grades as CSV (nbgrader, items, canvas, moodle)")
    export.add_argument("-o", "--output", metavar="FILE")
    export.add_argument("--format", default="nbgrader", choices=("nbgrader", "items", "canvas", "moodle"))

    report = commands.add_parser("report", help="one HTML page for the teacher")
    report.add_argument("-o", "--output", metavar="FILE", default="report.html")

    demo = commands.add_parser("demo", help="grade a simulated class end to end in a throw-away course")
    demo.add_argument("--students", type=_positive_int("--students"), default=30, metavar="N")
    demo.add_argument("--workers", type=_positive_int("--workers"), metavar="N")
    demo.add_argument("--dir", metavar="DIR", help="build the demo course here (default: a temporary folder)")

    lab = commands.add_parser("lab", help="JupyterLab on the course (teacher) or a student's workspace")
    lab.add_argument("--student", action="store_true", help="a student's view of release/")
    lab.add_argument("--port", type=_positive_int("--port"), metavar="N")
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
