"""``convgrade export``: grades as CSV (nbgrader, items, canvas, moodle)."""
from __future__ import annotations

from autograder.commands import course_of
from autograder.publish.export import export_grades


def run(args):
    path = export_grades(course_of(args), args.format, args.output)
    print("wrote %s" % path)
