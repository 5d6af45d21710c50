"""``convgrade init DIR``: make a teacher's own course directory, ready to hand out."""
from __future__ import annotations

import shlex

from autograder.classroom.new_course import init_course
from autograder.errors import ConvgradeError


def run(args):
    if args.course:
        raise ConvgradeError("init makes the course DIR it is given; --course %s names an existing course, so "
                             "leave it out" % args.course)
    assignments = None if args.assignments is None else [a.strip() for a in args.assignments.split(",") if a.strip()]
    made = init_course(args.directory, course_id=args.course_id, assignments=assignments, db_url=args.db)
    course = made.course
    where = shlex.quote(args.directory)
    first = made.assignments[0]
    print("made the course %s in %s:" % (made.course_id, course.root))
    print("  source/             %s (convgrade's assignments, yours to edit)" % ", ".join(made.assignments))
    print("  release/            the student versions, ready to hand out")
    print("  nbgrader_config.py  the course id; due dates, late policy and the exchange as comments")
    print("  gradebook           %s, with the %d assignment(s) registered"
          % ("gradebook.db" if course.sqlite_path and course.sqlite_path.parent == course.root else course.db_url,
             len(made.assignments)))
    print("next: hand out release/%s/ to your students, then collect their work:" % first)
    print("  cd %s && convgrade collect %s --from DOWNLOAD.zip" % (where, first))
