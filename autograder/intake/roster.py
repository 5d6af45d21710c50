"""The class list: which ids are one student's (``convgrade roster``).

A student has several ids: the one convgrade files the submission under (``collect``
makes it from the LMS's name or number), the LMS's user number, the institution's
student number, an e-mail address. ps1's per-student numbers come from the id the
student *types* (``MY_ID``), so grading needs to know which of them belong together
(:mod:`autograder.pipeline.identity`). The roster is the ``convgrade_roster`` table of
the gradebook, read from:

- Canvas's gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section``;
  ``Student`` is "Last, First", ``ID`` the Canvas user number that also names each file
  of a Canvas submissions zip, ``SIS User ID`` the student number; the ``Points
  Possible`` row and Canvas's "Student, Test" are skipped);
- Moodle's grade export (``First name, Last name, ID number, Email address``;
  ``ID number`` the student number);
- a plain CSV (``filed_id, lms_id, institutional_id, email, name``);
- what ``collect`` filed for an assignment (filed id, LMS user number, name).

An import merges into the roster: a row with the filed id or LMS id of a student
already there fills in that student's empty fields. Every row is checked first; one
bad row and nothing is written, with one line per bad row naming the row and the rule.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

from nbgrader.api import Student
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from autograder.errors import ConvgradeError
from autograder.intake.collect import student_id
from autograder.pipeline.identity import MAX_TYPED, RosterEntry, load_roster
from autograder.pipeline.record import RosterRow, Store

#: Columns of each format; a file is read as the first format whose columns it has.
FORMATS = {
    "canvas": ("Student", "ID", "SIS User ID", "SIS Login ID"),
    "moodle": ("First name", "Last name", "ID number", "Email address"),
    "plain": ("filed_id", "lms_id", "institutional_id", "email", "name"),
}
#: Largest class-list file read (a class list is kilobytes).
MAX_BYTES = 16 << 20
_ID = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


class RosterError(ConvgradeError):
    """Bad rows of a class list: ``lines`` holds one line per bad row."""

    def __init__(self, lines):
        self.lines = list(lines)
        more = " (and %d more bad rows)" % (len(self.lines) - 1) if len(self.lines) > 1 else ""
        super().__init__(self.lines[0] + more)


@dataclass(frozen=True)
class Imported:
    """What an import did: the format read, new and updated students, skipped rows
    (``[(row, why)]``) and the roster's size after it."""

    format: str
    added: int
    updated: int
    skipped: list
    total: int


def read_class_list(path, known=None):
    """The entries of the class list at ``path`` (Canvas, Moodle or plain CSV).

    ``known``: ``{filed id: (lms_user_id, first_name, last_name)}`` of the gradebook, so
    a Canvas or Moodle row gets the id ``collect`` filed that student under.

    Returns
    -------
    (format, [(row number, RosterEntry)], [(row number, why skipped)])

    Raises
    ------
    RosterError
        Unreadable file, unknown columns, or bad rows (one line each).
    """
    path = Path(path)
    if not path.is_file():
        raise RosterError(["roster import: %s is not a file" % path])
    if path.stat().st_size > MAX_BYTES:
        raise RosterError(["roster import: %s is larger than %d MiB; a class list is far smaller"
                           % (path, MAX_BYTES >> 20)])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(["roster import: %s is not UTF-8 text (byte %d); export it as CSV UTF-8"
                           % (path, exc.start)]) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise RosterError(["roster import: %s is empty" % path])
    header = [h.strip() for h in rows[0]]
    fmt = next((name for name, columns in FORMATS.items() if set(columns) <= set(header)), None)
    if fmt is None:
        raise RosterError(["roster import: %s has columns %s; expected a Canvas gradebook export (%s), a Moodle "
                           "grade export (%s) or a plain CSV (%s)"
                           % (path, ", ".join(header[:8]) or "none", ", ".join(FORMATS["canvas"]),
                              ", ".join(FORMATS["moodle"]), ", ".join(FORMATS["plain"]))])
    entries, skipped, bad = [], [], []
    parse = {"canvas": _canvas_row, "moodle": _moodle_row, "plain": _plain_row}[fmt]
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            bad.append("%s row %d: has %d fields, the header %d" % (path.name, number, len(values), len(header)))
            continue
        row = {h: v.strip() for h, v in zip(header, values)}
        entry, why = parse(row, known or {})
        if entry is None:
            skipped.append((number, why))
            continue
        problem = entry_problem(entry)
        if problem:
            bad.append("%s row %d: %s" % (path.name, number, problem))
        else:
            entries.append((number, entry))
    if bad:
        raise RosterError(bad)
    return fmt, entries, skipped


def _canvas_row(row, known):
    student = row["Student"]
    if not student or student.lower() == "points possible" or not row["ID"] and "possible" in student.lower():
        return None, "Canvas's Points Possible row"
    if student == "Student, Test":
        return None, "Canvas's test student"
    last, _, first = student.partition(",")
    name = " ".join((first.strip() + " " + last.strip()).split())
    login = row["SIS Login ID"]
    email = login if "@" in login else ""
    institutional = row["SIS User ID"] or ("" if email else login)
    lms = row["ID"]
    filed = next((sid for sid, (uid, _f, _l) in known.items() if uid and uid == lms), None)
    if filed is None:  # what collect files a Canvas zip's "lastfirst" name part under
        filed = student_id(re.sub(r"[\W_]+", "", (last + first).lower())) or ""
    return RosterEntry(filed, lms, institutional, email, name), ""


def _moodle_row(row, known):
    first, last = row["First name"], row["Last name"]
    name = " ".join((first + " " + last).split())
    filed = next((sid for sid, (_u, f, l) in known.items() if (f or "", l or "") == (first, last) and first), None)
    if filed is None:  # what collect files a Moodle zip's "First Last" folder under
        filed = student_id(name) or ""
    return RosterEntry(filed, "", row["ID number"], row["Email address"], name), ""


def _plain_row(row, _known):
    return RosterEntry(*(row[column] for column in FORMATS["plain"])), ""


def entry_problem(entry):
    """Why ``entry`` cannot be in a roster (the rule it breaks), or ""."""
    if not (entry.filed_id or entry.lms_id or entry.institutional_id or entry.email):
        return "no id at all (filed id, LMS id, student number or e-mail is required)"
    for name in ("filed_id", "lms_id", "institutional_id", "email"):
        value = getattr(entry, name)
        if value and (len(value) > MAX_TYPED or not _ID.match(value)):
            return "%s %r must be one word of at most %d printable characters" % (name, value[:40], MAX_TYPED)
    if entry.email and not re.match(r"^[^@]+@[^@]+$", entry.email):
        return "email %r must be name@domain" % entry.email
    if entry.lms_id and not entry.lms_id.isdigit():
        return "lms_id %r must be the LMS's user number (digits only)" % entry.lms_id
    return ""


def merge(roster, new):
    """Merge ``new`` (``[(label, RosterEntry)]``) into ``roster`` (``[RosterEntry]``).

    A new entry with the filed id or LMS id of an entry already there fills that
    entry's empty fields. Returns ``(entries, added, updated)``; raises
    :class:`RosterError` for a field that would change (one line per row) or an id two
    students would share.
    """
    merged, added, updated, bad = list(roster), 0, 0, []
    for label, entry in new:
        at = next((i for i, old in enumerate(merged)
                   if (entry.filed_id and old.filed_id == entry.filed_id) or (entry.lms_id and old.lms_id == entry.lms_id)),
                  None)
        if at is None:
            merged.append(entry)
            added += 1
            continue
        old = merged[at]
        changes = {}
        for f in fields(RosterEntry):
            mine, theirs = getattr(old, f.name), getattr(entry, f.name)
            if theirs and mine and mine != theirs and f.name != "name":
                bad.append("%s: %s %r differs from the roster's %r for %s (fix the file, or the roster with a "
                           "plain CSV)" % (label, f.name, theirs, mine, old.label()))
            elif theirs and not mine:
                changes[f.name] = theirs
        if changes:
            merged[at] = replace(old, **changes)
            updated += 1
    owners = {}
    for index, entry in enumerate(merged):
        for key in entry.ids():
            if owners.setdefault(key, index) != index:
                bad.append("id %r would belong to two students, %s and %s" % (key, merged[owners[key]].label(),
                                                                             entry.label()))
    if bad:
        raise RosterError(list(dict.fromkeys(bad)))
    return merged, added, updated


def import_roster(course, path=None, *, from_collected=None):
    """``convgrade roster import``: merge a class list (``path``) or what collect filed
    for assignment ``from_collected`` into the gradebook's roster, all or nothing.

    Returns
    -------
    Imported
    """
    with Store(course) as store:
        known = _known_students(store)
        if from_collected is not None:
            course.require_assignment(from_collected)
            fmt, skipped = "collected", []
            filed = course.submitted_students(from_collected)
            if not filed:
                raise RosterError(["roster import: nothing collected for %s (no submitted/*/%s); run "
                                   "`convgrade collect %s` first" % (from_collected, from_collected, from_collected)])
            new = [("submitted/%s" % sid, RosterEntry(sid, known.get(sid, ("", "", ""))[0] or "", "", "",
                                                      " ".join(filter(None, known.get(sid, ("", "", ""))[1:]))))
                   for sid in filed]
        else:
            fmt, rows, skipped = read_class_list(path, known)
            new = [("%s row %d" % (Path(path).name, number), entry) for number, entry in rows]
        bad = [("%s: %s" % (label, entry_problem(entry))) for label, entry in new if entry_problem(entry)]
        if bad:
            raise RosterError(bad)
        entries, added, updated = merge(list(load_roster(store.engine).entries), new)
        with store.transaction() as (session, _gradebook):
            session.execute(delete(RosterRow))
            for entry in entries:
                session.add(RosterRow(**{f.name: getattr(entry, f.name) for f in fields(RosterEntry)}))
    return Imported(fmt, added, updated, skipped, len(entries))


def show_roster(course):
    """The roster's entries (``[RosterEntry]``), in import order."""
    with Store(course) as store:
        return list(load_roster(store.engine).entries)


def _known_students(store):
    """``{student id: (lms_user_id, first_name, last_name)}`` of the gradebook."""
    with Session(store.engine) as session:
        return {sid: (uid or "", first or "", last or "") for sid, uid, first, last in session.execute(
            select(Student.id, Student.lms_user_id, Student.first_name, Student.last_name))}
