"""``convgrade feedback NAME``: one HTML page per student in ``feedback/STUDENT/NAME``."""
from __future__ import annotations

from autograder.commands import course_of
from autograder.publish.feedback_pages import generate_feedback
from autograder.publish.release_feedback import release_feedback


def run(args):
    course = course_of(args)
    written = generate_feedback(course, args.assignment, args.student)
    for path in written:
        print("wrote %s" % path.relative_to(course.root))
    if args.release:
        for student in release_feedback(course, args.assignment, args.student):
            print("released %s's feedback on %s to nbgrader's exchange" % (student, args.assignment))
