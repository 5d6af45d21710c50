"""``convgrade export``: grades as CSV (nbgrader, items, canvas, moodle); a grade that is
not final is left empty, and each one waiting for work is named on stderr."""
from __future__ import annotations

import sys

from autograder.commands import course_of
from autograder.publish.export import export_grades


def run(args):
    path = export_grades(course_of(args), args.format, args.output, assignments=args.assignment,
                         students=args.student, decimals=args.decimals, on_warning=_warn)
    print("wrote %s" % path)


def _warn(line):
    print("convgrade: warning: %s" % line, file=sys.stderr)
