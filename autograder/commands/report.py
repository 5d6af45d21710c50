"""``convgrade report``: one HTML page about the class for the teacher."""
from __future__ import annotations

from autograder.commands import course_of
from autograder.publish.report import build_report


def run(args):
    path = build_report(course_of(args), args.output)
    print("wrote %s" % path)
