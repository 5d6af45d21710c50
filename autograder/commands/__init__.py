"""One thin module per ``convgrade`` command: each has ``run(args)``, which calls one
function of the package and prints what it did (:mod:`autograder.cli` parses the
arguments and dispatches); :func:`course_of` is the course every command works on."""
from __future__ import annotations

from autograder.course import Course, find_course_root


def db_url_of(args):
    """The gradebook URL the command line names (``--db``), or None for the course's own."""
    return args.db


def course_of(args):
    """The course of ``--course`` (else ``CONVGRADE_COURSE``, else the current directory or
    its nearest parent that is a course; never the repository), with the gradebook of ``--db``."""
    return Course(find_course_root(args.course), db_url=db_url_of(args))
