"""``convgrade collect NAME [--from PATH]``: gather submissions into ``submitted/``.

Three sources, one placement rule:

- nbgrader's exchange (no ``--from``): the newest ``STUDENT+NAME+TIMESTAMP[+random]``
  folder of each student in ``Exchange.root/COURSE_ID/inbound``;
- a folder (``--from DIR``): ``DIR/STUDENT/NAME/*.ipynb`` or ``DIR/STUDENT/*.ipynb``;
- an LMS download (``--from FILE.zip``): Canvas's ``name_[LATE_]USERID_SUBMISSIONID_FILE``
  files (``lastname_firstname_12345_67890_ps2.ipynb``, a resubmission as ``ps2-1.ipynb``)
  and Moodle's ``Full Name_12345_assignsubmission_file_/ps2.ipynb`` folders, or a zip of
  the folder layout. Students are filed under the name part (``--file-under lms-id``:
  under the LMS's number); the number is kept as nbgrader's ``lms_user_id``. A Canvas
  hand-in gets no ``timestamp.txt`` (its zip times are the LMS's local time): whether it
  was late is Canvas's ``LATE`` mark, kept in ``lms.json`` beside it.

Each submission lands in ``submitted/STUDENT/NAME/`` with nbgrader's ``timestamp.txt``
and the student in the gradebook. Nothing is overwritten silently: an identical copy
is left alone; otherwise the newer copy (by timestamp) stays and the older is moved
to ``archive/STUDENT/NAME/<time>/``, and the report says which. Every file that could
not be placed is reported with the reason, and one bad file never stops the others:
only a source that cannot be read at all (no such folder, not a zip) is an error.

What is refused, and why:

- an exchange folder whose Unix owner is not the student its name gives: ``bob`` cannot
  hand in as ``alice`` (stock nbgrader's collect warns "cheating attempt?" and copies it
  all the same). A folder owned by root, or by the user running collect, is taken with a
  warning on its report line: only an administrator or the grader can make one (a
  root-run or single-user setup, where nbgrader too warns and copies).
  ``c.CollectApp.check_owner = False`` in ``nbgrader_config.py`` takes every folder,
  still with the warning;
- a time more than :data:`CLOCK_SKEW` ahead of this machine's clock, in an exchange
  folder's name, a ``timestamp.txt`` or a hand-in's file times: it would win over every
  later hand-in. (An LMS zip's file times are the LMS's local time and are not checked);
- symbolic links (files or folders: never followed), FIFOs, devices, and in the exchange
  files with other names elsewhere (hard links): files are opened with ``O_NOFOLLOW``
  relative to their open folder, and must still be the file that was checked;
- what passes a cap of :class:`autograder.intake.unpack.Caps`: a notebook over 64 MB, a file
  unpacking more than 100:1, anything after 1 GiB read by one collect; also a damaged,
  encrypted or cut-off zip entry. Files stream to a spool folder in the course, so memory
  stays at one block whatever the source holds.

Student ids are safe folder names (:func:`student_id`), and two people never share one:
an LMS user the gradebook knows (by ``lms_user_id``) keeps their id; an id two LMS users
(or an LMS user and another user's gradebook entry) would share goes to neither, each
gets it with their LMS number appended (``smith_john_222``).
"""
from __future__ import annotations

import datetime
import hashlib
import os
import pwd
import re
import shutil
import stat
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nbgrader.api import MissingEntry
from nbgrader.utils import parse_utc

from autograder.pipeline.late_policy import write_lms_mark
from autograder.course import read_timestamp
from autograder.errors import CollectError, ConvgradeError
from autograder.intake.unpack import (BadSource, Refused, Spool, entries, file_sha256, lstat_in, not_regular, open_folder,
                                      open_regular, read_small, ZipEntry, zip_entries)
from autograder.pipeline.record import Store

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
#: How far ahead of this machine's clock a hand-in's time may be (clocks disagree a little).
CLOCK_SKEW = datetime.timedelta(minutes=5)
#: How many copies of one student's notebook in a zip are unpacked, newest first, until one is readable.
COPIES_TRIED = 3
#: Longest student id, in characters (and twice as many UTF-8 bytes).
MAX_ID_CHARS = 64
_CANVAS = re.compile(r"^(?P<name>.+?)_(?P<late>(?i:late)_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>[^/]+?)_(?P<uid>\d+)_assignsubmission_[a-z]+_/?(?P<file>.+)$")
_COPY_SUFFIX = re.compile(r"(?:-\d+| ?\(\d+\)|_\d+)$")
#: Files nbgrader's own submit puts beside the notebooks of a hand-in (not the student's work;
#: ``release_feedback`` reads the secret from the exchange itself).
NBGRADER_FILES = frozenset({"timestamp.txt", "submission_secret.txt"})
_JUNK = re.compile(r"(^|/)(__MACOSX|\.DS_Store|\.ipynb_checkpoints|Thumbs\.db)(/|$)")
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Candidate:
    """One student's submission found in a source, before placement."""

    name: str                       # whose it is, as the source says (folder name, LMS name)
    files: dict                     # {notebook name: autograder.intake.unpack.SpooledFile}
    timestamp: datetime.datetime | None
    origin: str
    lms_user_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    late: bool = False
    notes: list = field(default_factory=list)
    proposed: str | None = None     # the id the source gives; None: none can be made
    exact: bool = False             # the source's own id (exchange, --file-under lms-id): kept as is
    student: str | None = None      # the id it is filed under (see _assign_ids)

    @property
    def key(self):
        """Who handed it in: the LMS user when the source says, else the name."""
        return ("lms", self.lms_user_id) if self.lms_user_id else ("name", self.name)


@dataclass
class CollectReport:
    """What ``collect`` did: ``placed`` lines (one per student) and ``unplaced``
    ``(file, reason)`` pairs."""

    placed: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)
    students: list = field(default_factory=list)

    def lines(self):
        out = [_one_line(line) for line in self.placed]
        out += ["could not place %s: %s" % (_one_line(path), _one_line(reason)) for path, reason in self.unplaced]
        return out


def collect(course, assignment, source=None, *, file_under="name", caps=None):
    """Collect ``assignment`` from ``source`` (None: nbgrader's exchange) into ``submitted/``.

    Parameters
    ----------
    course : autograder.course.Course
    assignment : str
    source : path, optional
        A folder or a ``.zip`` file.
    file_under : {"name", "lms-id"}
        For LMS zips: file students under the name in the file name or the number.
    caps : autograder.intake.unpack.Caps, optional
        The most one collect reads (default: 64 MB a notebook, 1 GiB in all).

    Returns
    -------
    CollectReport
    """
    course.require_assignment(assignment)
    if file_under not in ("name", "lms-id"):
        raise ConvgradeError("--file-under must be 'name' or 'lms-id', got %r" % file_under)
    notebooks = set(course.notebook_names(assignment))
    report = CollectReport()
    with Spool(course.root, caps) as spool:
        candidates = _read_source(course, assignment, source, notebooks, report, spool, file_under)
        known = _known_students(course) if candidates else {}
        for candidate in _assign_ids(candidates, known, report):
            _place_reported(course, assignment, candidate, report)
    _register_students(course, report.students)
    return report


def _read_source(course, assignment, source, notebooks, report, spool, file_under):
    """The candidates of ``source`` (None: nbgrader's exchange), spooled."""
    if source is None:
        return _from_exchange(course, assignment, notebooks, report, spool)
    source = Path(source).expanduser()
    if not source.exists():
        raise CollectError("--from %s: no such file or folder" % source)
    if source.is_dir():
        return _from_folder(source, assignment, notebooks, report, spool)
    try:
        return _from_zip(source, assignment, notebooks, report, spool, file_under)
    except BadSource as exc:
        raise CollectError("--from %s is neither a folder nor a zip file collect can read: %s"
                           % (source, exc)) from None


# -- nbgrader's exchange ----------------------------------------------------------------------
def _from_exchange(course, assignment, notebooks, report, spool):
    """The candidates of nbgrader's exchange: each student's newest folder they own."""
    config = course.nbgrader_config()
    course_id = config.CourseDirectory.get("course_id", "")
    root = Path(config.Exchange.get("root", "/usr/local/share/nbgrader/exchange"))
    if not course_id:
        raise CollectError("no --from given and CourseDirectory.course_id is not set in nbgrader_config.py, "
                           "so there is no nbgrader exchange to collect from")
    inbound = root / course_id / "inbound"
    if not inbound.is_dir():
        raise CollectError("nbgrader's exchange inbound folder %s does not exist" % inbound)
    check_owner = bool(config.CollectApp.get("check_owner", True))  # stock nbgrader's switch, same default
    with _source_folder(inbound, "nbgrader's exchange inbound folder") as inbound_fd:
        folders = _exchange_folders(inbound_fd, assignment, report)
        candidates = [_exchange_hand_in(inbound_fd, student, folders[student], notebooks, report, spool, check_owner)
                      for student in sorted(folders)]
    return [c for c in candidates if c is not None]


@contextmanager
def _source_folder(path, what):
    """A file descriptor of the folder a whole source is in (the teacher's own path: a
    link there is followed); a failure to open it is a :class:`CollectError`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise CollectError("%s %s cannot be read: %s" % (what, path, exc.strerror or exc)) from None
    try:
        yield fd
    finally:
        os.close(fd)


def _exchange_folders(inbound_fd, assignment, report):
    """``{student: [(time, folder name), ...] newest first}`` of the inbound folders of
    ``assignment`` whose name is a usable id and a time not in the future."""
    folders = defaultdict(list)
    for name in sorted(os.listdir(inbound_fd)):
        parts = name.rsplit("+", 3)
        if len(parts) == 4 and parts[1] != assignment:
            parts = name.rsplit("+", 2)
        if len(parts) < 3 or parts[1] != assignment:
            continue
        try:
            if student_id(parts[0]) != parts[0]:
                raise Refused("%r is not usable as a student id (letters, digits, _ - . @; at most %d)"
                              % (parts[0], MAX_ID_CHARS))
            timestamp = _check_time(_parse_time(parts[2], "the time in its name"), "the time in its name")
        except Refused as exc:
            report.unplaced.append(("inbound/%s" % name, str(exc)))
            continue
        folders[parts[0]].append((timestamp, name))
    return {student: sorted(found, reverse=True) for student, found in folders.items()}


def _exchange_hand_in(inbound_fd, student, folders, notebooks, report, spool, check_owner):
    """The candidate of the newest of ``folders`` that ``student`` may hand in; the other
    folders are reported (older, or not the student's)."""
    chosen = None
    for timestamp, name in folders:
        where = "inbound/%s" % name
        try:
            with open_folder(name, inbound_fd, follow=False) as fd:
                warning = _owner_check(os.fstat(fd), student, check_owner)
                if chosen is None:
                    files, notes, _ = _read_hand_in(fd, where, notebooks, report, spool, single_link=True)
        except Refused as exc:
            report.unplaced.append((where, str(exc)))
            continue
        if chosen is not None:
            report.unplaced.append((where, "an older submission of %s (the newer one, %s, is used)"
                                    % (student, chosen.origin)))
        elif files:
            chosen = Candidate(name=student, files=files, timestamp=timestamp, origin=where, proposed=student,
                               exact=True, notes=[warning] * bool(warning) + notes)
    return chosen


def _owner_check(st, student, check_owner):
    """``""`` when the folder (``st``: its fstat) belongs to the Unix user ``student``; a
    warning when it is taken anyway; else :class:`Refused`.

    Taken anyway: a folder of root or of the user running collect (no student can make
    one), and any folder when ``CollectApp.check_owner`` is False.
    """
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = None
    if owner == student:
        return ""
    who = "Unix user %r" % owner if owner else "uid %d, which has no Unix user name" % st.st_uid
    if not check_owner:
        return "taken although the folder belongs to %s, not %r (CollectApp.check_owner is False)" % (who, student)
    if st.st_uid in (0, os.geteuid()):
        return ("taken although the folder belongs to %s, not %r: only an administrator or the grader "
                "can make such a folder" % (who, student))
    raise Refused("the folder belongs to %s, not %r" % (who, student))


# -- a folder ---------------------------------------------------------------------------------
def _from_folder(folder, assignment, notebooks, report, spool):
    """The candidates of ``folder``: one per ``STUDENT`` subfolder."""
    candidates = []
    with _source_folder(folder, "--from") as top:
        for name, st in entries(top):
            if _JUNK.search(name):
                continue
            where = str(folder / name)
            try:
                if not stat.S_ISDIR(st.st_mode):
                    raise Refused(not_regular(st) or "not inside a STUDENT folder")
                if student_id(name) is None:
                    raise Refused(_no_id(name))
                with open_folder(name, top, follow=False) as student_fd:
                    candidate = _student_folder(student_fd, name, where, assignment, notebooks, report, spool)
            except Refused as exc:
                report.unplaced.append((where, str(exc)))
                continue
            if candidate is not None:
                candidates.append(candidate)
    return candidates


def _student_folder(student_fd, name, where, assignment, notebooks, report, spool):
    """The candidate of the open folder ``STUDENT``: its ``NAME/`` subfolder if it has one."""
    inner = lstat_in(assignment, student_fd)
    if inner is None or stat.S_ISREG(inner.st_mode):
        return _hand_in_candidate(student_fd, name, where, notebooks, report, spool)
    where = "%s/%s" % (where, assignment)
    try:
        with open_folder(assignment, student_fd, follow=False) as fd:
            return _hand_in_candidate(fd, name, where, notebooks, report, spool)
    except Refused as exc:
        report.unplaced.append((where, str(exc)))
        return None


def _hand_in_candidate(fd, name, where, notebooks, report, spool):
    """The candidate of the hand-in folder open as ``fd``, timed by its ``timestamp.txt``
    or else its newest notebook; None if it holds no notebook of the assignment."""
    timestamp = _timestamp_file(fd, where, report)
    files, notes, newest = _read_hand_in(fd, where, notebooks, report, spool)
    if not files:
        return None
    if timestamp is None and newest is not None:
        try:
            timestamp = _check_time(_from_epoch(newest), "the modification time of its notebooks")
        except Refused:
            for spooled in files.values():
                Spool.release(spooled)
            raise
    return Candidate(name=name, files=files, timestamp=timestamp, origin=where, notes=notes,
                     proposed=student_id(name))


def _timestamp_file(fd, where, report):
    """The time in the folder's ``timestamp.txt`` (naive UTC), or None; one in the future
    refuses the hand-in, a link or FIFO there is reported and ignored."""
    st = lstat_in("timestamp.txt", fd)
    if st is None:
        return None
    try:
        text = read_small("timestamp.txt", fd, st).decode("utf-8", errors="replace").strip()
    except Refused as exc:
        report.unplaced.append(("%s/timestamp.txt" % where, str(exc)))
        return None
    try:
        timestamp = _parse_time(text, "its timestamp.txt")
    except Refused:
        return None  # an unreadable time: the files' own times serve
    return _check_time(timestamp, "its timestamp.txt")


def _read_hand_in(fd, where, notebooks, report, spool, *, single_link=False):
    """``({notebook: SpooledFile}, notes, newest mtime)`` of the notebooks directly in the
    open folder ``fd``; every other file is reported (subfolders are skipped: a hand-in
    may carry data, notebooks are at its top)."""
    files, notes, newest = {}, [], None
    for name, st in entries(fd):
        if name in NBGRADER_FILES or _JUNK.search(name) or stat.S_ISDIR(st.st_mode):
            continue
        notebook, note = _match_notebook(name, notebooks)
        try:
            reason = not_regular(st, single_link=single_link) or (None if notebook else note)
            if reason:
                raise Refused(reason)
            if notebook in files:
                raise Refused("a second copy of %s.ipynb in the same folder" % notebook)
            with open_regular(name, fd, st, single_link=single_link) as stream:
                files[notebook] = spool.take(stream)
        except Refused as exc:
            report.unplaced.append(("%s/%s" % (where, name), str(exc)))
            continue
        newest = st.st_mtime if newest is None else max(newest, st.st_mtime)
        if note:
            notes.append(note)
    return files, notes, newest


# -- an LMS zip -------------------------------------------------------------------------------
@dataclass
class _ZipCopy:
    """A notebook in a zip, before it is unpacked."""

    order: tuple                    # (Canvas's submission number, place in the zip): larger is newer
    where: str
    entry: ZipEntry
    notebook: str
    who: tuple                      # ("lms", number) or ("name", name)
    details: dict                   # name, lms_user_id, first_name, last_name, late
    note: str


def _from_zip(path, assignment, notebooks, report, spool, file_under):
    """The candidates of an LMS zip: one per student (LMS user, or name in the folder layout)."""
    with zip_entries(path, spool.caps) as (listed, damage):
        if damage:
            report.unplaced.append((path.name, damage))
        found = {}
        for copies in _copies(path.name, listed, assignment, notebooks, report):
            copy, spooled = _newest_readable(copies, report, spool)
            if copy is not None:
                _add_copy(found, copy, spooled, path.name, file_under)
        return list(found.values())


def _copies(label, listed, assignment, notebooks, report):
    """The copies of each notebook of each student in the zip, newest first, in the
    zip's order; the files that are no one's notebook are reported. Nothing is unpacked."""
    groups = defaultdict(list)
    for entry in listed:
        if entry.is_dir or _JUNK.search(entry.name):
            continue
        where = "%s:%s" % (label, entry.name)
        copy = _zip_copy(entry, where, assignment, notebooks)
        if isinstance(copy, str):
            report.unplaced.append((where, copy))
        else:
            groups[copy.who, copy.notebook].append(copy)
    newest_first = [sorted(group, key=lambda c: c.order, reverse=True) for group in groups.values()]
    return sorted(newest_first, key=lambda group: group[0].order[1])


def _newest_readable(copies, report, spool):
    """``(copy, SpooledFile)`` of the newest of ``copies`` that unpacks within the caps
    (``(None, None)`` if none does); the others are reported. At most
    :data:`COPIES_TRIED` are unpacked, so one student's many bad copies cannot use up
    what one collect reads."""
    chosen, spooled = None, None
    for tried, copy in enumerate(copies):
        if chosen is None and tried >= COPIES_TRIED:
            report.unplaced.append((copy.where, "not unpacked: %d newer copies of %s.ipynb by %s could not be read"
                                    % (COPIES_TRIED, copy.notebook, copy.details["name"])))
            continue
        if chosen is not None:
            report.unplaced.append((copy.where, "an older copy of %s.ipynb by %s (%s is used)"
                                    % (copy.notebook, copy.details["name"], chosen.where)))
            continue
        try:
            with copy.entry.open() as stream:
                chosen, spooled = copy, spool.take(stream, copy.entry.packed_size)
        except Refused as exc:
            report.unplaced.append((copy.where, str(exc)))
    return chosen, spooled


def _add_copy(found, copy, spooled, label, file_under):
    """Add a spooled copy to its student's candidate in ``found`` (``{who: Candidate}``)."""
    candidate = found.get(copy.who)
    if candidate is None:
        candidate = found[copy.who] = _zip_candidate(label, copy.details, file_under)
    candidate.files[copy.notebook] = spooled
    # a Canvas file's zip time is the LMS's local time, zone unknown: measured against a due
    # date it would call on-time work late; Canvas's own LATE mark says whether it was
    entry_time = None if "late" in copy.details else copy.entry.modified
    stamps = [t for t in (candidate.timestamp, entry_time) if t is not None]
    candidate.timestamp = max(stamps) if stamps else None
    candidate.late = candidate.late or copy.details.get("late", False)
    if copy.note:
        candidate.notes.append(copy.note)


def _zip_copy(entry, where, assignment, notebooks):
    """The :class:`_ZipCopy` of a zip entry, or the reason it is not placed."""
    if entry.encrypted:
        return "encrypted (password-protected); download the submissions without a password"
    parsed = _parse_lms_name(entry.name, assignment)
    if parsed is None:
        return "cannot tell whose file this is (not a Canvas or Moodle name, not STUDENT/%s/FILE)" % assignment
    filename, order, details = parsed
    notebook, note = _match_notebook(filename, notebooks)
    if notebook is None:
        return note
    if not details.get("lms_user_id") and student_id(details["name"]) is None:
        return _no_id(details["name"])
    who = ("lms", details["lms_user_id"]) if details.get("lms_user_id") else ("name", details["name"])
    return _ZipCopy((order, entry.index), where, entry, notebook, who, details, note)


def _zip_candidate(label, details, file_under):
    """An empty candidate for the student of ``details``, with the id the zip proposes."""
    uid = details.get("lms_user_id")
    proposed = uid if file_under == "lms-id" and uid else student_id(details["name"])
    notes = []
    if proposed is None and uid:
        proposed = uid
        notes.append("no student id can be made from the name %r: filed under its LMS user id" % details["name"])
    first, last = (_inert_name(details.get(key)) for key in ("first_name", "last_name"))
    if (first, last) != (details.get("first_name"), details.get("last_name")):
        notes.append("the name %r is stored with < and > as \u2039 and \u203a (formgrader shows names as "
                     "HTML)" % details["name"])
    return Candidate(name=details["name"], files={}, timestamp=None, origin=label, lms_user_id=uid,
                     first_name=first, last_name=last,
                     proposed=proposed, exact=bool(uid) and file_under == "lms-id", notes=notes)


def _inert_name(name):
    """``name`` with ``<`` and ``>`` as the look-alike angle quotes: nbgrader's formgrader
    puts names into its pages as HTML, so a name must not be able to open a tag."""
    return name.translate({ord("<"): "\u2039", ord(">"): "\u203a"}) if name else name


def _parse_lms_name(name, assignment):
    """``(file name, order, details)`` for a zip member, or None; ``order`` ranks two
    copies of one file (Canvas's submission number); ``details`` has the student's
    ``name`` as the zip gives it and, for an LMS, ``lms_user_id`` and more."""
    path = PurePosixPath(name)
    moodle = _MOODLE.match(name)
    if moodle:
        full = moodle.group("name").strip()
        words = full.split()
        return (PurePosixPath(moodle.group("file")).name, 0,
                {"name": full, "lms_user_id": moodle.group("uid"),
                 "first_name": words[0] if words else None, "last_name": " ".join(words[1:]) or None})
    canvas = _CANVAS.match(path.name)
    if canvas and len(path.parts) == 1:
        return (canvas.group("file"), int(canvas.group("sub")),
                {"name": canvas.group("name"), "lms_user_id": canvas.group("uid"), "late": bool(canvas.group("late"))})
    parts = path.parts
    if len(parts) == 3 and parts[1] == assignment or len(parts) == 2:
        return parts[-1], 0, {"name": parts[0]}
    return None


# -- student ids ------------------------------------------------------------------------------
def student_id(text):
    """A student id made from ``text`` that is a safe folder name anywhere, or None.

    Letters, digits, ``_``, ``-``, ``.``, ``@`` are kept (NFC-normalised), any other run
    becomes ``_``; leading and trailing ``._-`` go (so ``.`` and ``..`` give None, as does
    a name with no letter or digit); a Windows device name (``con``, ``lpt1``) gets a
    trailing ``_``; past :data:`MAX_ID_CHARS` characters the id is cut and ends in 8 hex
    digits of the hash of the whole, so two long names stay distinct.
    """
    cleaned = re.sub(r"[^\w.@-]+", "_", unicodedata.normalize("NFC", text).strip()).strip("._-")
    if not cleaned:
        return None
    if _WINDOWS_DEVICE.match(cleaned):
        cleaned += "_"
    return _fit(cleaned)


def _fit(text):
    """``text`` if it is short enough for an id, else its head and a hash of the whole."""
    if len(text) <= MAX_ID_CHARS and len(text.encode()) <= 2 * MAX_ID_CHARS:
        return text
    head = text[:MAX_ID_CHARS - 9]
    while len(head.encode()) > 2 * MAX_ID_CHARS - 9:
        head = head[:-1]
    return "%s_%s" % (head.rstrip("._-"), hashlib.sha256(text.encode()).hexdigest()[:8])


def _assign_ids(candidates, known, report):
    """Give each candidate its ``student`` id; return those that have one, by id.

    ``known``: ``{student id: lms_user_id or ""}`` of the gradebook. An LMS user the
    gradebook knows keeps their id. An id that two people would share (two LMS users,
    two names that clean to it, an LMS user and a gradebook student of another LMS user)
    goes to neither: each gets it with their LMS number (or a hash of their name)
    appended. The exchange's ids and LMS numbers are kept as they are.
    """
    by_lms = {uid: sid for sid, uid in known.items() if uid}
    claims = defaultdict(set)
    for c in candidates:
        if not c.exact and c.lms_user_id in by_lms:
            c.student = by_lms[c.lms_user_id]
        elif c.proposed is not None:
            claims[c.proposed].add(c.key)
    chosen = []
    for c in candidates:
        if c.student is None and c.proposed is None:
            report.unplaced.append((c.origin, _no_id(c.name)))
            for spooled in c.files.values():
                Spool.release(spooled)
            continue
        if c.student is None:
            c.student = c.proposed if c.exact or not _contested(c, claims, known) else _suffixed(c)
            if c.student != c.proposed:
                c.notes.append("filed as %s: %s is another student's id" % (c.student, c.proposed))
        chosen.append(c)
    return sorted(chosen, key=lambda c: c.student)


def _contested(candidate, claims, known):
    """Whether another person claims the id ``candidate`` proposes: in this collect, in
    the gradebook, or as the id others got suffixed because it was contested before."""
    if claims[candidate.proposed] - {candidate.key}:
        return True
    holder = known.get(candidate.proposed)
    if candidate.lms_user_id and holder and holder != candidate.lms_user_id:
        return True
    return bool(candidate.lms_user_id) and any(
        uid and sid == _fit("%s_%s" % (candidate.proposed, uid)) for sid, uid in known.items())


def _suffixed(candidate):
    """The proposed id with the candidate's LMS number (or a hash of its name) appended."""
    tag = candidate.lms_user_id or hashlib.sha256(candidate.name.encode()).hexdigest()[:8]
    return _fit("%s_%s" % (candidate.proposed, tag))


def _no_id(name):
    return "cannot make a student id from %r (no letter or digit in it)" % name


def _known_students(course):
    """``{student id: lms_user_id or ""}`` of the gradebook."""
    with Store(course) as store, store.transaction() as (_session, gradebook):
        return {s.id: s.lms_user_id or "" for s in gradebook.students}


# -- helpers ----------------------------------------------------------------------------------
def _match_notebook(filename, notebooks):
    """``(notebook name, note)``, or ``(None, reason)`` for a file of no notebook."""
    path = PurePosixPath(filename)
    if path.suffix != ".ipynb":
        return None, "not a notebook of this assignment (expected %s)" % _expected(notebooks)
    if path.stem in notebooks:
        return path.stem, ""
    plain = _COPY_SUFFIX.sub("", path.stem)
    matches = [n for n in notebooks if n.lower() == plain.lower()]
    if len(matches) == 1:
        return matches[0], "%s taken as %s.ipynb" % (filename, matches[0])
    return None, "not a notebook of this assignment (expected %s)" % _expected(notebooks)


def _expected(notebooks):
    return ", ".join("%s.ipynb" % n for n in sorted(notebooks))


def _parse_time(text, what):
    """``text`` (nbgrader's time format) as a naive UTC datetime, or :class:`Refused`."""
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        raise Refused("%s (%r) cannot be read as a time" % (what, text)) from None


def _check_time(timestamp, what):
    """``timestamp`` (naive UTC), or :class:`Refused` if it is ahead of the clock by more
    than :data:`CLOCK_SKEW`: such a hand-in would win over every later one."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if timestamp > now + CLOCK_SKEW:
        raise Refused("%s (%s UTC) is in the future, more than %d minutes ahead of this machine's clock (%s UTC)"
                      % (what, timestamp.strftime("%Y-%m-%d %H:%M:%S"), CLOCK_SKEW.seconds // 60,
                         now.strftime("%Y-%m-%d %H:%M:%S")))
    return timestamp


def _from_epoch(seconds):
    """A file time (seconds since 1970) as a naive UTC datetime, or :class:`Refused`."""
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).replace(tzinfo=None)
    except (OverflowError, ValueError, OSError):
        raise Refused("the modification time of its notebooks (%r) is not a possible time" % seconds) from None


def _read_timestamp(folder):
    """nbgrader's ``timestamp.txt`` in ``folder`` (of ``submitted/``) as a naive UTC datetime, or None."""
    text = read_timestamp(folder)
    try:
        return _parse_time(text, "timestamp.txt") if text else None
    except Refused:
        return None


def _one_line(text):
    """``text`` with control characters (a newline in a file name) shown escaped."""
    return _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()), str(text))


# -- placing ----------------------------------------------------------------------------------
def _place_reported(course, assignment, candidate, report):
    """Place ``candidate``, adding its line (or why it could not be written) to ``report``."""
    try:
        line = _place(course, assignment, candidate)
    except OSError as exc:
        report.unplaced.append((candidate.origin, "cannot write submitted/%s/%s: %s"
                                % (candidate.student, assignment, exc.strerror or exc)))
        return
    report.placed.append(line)
    report.students.append(candidate)


def _digest(hashes):
    """One hash of a submission from ``{notebook: sha256 of its file}``."""
    text = "".join("%s\0%s\0" % (name, hashes[name]) for name in sorted(hashes))
    return hashlib.sha256(text.encode()).hexdigest()


def _place(course, assignment, candidate):
    """Move ``candidate``'s files into ``submitted/``; return the report line."""
    target = course.submission_dir(candidate.student, assignment)
    stamp = candidate.timestamp
    existing = {p.stem: file_sha256(p) for p in target.glob("*.ipynb")} if target.is_dir() else {}
    notes = ("; " + "; ".join(candidate.notes)) if candidate.notes else ""
    late = " (marked LATE by the LMS)" if candidate.late else ""
    if not existing:
        _write_submission(target, candidate.files, stamp, candidate.late)
        return "%s: new submission from %s%s%s" % (candidate.student, candidate.origin, late, notes)
    if _digest(existing) == _digest({name: f.sha256 for name, f in candidate.files.items()}):
        return "%s: unchanged (same files as submitted/%s/%s)%s" % (candidate.student, candidate.student,
                                                                    assignment, notes)
    old_stamp = _read_timestamp(target)
    if old_stamp is None or stamp is None or stamp >= old_stamp:
        archived = _archive_folder(course, assignment, candidate.student, old_stamp)
        shutil.move(str(target), str(archived))
        _write_submission(target, candidate.files, stamp, candidate.late)
        return ("%s: replaced the older submission (archived in %s) by the newer one from %s%s%s"
                % (candidate.student, archived.relative_to(course.root), candidate.origin, late, notes))
    archived = _archive_folder(course, assignment, candidate.student, stamp)
    _write_submission(archived, candidate.files, stamp, candidate.late)
    return ("%s: kept the newer submission already in submitted/; the older one from %s went to %s%s"
            % (candidate.student, candidate.origin, archived.relative_to(course.root), notes))


def _archive_folder(course, assignment, student, stamp):
    """A new folder name ``archive/STUDENT/NAME/<time>[-n]`` (not made yet)."""
    label = stamp.strftime("%Y%m%d-%H%M%S") if stamp else "undated"
    base = course.archive_dir / student / assignment
    base.mkdir(parents=True, exist_ok=True)
    folder, n = base / label, 1
    while folder.exists():
        n += 1
        folder = base / ("%s-%d" % (label, n))
    return folder


def _write_submission(folder, files, stamp, late=False):
    """Move the spooled ``files`` into ``folder`` as ``NOTEBOOK.ipynb``, with ``timestamp.txt``
    (and ``lms.json`` when the LMS marked it ``late``: grading reads it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, spooled in files.items():
        shutil.move(str(spooled.path), str(folder / ("%s.ipynb" % name)))
    if stamp is not None:
        (folder / "timestamp.txt").write_text(stamp.strftime(TIMESTAMP_FORMAT) + "\n", encoding="utf-8")
    if late:
        write_lms_mark(folder, late)


def _register_students(course, candidates):
    """Add (or complete) the collected students in the gradebook, in one transaction."""
    if not candidates:
        return
    with Store(course) as store, store.transaction() as (_session, gradebook):
        for candidate in candidates:
            fields = {k: v for k, v in (("lms_user_id", candidate.lms_user_id),
                                        ("first_name", candidate.first_name),
                                        ("last_name", candidate.last_name)) if v}
            try:
                student = gradebook.find_student(candidate.student)
            except MissingEntry:
                gradebook.add_student(candidate.student, **fields)
            else:
                for key, value in fields.items():
                    if not getattr(student, key):
                        setattr(student, key, value)
