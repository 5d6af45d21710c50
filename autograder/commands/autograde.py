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
                        require_sandbox=not args.unsandboxed, lock_wait=args.wait,
                        new_inputs=getattr(args, "new_inputs", False))
    where = "on Dask at %s" % args.dask if args.dask else "with %d worker%s" % (workers, "s" * (workers != 1))
    counts = summary.counts
    if summary.graded:
        print("graded %d submission(s) of %s in %.1f s (%.1f per minute) %s: %s"
              % (len(summary.graded), args.assignment, summary.seconds, summary.per_minute, where,
                 ", ".join("%s %d" % (s, counts[s]) for s in sorted(counts))))
    for line in student_table(summary.graded):
        print(line)
    if summary.skipped:
        print("skipped %d submission(s) already graded with unchanged files (--force grades them again)"
              % len(summary.skipped))
    if not summary.graded and not summary.skipped:
        print("nothing to grade: no submitted/*/%s" % args.assignment)
    if summary.protections:
        print("isolation: %s" % ", ".join(summary.protections))
    if summary.new_inputs:
        print("new random inputs for %d submission(s) (kept: a later --force grades on these again)"
              % summary.new_inputs)
    line = id_summary(args.assignment, summary)
    if line:
        print(line)
    for student, _check, _typed, _variant, flag in summary.id_checks:
        if flag:
            print("  FLAGGED %s: %s" % (student, flag))


#: How each id check reads in the run summary (autograder.pipeline.identity.ID_CHECKS).
ID_WORDS = {"filed": "typed the id they are filed under", "own": "typed another id of their own (graded on its numbers)",
            "classmate": "typed a classmate's id (flagged below)",
            "unknown": "typed an id the roster does not know", "no_roster": "typed an id other than the filed one",
            "not_typed": "typed no id"}


def id_summary(assignment, summary):
    """One line on the typed MY_IDs of an assignment with per-student numbers, or ""."""
    if summary.roster_size is None or not summary.id_checks:
        return ""
    counts = summary.id_counts
    line = "ids of %s (MY_ID): %s" % (assignment, ", ".join("%d %s" % (counts[k], ID_WORDS[k])
                                                               for k in ID_WORDS if counts[k]))
    if counts["unknown"] or counts["no_roster"] or counts["not_typed"]:
        line += "; those without a roster match were graded on the filed id's numbers"
    if not summary.roster_size:
        line += "; no roster, so typed ids were not checked (convgrade roster import FILE)"
    return line


#: A non-graded submission's reason is cut here, so a row stays one line (the export has it whole).
REASON_WIDTH = 60


def student_table(rows):
    """The run's submissions as aligned lines, one per student (all of them: a teacher
    scans for a name; 200 short lines read fine and ``| less`` pages them), sorted by id.

    ``rows`` are ``(student, status, score, max_score, detail)``; the reason column is
    filled only where the status is not ``graded``."""
    if not rows:
        return []
    table = [("student", "status", "score", "reason")]
    for student, status, score, max_score, detail in sorted(rows, key=lambda row: row[0]):
        reason = "" if status == "graded" else " ".join(str(detail or "").split())
        if len(reason) > REASON_WIDTH:
            reason = reason[:REASON_WIDTH - 3] + "..."
        table.append((student, status, "%g/%g" % (round(score, 2), round(max_score, 2)), reason))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    return [("  %-*s  %-*s  %*s  %s" % (widths[0], row[0], widths[1], row[1], widths[2], row[2], row[3])).rstrip()
            for row in table]
