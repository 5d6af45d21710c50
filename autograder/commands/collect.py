"""``convgrade collect NAME``: gather submissions into ``submitted/STUDENT/NAME``."""
from __future__ import annotations

from autograder.commands import course_of
from autograder.intake.collect import collect
from autograder.intake.unpack import MB, Caps


def run(args):
    caps = Caps(file_bytes=args.max_notebook_mb * MB, total_bytes=args.max_total_mb * MB)
    report = collect(course_of(args), args.assignment, args.source, file_under=args.file_under, caps=caps)
    for line in report.lines():
        print(line)
    print("%d submission(s) placed, %d file(s) not placed" % (len(report.placed), len(report.unplaced)))
    return 1 if report.unplaced and not report.placed else 0
