"""``convgrade deadline NAME``: an assignment's due date and late policy; a change is
applied to every graded submission at once, and each grade it moved is named on stderr."""
from __future__ import annotations

import sys

from autograder.classroom.deadlines import read_deadline, set_deadline
from autograder.commands import course_of
from autograder.publish.export import format_score


def run(args):
    course = course_of(args)
    if args.due is None and args.late_policy is None and args.timezone is None:
        print(read_deadline(course, args.assignment).describe())
        return 0
    result = set_deadline(course, args.assignment, args.due, args.timezone, args.late_policy)
    print(result.describe())
    for student, old, new, raw, penalty in result.changed:
        print("convgrade: warning: %s: %s's grade changed %s -> %s (raw score %s, late penalty %s)"
              % (args.assignment, student, format_score(old), format_score(new), format_score(raw),
                 format_score(penalty)), file=sys.stderr)
    print("%d graded submission%s re-checked, %d grade%s changed"
          % (result.submissions, "s" * (result.submissions != 1), len(result.changed),
             "s" * (len(result.changed) != 1)))
    return 0
