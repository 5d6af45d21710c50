"""Due dates, late policies and where each student stands (``convgrade deadline``).

A due date is nbgrader's (``assignment.duedate``, UTC, so nbgrader, formgrader and
extensions see it); the late policy is convgrade's (``convgrade_deadline``, see
:mod:`autograder.pipeline.record`), in the text of :mod:`autograder.pipeline.late_policy`.
Setting either re-applies the penalty to every graded submission of the assignment at
once, from the scores in the gradebook (no notebook runs again), and says whose grade
changed. Penalties stay apart from raw scores, so they can always be re-applied.

:func:`state_of` names where one student stands on one assignment, in the words of
:data:`autograder.records.STATES`; exports and the report derive every state through it.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbgrader.api import MissingEntry
from sqlalchemy import select

from autograder.pipeline.late_policy import LatePolicy, parse_policy
from autograder.errors import ConvgradeError, UnknownAssignment
from autograder.pipeline.record import DeadlineRow, Store, SubmissionRow, apply_late_policy, stored_policy

#: The due-date formats ``--due`` accepts (local time of ``--timezone``).
DUE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


@dataclass
class Deadline:
    """What ``convgrade deadline`` set or found: ``due`` (naive UTC, or None),
    ``timezone`` the teacher gave, ``policy``, and ``changed``: one
    ``(student, old grade, new grade, raw score, penalty)`` per submission whose grade changed."""

    assignment: str
    due: _dt.datetime | None
    timezone: str
    policy: LatePolicy | None
    changed: list = field(default_factory=list)
    submissions: int = 0

    def describe(self):
        """One line: the due date in the teacher's time zone and in UTC, and the policy."""
        if self.due is None:
            due = "no due date"
        else:
            local = self.due.replace(tzinfo=_dt.timezone.utc).astimezone(_zone(self.timezone))
            due = "due %s %s" % (local.strftime("%Y-%m-%d %H:%M"), self.timezone)
            if self.timezone != "UTC":
                due += " (%s UTC)" % self.due.strftime("%Y-%m-%d %H:%M")
        policy = str(self.policy) if self.policy is not None else "nbgrader's LateSubmissionPlugin"
        return "%s: %s, late policy %s" % (self.assignment, due, policy)


def parse_due(text, timezone="UTC"):
    """``text`` (``2026-01-15 23:59``, local time of ``timezone``) as a naive UTC datetime;
    a malformed date or an unknown time zone is a :class:`ConvgradeError` naming it."""
    zone = _zone(timezone)
    for fmt in DUE_FORMATS:
        try:
            local = _dt.datetime.strptime(str(text).strip(), fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(_dt.timezone.utc).replace(tzinfo=None)
    raise ConvgradeError("--due %r is not a date and time: use YYYY-MM-DD HH:MM (local time of "
                         "--timezone), e.g. \"2026-01-15 23:59\"" % str(text))


def set_deadline(course, assignment, due=None, timezone=None, policy=None):
    """Set ``assignment``'s due date and/or late policy, and re-apply the penalty.

    Parameters
    ----------
    course : autograder.course.Course
    assignment : str
        In ``source/`` or already in the gradebook.
    due : str, optional
        ``YYYY-MM-DD HH:MM`` in ``timezone``; None keeps the due date.
    timezone : str, optional
        An IANA zone (``Europe/Amsterdam``); default: the one given last, else UTC.
    policy : str, optional
        A late policy (:func:`autograder.pipeline.late_policy.parse_policy`); None keeps
        the stored one (``none`` when there is none yet).

    Returns
    -------
    Deadline
        With ``changed``: every graded submission whose grade the change moved.
    """
    late_policy = parse_policy(policy) if policy is not None else None
    _require_assignment(course, assignment)
    with Store(course) as store, store.transaction() as (session, gradebook):
        row = session.get(DeadlineRow, assignment)
        zone = timezone or (row.timezone if row is not None else "UTC")
        due_utc = parse_due(due, zone) if due is not None else None
        if due_utc is not None:
            found = gradebook.update_or_create_assignment(assignment, duedate=due_utc)
        else:
            found = _find_assignment(gradebook, assignment) or gradebook.update_or_create_assignment(assignment)
        if row is None:
            row = DeadlineRow(assignment=assignment, late_policy="none", timezone=zone)
            session.add(row)
        if late_policy is not None:
            row.late_policy = str(late_policy)
        row.timezone, row.set_at = zone, _dt.datetime.utcnow()
        session.flush()
        result = Deadline(assignment, found.duedate, zone, stored_policy(session, assignment))
        _reapply(session, found, result)
    return result


def read_deadline(course, assignment):
    """The :class:`Deadline` of ``assignment`` as stored (``changed`` empty)."""
    _require_assignment(course, assignment)
    with Store(course) as store, store.transaction() as (session, gradebook):
        row = session.get(DeadlineRow, assignment)
        found = _find_assignment(gradebook, assignment)
        return Deadline(assignment, found.duedate if found is not None else None,
                        row.timezone if row is not None else "UTC", stored_policy(session, assignment))


def state_of(*, released, due, collected, graded, pending_manual=False, late=False):
    """Where a student stands on an assignment, one of :data:`autograder.records.STATES`.

    Parameters
    ----------
    released : bool
        The assignment is in the gradebook with its notebooks (``convgrade release``).
    due : bool
        Its due date has passed, or it has none but something was collected (:func:`is_due`).
    collected, graded : bool
        The student's submission is in ``submitted/``; the gradebook holds a grade for it.
    pending_manual, late : bool
        A graded submission with an answer waiting for the teacher; handed in late.
    """
    if graded:
        return "manual marking pending" if pending_manual else ("late" if late else "graded")
    if collected:
        return "collected, not graded"
    if not released:
        return "not released"
    return "not handed in" if due else "not due"


def is_due(duedate, now, anything_in):
    """Whether an assignment is due: its ``duedate`` (naive UTC) is not after ``now``,
    or it has none and ``anything_in`` (some submission was collected or graded)."""
    return anything_in if duedate is None else duedate <= now


def _reapply(session, assignment, result):
    """Re-apply ``result.policy`` to every graded submission of ``assignment`` (nbgrader's
    Assignment), in nbgrader's rows and convgrade's; collect the grades it changed."""
    rows = {r.student: r for r in session.execute(select(SubmissionRow).where(
        SubmissionRow.assignment == assignment.name)).scalars()}
    for submission in assignment.submissions:
        raw = float(submission.score or 0.0)
        old = max(0.0, raw - float(submission.late_submission_penalty or 0.0))
        ours = rows.get(submission.student_id)
        penalty = apply_late_policy(submission, result.policy, bool(ours is not None and ours.lms_late))
        session.flush()
        if ours is not None:
            ours.late_penalty = penalty
        new = max(0.0, raw - (penalty or 0.0))
        result.submissions += 1
        if abs(new - old) > 1e-9:
            result.changed.append((submission.student_id, old, new, raw, penalty or 0.0))
    result.changed.sort()


def _find_assignment(gradebook, name):
    try:
        return gradebook.find_assignment(name)
    except MissingEntry:
        return None


def _require_assignment(course, name):
    """``name`` if ``source/NAME`` or the gradebook has it; else an error listing what there is."""
    if name in course.assignments():
        return name
    with Store(course) as store, store.transaction() as (_session, gradebook):
        known = sorted(a.name for a in gradebook.assignments)
    if name in known:
        return name
    every = sorted(set(known) | set(course.assignments()))
    raise UnknownAssignment("unknown assignment %r: source/ and the gradebook have %s"
                            % (name, ", ".join(every) if every else "no assignments"))


def _zone(name):
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConvgradeError("--timezone %r is not a time zone: use an IANA name such as UTC or "
                             "Europe/Amsterdam" % str(name)) from None


__all__ = ["Deadline", "parse_due", "set_deadline", "read_deadline", "state_of", "is_due", "DUE_FORMATS"]
