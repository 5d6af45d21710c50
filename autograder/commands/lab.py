"""``convgrade lab``: JupyterLab on the course (teacher) or a student's workspace."""
from __future__ import annotations

from autograder.classroom.lab import run_lab
from autograder.commands import course_of, db_url_of


def run(args):
    return run_lab(course_of(args).root, student=args.student, port=args.port, db_url=db_url_of(args))
