"""``convgrade feedback NAME --release``: the feedback pages into nbgrader's exchange.

Students fetch them in JupyterLab's Assignments tab (*Fetch Feedback*), as with
``nbgrader release_feedback``. nbgrader names each page in ``Exchange.root/COURSE/feedback/``
after a keyed hash of the notebook's name with the hand-in's ``submission_secret.txt``, which
only the student's own copy of the hand-in and the exchange hold: nobody finds another's page,
and the folder (``0711``) cannot be listed.

The page of ``feedback/STUDENT/NAME/NB.html`` is released for the hand-in it was graded from:
the exchange folder ``STUDENT+NAME+TIMESTAMP[+random]`` whose ``timestamp.txt`` is the one
``convgrade collect`` recorded in ``submitted/STUDENT/NAME/``. nbgrader's own
:class:`~nbgrader.exchange.default.release_feedback.ExchangeReleaseFeedback` does the copying,
from a staging folder that pairs each page with that secret.
"""
from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import parse_utc

from autograder.course import read_timestamp
from autograder.errors import ConvgradeError


class ReleaseError(ConvgradeError):
    """Feedback cannot go into the exchange (no exchange, no hand-in to pair a page with)."""


def _hand_in_secret(inbound, student, assignment, timestamp):
    """``submission_secret.txt`` of ``student``'s hand-in of ``assignment`` at ``timestamp``
    in the exchange's inbound folder, or None."""
    wanted = parse_utc(timestamp)
    prefix = "%s+%s+" % (student, assignment)
    try:
        names = [n for n in os.listdir(inbound) if n.startswith(prefix)]
    except PermissionError:
        raise ReleaseError("nbgrader's exchange inbound folder %s cannot be listed by this user; release "
                           "feedback as the teacher who owns the course" % inbound) from None
    try:
        owner = pwd.getpwnam(student).pw_uid
    except KeyError:
        owner = None  # no Unix user of that name: collect took the folder with a warning
    for name in sorted(names):
        folder = Path(inbound) / name
        if owner is not None and folder.lstat().st_uid != owner:
            continue  # not the student's own hand-in: never pair their feedback with its secret
        stamp = read_timestamp(folder)
        if stamp and parse_utc(stamp) == wanted:
            try:
                return (folder / "submission_secret.txt").read_text().strip()
            except OSError:
                return None
    return None


def release_feedback(course, assignment, students=None):
    """Put ``feedback/STUDENT/ASSIGNMENT/*.html`` into nbgrader's exchange for students to fetch.

    Parameters
    ----------
    course : autograder.course.Course
    assignment : str
    students : list of str, optional
        Default: every student with feedback pages of ``assignment``.

    Returns
    -------
    list of str
        The students whose feedback was released.
    """
    config = course.nbgrader_config()
    course_id = config.CourseDirectory.get("course_id", "")
    root = config.Exchange.get("root", "")
    if not course_id or not root:
        raise ReleaseError("--release needs nbgrader's exchange: set c.CourseDirectory.course_id and "
                           "c.Exchange.root in the course's nbgrader_config.py")
    inbound = Path(root) / course_id / "inbound"
    pages = {p.parent.parent.name: p.parent for p in course.feedback_dir.glob("*/%s/*.html" % assignment)}
    chosen = sorted(pages) if students is None else list(students)
    missing = [s for s in chosen if s not in pages]
    if missing:
        raise ReleaseError("--release: no feedback pages for %s in feedback/STUDENT/%s; run `convgrade feedback %s` "
                           "first" % (", ".join(missing), assignment, assignment))
    with tempfile.TemporaryDirectory(prefix=".release-feedback-", dir=course.root) as staging:
        for student in chosen:
            timestamp = read_timestamp(course.submission_dir(student, assignment))
            secret = timestamp and _hand_in_secret(inbound, student, assignment, timestamp)
            if not secret:
                raise ReleaseError("--release: %s's feedback on %s was graded from a hand-in that is not in "
                                   "nbgrader's exchange (%s, time %s); only hand-ins submitted through the "
                                   "exchange can get feedback there" % (student, assignment, inbound, timestamp))
            target = Path(staging) / "feedback" / student / assignment
            shutil.copytree(pages[student], target)
            (target / "timestamp.txt").write_text(timestamp)
            (target / "submission_secret.txt").write_text(secret)
        coursedir = CourseDirectory(config=config)
        coursedir.root = staging
        coursedir.assignment_id = assignment
        releaser = ExchangeReleaseFeedback(coursedir=coursedir, authenticator=Authenticator(config=config),
                                           config=config)
        try:
            releaser.start()
        except ExchangeError as exc:
            raise ReleaseError("--release: nbgrader could not release feedback of %s: %s" % (assignment, exc)) from None
    return chosen
