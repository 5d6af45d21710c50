"""``convgrade hub``: JupyterHub for the course, with throw-away Unix users, on loopback."""
from __future__ import annotations

from autograder.classroom.hub import run_hub
from autograder.commands import course_of


def run(args):
    return run_hub(course_of(args).root, students=args.students.split(","), assignments=args.assignments.split(","),
                   port=args.port)
