"""``convgrade release NAME``: nbgrader's generate_assignment into ``release/NAME``."""
from __future__ import annotations

from autograder.classroom.release import release_assignment
from autograder.commands import course_of


def run(args):
    course = course_of(args)
    released = release_assignment(course, args.assignment, force=args.force)
    for name, path in sorted(released.items()):
        print("released %s" % path.relative_to(course.root))
