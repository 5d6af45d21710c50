"""``convgrade autograde NAME``: grade submissions in sandboxed kernels and record them."""
from __future__ import annotations

from autograder.commands import course_of
from autograder.errors import SetupError
from autograder.isolation.sandbox import active_protections
from autograder.pipeline.execute import Limits
from autograder.pipeline.parallel import autograde, default_workers


def run(args):
    course = course_of(args)
    limits = Limits(**{k: v for k, v in (("cell_timeout", args.timeout),
                                         ("notebook_timeout", args.notebook_timeout)) if v is not None})
    protections = active_protections()
    if not args.unsandboxed and "bubblewrap" not in protections:
        raise SetupError("bubblewrap is not usable here, so student code would run without the sandbox; install "
                         "Debian's bubblewrap (make install) or pass --unsandboxed to accept weaker isolation")
    workers = args.workers or default_workers()
    summary = autograde(course, args.assignment, args.student, workers=workers, limits=limits,
                        dask_address=args.dask, force=args.force, progress=not args.no_progress,
                        require_sandbox=not args.unsandboxed, lock_wait=args.wait)
    where = "on Dask at %s" % args.dask if args.dask else "with %d worker%s" % (workers, "s" * (workers != 1))
    counts = summary.counts
    if summary.graded:
        print("graded %d submission(s) of %s in %.1f s (%.1f per minute) %s: %s"
              % (len(summary.graded), args.assignment, summary.seconds, summary.per_minute, where,
                 ", ".join("%s %d" % (s, counts[s]) for s in sorted(counts))))
    for student, status, score, max_score, detail in summary.graded:
        if status != "graded":
            print("  %s: %s, %g of %g (%s)" % (student, status, score, max_score, detail))
    if summary.skipped:
        print("skipped %d submission(s) already graded with unchanged files (--force grades them again)"
              % len(summary.skipped))
    if not summary.graded and not summary.skipped:
        print("nothing to grade: no submitted/*/%s" % args.assignment)
    if summary.protections:
        print("isolation: %s" % ", ".join(summary.protections))
