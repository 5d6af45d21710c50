"""``convgrade key NAME --student ID``: a student's variant and answer key."""
from __future__ import annotations

import numpy as np
from nbgrader.api import Gradebook

from autograder.commands import course_of
from autograder.errors import UnknownStudent
from autograder.judging.registry import CHECKS_PACKAGE, checks_module
from autograder.pipeline.record import ensure_schema
from convgrade_kernel import variant


def run(args):
    course = course_of(args)
    course.require_assignment(args.assignment)
    if not args.any_id:
        _require_in_gradebook(course, args.student)
    try:
        module = checks_module(args.assignment)
    except ModuleNotFoundError as exc:
        if exc.name != "%s.%s" % (CHECKS_PACKAGE, args.assignment):
            raise
        module = None
    answer_key = getattr(module, "answer_key", None)
    if answer_key is None:
        print("%s has no per-student variant: its hidden inputs are drawn fresh at grading time, "
              "so there is no answer key to print" % args.assignment)
        return 0
    with np.printoptions(linewidth=100, precision=4, suppress=True):
        try:
            numbers = variant(args.assignment, args.student)
        except ValueError:
            numbers = None
        if numbers:
            print("variant of %s for %s:" % (args.assignment, args.student))
            _print_mapping(numbers)
        print("answer key of %s for %s:" % (args.assignment, args.student))
        _print_mapping(answer_key(args.assignment, args.student))


def _print_mapping(mapping):
    if not isinstance(mapping, dict):
        print("  %s" % (mapping,))
        return
    for name, value in mapping.items():
        text = np.array2string(value) if isinstance(value, np.ndarray) else repr(value)
        if "\n" in text:
            print("  %s =\n    %s" % (name, text.replace("\n", "\n    ")))
        else:
            print("  %s = %s" % (name, text))


def _require_in_gradebook(course, student):
    path = course.sqlite_path
    if path is not None and not path.exists():
        return  # no gradebook yet: nothing to check against
    ensure_schema(course.db_url)
    with Gradebook(course.db_url) as gradebook:
        known = sorted(s.id for s in gradebook.students)
    if known and student not in known:
        shown = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        raise UnknownStudent("student %r is not in the gradebook (students: %s); pass --any-id to use it anyway"
                             % (student, shown))
