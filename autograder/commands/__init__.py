"""One thin module per ``convgrade`` command: each has ``run(args)``, which calls one
function of the package and prints what it did (:mod:`autograder.cli` parses the
arguments and dispatches); :func:`course_of` is the course every command works on."""
from __future__ import annotations

from pathlib import Path

from autograder.course import Course, default_root


def db_url_of(args):
    """The gradebook URL the command line names (``--db``), or None for the course's own."""
    return getattr(args, "autograde_db", None) or args.db


def course_of(args):
    """The course of ``--course`` (default: the current directory if it has ``source/``,
    else the repository root), with the gradebook of ``--db``."""
    return Course(Path(args.course) if args.course else default_root(), db_url=db_url_of(args))
