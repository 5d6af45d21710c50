"""``convgrade demo``: grade a simulated class end to end in a throw-away course."""
from __future__ import annotations

from autograder.demo.run import run_demo


def run(args):
    summary = run_demo(workdir=args.dir, students=args.students, workers=args.workers)
    print(summary.render())
    return 1 if summary.mismatches else 0
