"""``convgrade release NAME``: nbgrader's generate_assignment into ``release/NAME``."""
from __future__ import annotations

from autograder.classroom.release import release_assignment
from autograder.commands import course_of


def run(args):
    course = course_of(args)
    release = release_assignment(course, args.assignment, force=args.force)
    if release.up_to_date:
        print("release/%s is up to date (registered in the gradebook)" % args.assignment)
        return
    for name, path in sorted(release.notebooks.items()):
        print("released %s" % path.relative_to(course.root))
