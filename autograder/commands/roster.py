"""``convgrade roster import FILE | --from-collected NAME`` and ``convgrade roster show``:
the class list that ties a student's ids together (:mod:`autograder.intake.roster`)."""
from __future__ import annotations

import sys

from autograder.commands import course_of
from autograder.errors import ConvgradeError
from autograder.intake.roster import RosterError, import_roster, show_roster

COLUMNS = ("filed_id", "lms_id", "institutional_id", "email", "name")


def run(args):
    course = course_of(args)
    if args.action == "show":
        if args.file or args.from_collected:
            raise ConvgradeError("roster show takes no FILE and no --from-collected")
        entries = show_roster(course)
        if not entries:
            print("the roster is empty: convgrade roster import FILE (a Canvas or Moodle export, or a plain CSV)")
            return 0
        rows = [COLUMNS] + [tuple(getattr(e, c) or "-" for c in COLUMNS) for e in entries]
        widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
        for row in rows:
            print("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
        print("%d student(s)" % len(entries))
        return 0
    if bool(args.file) == bool(args.from_collected):
        raise ConvgradeError("roster import needs either FILE or --from-collected NAME, got %s"
                             % ("both" if args.file else "neither"))
    try:
        done = import_roster(course, args.file, from_collected=args.from_collected)
    except RosterError as exc:
        for line in exc.lines:
            print("convgrade: error: %s" % " ".join(line.split()), file=sys.stderr)
        if any(" row " in line for line in exc.lines):
            print("convgrade: error: nothing imported (%d bad row(s)); the roster is as it was" % len(exc.lines),
                  file=sys.stderr)
        return exc.exit_code
    source = args.file or "the students collected for %s" % args.from_collected
    print("roster: %d new and %d updated student(s) from %s (%s); %d in the roster"
          % (done.added, done.updated, source, done.format, done.total))
    for number, why in done.skipped:
        print("  skipped row %d: %s" % (number, why))
    return 0
