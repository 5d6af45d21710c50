"""The `convgrade` command line: release, collect, autograde, feedback and more.

Each command calls one function of the package; this module only parses arguments,
prints results, and turns every error a teacher can cause into one line
``convgrade: error: ...`` with a non-zero exit status, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from autograder import __version__
from autograder.errors import ConvgradeError

DESCRIPTION = "Grade nbgrader assignments on convolution in isolated kernels, against a trusted reference."


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
        return COMMANDS[args.command](args) or 0
    except ConvgradeError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to finish (results so far are kept)", 130)
    except OSError as exc:
        where = " (%s)" % exc.filename if getattr(exc, "filename", None) else ""
        return _fail("%s%s" % (exc.strerror or exc, where), 1)
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            from autograder.store import database_error

            return _fail(str(database_error(exc, _db_url(args) or _course(args).db_url)), 2)
        raise
    finally:
        nbgrader_log.setLevel(saved[0])
        nbgrader_log.propagate = saved[1]


def _fail(message, code):
    print("convgrade: error: %s" % " ".join(str(message).split()), file=sys.stderr)
    return code


def _db_url(args):
    return getattr(args, "autograde_db", None) or args.db


def _course(args):
    from autograder.course import Course, default_root

    return Course(Path(args.course) if args.course else default_root(), db_url=_db_url(args))


# -- commands -------------------------------------------------------------------------------
def cmd_release(args):
    from autograder.release import release_assignment

    course = _course(args)
    released = release_assignment(course, args.assignment, force=args.force)
    for name, path in sorted(released.items()):
        print("released %s" % path.relative_to(course.root))


def cmd_collect(args):
    from autograder.collect import collect
    from autograder.unpack import MB, Caps

    caps = Caps(file_bytes=args.max_notebook_mb * MB, total_bytes=args.max_total_mb * MB)
    report = collect(_course(args), args.assignment, args.source, file_under=args.file_under, caps=caps)
    for line in report.lines():
        print(line)
    print("%d submission(s) placed, %d file(s) not placed" % (len(report.placed), len(report.unplaced)))
    return 1 if report.unplaced and not report.placed else 0


def cmd_autograde(args):
    from autograder.execute import Limits
    from autograder.parallel import autograde, default_workers
    from autograder.sandbox import active_protections
    from autograder.errors import SetupError

    course = _course(args)
    limits = Limits(**{k: v for k, v in (("cell_timeout", args.timeout),
                                         ("notebook_timeout", args.notebook_timeout)) if v is not None})
    protections = active_protections()
    if not args.unsandboxed and "bubblewrap" not in protections:
        raise SetupError("bubblewrap is not usable here, so student code would run without the sandbox; install "
                         "Debian's bubblewrap (make install) or pass --unsandboxed to accept weaker isolation")
    workers = args.workers or default_workers()
    summary = autograde(course, args.assignment, args.student, workers=workers, limits=limits,
                        dask_address=args.dask, force=args.force, progress=not args.no_progress,
                        require_sandbox=not args.unsandboxed, lock_wait=args.wait)
    where = "on Dask at %s" % args.dask if args.dask else "with %d worker%s" % (workers, "s" * (workers != 1))
    counts = summary.counts
    if summary.graded:
        print("graded %d submission(s) of %s in %.1f s (%.1f per minute) %s: %s"
              % (len(summary.graded), args.assignment, summary.seconds, summary.per_minute, where,
                 ", ".join("%s %d" % (s, counts[s]) for s in sorted(counts))))
    for student, status, score, max_score, detail in summary.graded:
        if status != "graded":
            print("  %s: %s, %g of %g (%s)" % (student, status, score, max_score, detail))
    if summary.skipped:
        print("skipped %d submission(s) already graded with unchanged files (--force grades them again)"
              % len(summary.skipped))
    if not summary.graded and not summary.skipped:
        print("nothing to grade: no submitted/*/%s" % args.assignment)
    if summary.protections:
        print("isolation: %s" % ", ".join(summary.protections))


def cmd_feedback(args):
    from autograder.feedback import generate_feedback

    course = _course(args)
    written = generate_feedback(course, args.assignment, args.student)
    for path in written:
        print("wrote %s" % path.relative_to(course.root))


def cmd_key(args):
    course = _course(args)
    course.require_assignment(args.assignment)
    if not args.any_id:
        _require_in_gradebook(course, args.student)
    try:
        module = importlib.import_module("autograder.checks.%s" % args.assignment)
    except ModuleNotFoundError as exc:
        if exc.name != "autograder.checks.%s" % args.assignment:
            raise
        module = None
    answer_key = getattr(module, "answer_key", None)
    if answer_key is None:
        print("%s has no per-student variant: its hidden inputs are drawn fresh at grading time, "
              "so there is no answer key to print" % args.assignment)
        return 0
    import numpy as np
    from convgrade_kernel import variant

    with np.printoptions(linewidth=100, precision=4, suppress=True):
        try:
            numbers = variant(args.assignment, args.student)
        except ValueError:
            numbers = None
        if numbers:
            print("variant of %s for %s:" % (args.assignment, args.student))
            _print_mapping(numbers)
        print("answer key of %s for %s:" % (args.assignment, args.student))
        _print_mapping(answer_key(args.assignment, args.student))


def _print_mapping(mapping):
    import numpy as np

    if not isinstance(mapping, dict):
        print("  %s" % (mapping,))
        return
    for name, value in mapping.items():
        text = np.array2string(value) if isinstance(value, np.ndarray) else repr(value)
        if "\n" in text:
            print("  %s =\n    %s" % (name, text.replace("\n", "\n    ")))
        else:
            print("  %s = %s" % (name, text))


def _require_in_gradebook(course, student):
    from autograder.errors import UnknownStudent

    path = course.sqlite_path
    if path is not None and not path.exists():
        return  # no gradebook yet: nothing to check against
    from nbgrader.api import Gradebook

    from autograder.store import ensure_schema

    ensure_schema(course.db_url)
    with Gradebook(course.db_url) as gradebook:
        known = sorted(s.id for s in gradebook.students)
    if known and student not in known:
        shown = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        raise UnknownStudent("student %r is not in the gradebook (students: %s); pass --any-id to use it anyway"
                             % (student, shown))


def _optional(module_name, what):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ConvgradeError("`convgrade %s` is not available yet (no %s module)" % (what, module_name)) from None


def cmd_export(args):
    export = _optional("autograder.export", "export")
    course = _course(args)
    path = export.export_grades(course, args.format, args.output)
    print("wrote %s" % path)


def cmd_report(args):
    report = _optional("autograder.report", "report")
    path = report.build_report(_course(args), args.output)
    print("wrote %s" % path)


def cmd_demo(args):
    demo = _optional("autograder.demo", "demo")
    summary = demo.run_demo(workdir=args.dir, students=args.students, workers=args.workers)
    text = summary.render() if hasattr(summary, "render") else None
    if text:
        print(text)
    return 1 if getattr(summary, "mismatches", None) else 0


def cmd_lab(args):
    lab = _optional("autograder.lab", "lab")
    return lab.run_lab(_course(args).root, student=args.student, port=args.port, db_url=_db_url(args))


COMMANDS = {"release": cmd_release, "collect": cmd_collect, "autograde": cmd_autograde, "feedback": cmd_feedback,
            "key": cmd_key, "export": cmd_export, "report": cmd_report, "demo": cmd_demo, "lab": cmd_lab}


if __name__ == "__main__":
    sys.exit(main())
