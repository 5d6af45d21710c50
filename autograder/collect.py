"""``convgrade collect NAME [--from PATH]``: gather submissions into ``submitted/``.

Three sources, one placement rule:

- nbgrader's exchange (no ``--from``): the newest ``STUDENT+NAME+TIMESTAMP[+random]``
  folder of each student in ``Exchange.root/COURSE_ID/inbound``;
- a folder (``--from DIR``): ``DIR/STUDENT/NAME/*.ipynb`` or ``DIR/STUDENT/*.ipynb``;
- an LMS download (``--from FILE.zip``): Canvas's ``name_[LATE_]USERID_SUBMISSIONID_FILE``
  files (``lastname_firstname_12345_67890_ps2.ipynb``, a resubmission as ``ps2-1.ipynb``)
  and Moodle's ``Full Name_12345_assignsubmission_file_/ps2.ipynb`` folders, or a zip of
  the folder layout. Students are filed under the name part (``--file-under lms-id``:
  under the LMS's number); the number is kept as nbgrader's ``lms_user_id``.

Each submission lands in ``submitted/STUDENT/NAME/`` with nbgrader's ``timestamp.txt``
and the student in the gradebook. Nothing is overwritten silently: an identical copy
is left alone; otherwise the newer copy (by timestamp) stays and the older is moved
to ``archive/STUDENT/NAME/<time>/``, and the report says which. Every file that could
not be placed is reported with the reason.
"""
from __future__ import annotations

import datetime
import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course import read_timestamp
from autograder.errors import CollectError, ConvgradeError

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
MAX_FILE_BYTES = 128 * 1024 ** 2
_CANVAS = re.compile(r"^(?P<name>.+?)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>[^/]+?)_(?P<uid>\d+)_assignsubmission_[a-z]+_/?(?P<file>.+)$")
_COPY_SUFFIX = re.compile(r"(?:-\d+| ?\(\d+\)|_\d+)$")
_JUNK = re.compile(r"(^|/)(__MACOSX|\.DS_Store|\.ipynb_checkpoints|Thumbs\.db)(/|$)")


@dataclass
class Candidate:
    """One student's submission found in a source, before placement."""

    student: str
    files: dict                     # {notebook name: bytes}
    timestamp: datetime.datetime | None
    origin: str
    lms_user_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    late: bool = False
    notes: list = field(default_factory=list)


@dataclass
class CollectReport:
    """What ``collect`` did: ``placed`` lines (one per student) and ``unplaced``
    ``(file, reason)`` pairs."""

    placed: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)
    students: list = field(default_factory=list)

    def lines(self):
        out = list(self.placed)
        out += ["could not place %s: %s" % (path, reason) for path, reason in self.unplaced]
        return out


def collect(course, assignment, source=None, *, file_under="name"):
    """Collect ``assignment`` from ``source`` (None: nbgrader's exchange) into ``submitted/``.

    Parameters
    ----------
    course : autograder.course.Course
    assignment : str
    source : path, optional
        A folder or a ``.zip`` file.
    file_under : {"name", "lms-id"}
        For LMS zips: file students under the name in the file name or the number.

    Returns
    -------
    CollectReport
    """
    course.require_assignment(assignment)
    if file_under not in ("name", "lms-id"):
        raise ConvgradeError("--file-under must be 'name' or 'lms-id', got %r" % file_under)
    notebooks = set(course.notebook_names(assignment))
    report = CollectReport()
    if source is None:
        candidates = _from_exchange(course, assignment, notebooks, report)
    else:
        source = Path(source).expanduser()
        if not source.exists():
            raise CollectError("--from %s: no such file or folder" % source)
        if source.is_dir():
            candidates = _from_folder(source, assignment, notebooks, report)
        elif zipfile.is_zipfile(source):
            candidates = _from_zip(source, assignment, notebooks, report, file_under)
        else:
            raise CollectError("--from %s is neither a folder nor a zip file" % source)
    for candidate in _newest_per_student(candidates, report):
        report.placed.append(_place(course, assignment, candidate))
        report.students.append(candidate)
    _register_students(course, report.students)
    return report


# -- sources ------------------------------------------------------------------------------
def _from_exchange(course, assignment, notebooks, report):
    config = course.nbgrader_config()
    course_id = config.CourseDirectory.get("course_id", "")
    root = Path(config.Exchange.get("root", "/usr/local/share/nbgrader/exchange"))
    if not course_id:
        raise CollectError("no --from given and CourseDirectory.course_id is not set in nbgrader_config.py, "
                           "so there is no nbgrader exchange to collect from")
    inbound = root / course_id / "inbound"
    if not inbound.is_dir():
        raise CollectError("nbgrader's exchange inbound folder %s does not exist" % inbound)
    from nbgrader.utils import parse_utc

    candidates = []
    for entry in sorted(inbound.iterdir()):
        parts = entry.name.rsplit("+", 3)
        if len(parts) == 4 and parts[1] != assignment:
            parts = entry.name.rsplit("+", 2)
        if len(parts) < 3 or parts[1] != assignment or not entry.is_dir():
            continue
        try:
            timestamp = parse_utc(parts[2])
        except (ValueError, OverflowError):
            report.unplaced.append((str(entry), "the time in its name (%r) cannot be read" % parts[2]))
            continue
        notes = []
        files = _notebooks_in(entry, notebooks, report, notes)
        if files:
            candidates.append(Candidate(_student_id(parts[0]), files, timestamp, str(entry), notes=notes))
    return candidates


def _from_folder(folder, assignment, notebooks, report):
    candidates = []
    for entry in sorted(folder.iterdir()):
        if _JUNK.search(entry.name):
            continue
        if not entry.is_dir():
            report.unplaced.append((str(entry), "not inside a STUDENT folder"))
            continue
        inner = entry / assignment if (entry / assignment).is_dir() else entry
        notes = []
        files = _notebooks_in(inner, notebooks, report, notes)
        if not files:
            continue
        timestamp = _read_timestamp(inner) or _mtime(inner, files)
        candidates.append(Candidate(_student_id(entry.name), files, timestamp, str(inner), notes=notes))
    return candidates


def _from_zip(path, assignment, notebooks, report, file_under):
    found, versions = {}, {}
    with zipfile.ZipFile(path) as archive:
        for index, info in enumerate(archive.infolist()):
            name = info.filename
            if info.is_dir() or _JUNK.search(name):
                continue
            where = "%s:%s" % (path.name, name)
            if info.file_size > MAX_FILE_BYTES:
                report.unplaced.append((where, "larger than %d MB" % (MAX_FILE_BYTES // 2 ** 20)))
                continue
            parsed = _parse_lms_name(name, assignment, file_under)
            if parsed is None:
                report.unplaced.append((where, "cannot tell whose file this is (not a Canvas or Moodle name, "
                                               "not STUDENT/%s/FILE)" % assignment))
                continue
            filename, order, details = parsed
            notebook, note = _match_notebook(filename, notebooks)
            if notebook is None:
                report.unplaced.append((where, note))
                continue
            order = (order, index)  # Canvas: a later submission has a larger number
            student = details["student"]
            previous = versions.get((student, notebook))
            if previous is not None:
                older, newer = sorted([previous, (order, where)])
                report.unplaced.append((older[1], "an older copy of %s.ipynb by %s (%s is used)"
                                        % (notebook, student, newer[1])))
                if newer[1] != where:
                    continue
            versions[(student, notebook)] = (order, where)
            timestamp = datetime.datetime(*info.date_time)
            candidate = found.get(student)
            if candidate is None:
                candidate = found[student] = Candidate(files={}, timestamp=timestamp, origin=path.name, **details)
            candidate.files[notebook] = archive.read(info)
            candidate.timestamp = max(candidate.timestamp, timestamp)
            candidate.late = candidate.late or details.get("late", False)
            if note:
                candidate.notes.append(note)
    return list(found.values())


def _parse_lms_name(name, assignment, file_under):
    """``(file name, order, Candidate fields)`` for a zip member, or None; ``order``
    ranks two copies of one file (Canvas's submission number)."""
    path = PurePosixPath(name)
    moodle = _MOODLE.match(name)
    if moodle:
        full = moodle.group("name").strip()
        words = full.split()
        student = moodle.group("uid") if file_under == "lms-id" else _student_id(full)
        return (PurePosixPath(moodle.group("file")).name, 0,
                {"student": student, "lms_user_id": moodle.group("uid"),
                 "first_name": words[0] if words else None,
                 "last_name": " ".join(words[1:]) or None})
    canvas = _CANVAS.match(path.name)
    if canvas and len(path.parts) == 1:
        student = canvas.group("uid") if file_under == "lms-id" else _student_id(canvas.group("name"))
        return (canvas.group("file"), int(canvas.group("sub")),
                {"student": student, "lms_user_id": canvas.group("uid"), "late": bool(canvas.group("late"))})
    parts = path.parts
    if len(parts) == 3 and parts[1] == assignment or len(parts) == 2:
        return parts[-1], 0, {"student": _student_id(parts[0])}
    return None


# -- helpers --------------------------------------------------------------------------------
def _notebooks_in(folder, notebooks, report, notes=None):
    """``{notebook: bytes}`` of the notebooks in ``folder``; the rest goes to
    ``report.unplaced``, renamed matches to ``notes``."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.name == "timestamp.txt" or _JUNK.search(path.name) or path.is_dir():
            continue
        notebook, note = _match_notebook(path.name, notebooks)
        if notebook is None:
            report.unplaced.append((str(path), note))
        elif path.stat().st_size > MAX_FILE_BYTES:
            report.unplaced.append((str(path), "larger than %d MB" % (MAX_FILE_BYTES // 2 ** 20)))
        elif notebook in files:
            report.unplaced.append((str(path), "a second copy of %s.ipynb in the same folder" % notebook))
        else:
            files[notebook] = path.read_bytes()
            if note and notes is not None:
                notes.append(note)
    return files


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


def _student_id(text):
    """A folder-safe student id: letters, digits, ``_``, ``-``, ``.``, ``@``; spaces become ``_``."""
    cleaned = re.sub(r"[^\w.@-]+", "_", text.strip(), flags=re.UNICODE).strip("._")
    if not cleaned:
        raise CollectError("cannot make a student id from %r" % text)
    return cleaned


def _read_timestamp(folder):
    """nbgrader's ``timestamp.txt`` in ``folder`` as a naive UTC datetime, or None."""
    from nbgrader.utils import parse_utc

    text = read_timestamp(folder)
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


def _mtime(folder, files):
    times = [(folder / ("%s.ipynb" % name)).stat().st_mtime for name in files
             if (folder / ("%s.ipynb" % name)).exists()]
    if not times:
        return None
    return datetime.datetime.fromtimestamp(max(times), datetime.timezone.utc).replace(tzinfo=None)


def _newest_per_student(candidates, report):
    chosen = {}
    for candidate in candidates:
        other = chosen.get(candidate.student)
        if other is None:
            chosen[candidate.student] = candidate
            continue
        newer, older = (candidate, other) if (candidate.timestamp or datetime.datetime.min) >= \
            (other.timestamp or datetime.datetime.min) else (other, candidate)
        chosen[candidate.student] = newer
        report.unplaced.append((older.origin, "an older submission of %s (the newer one, %s, is used)"
                                % (older.student, newer.origin)))
    return [chosen[s] for s in sorted(chosen)]


def _digest(files):
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def _place(course, assignment, candidate):
    """Write ``candidate`` into ``submitted/``; return the report line."""
    target = course.submission_dir(candidate.student, assignment)
    stamp = candidate.timestamp
    existing = {p.stem: p.read_bytes() for p in target.glob("*.ipynb")} if target.is_dir() else {}
    notes = ("; " + "; ".join(candidate.notes)) if candidate.notes else ""
    late = " (marked LATE by the LMS)" if candidate.late else ""
    if not existing:
        _write_submission(target, candidate.files, stamp)
        return "%s: new submission from %s%s%s" % (candidate.student, candidate.origin, late, notes)
    if _digest(existing) == _digest(candidate.files):
        return "%s: unchanged (same files as submitted/%s/%s)" % (candidate.student, candidate.student, assignment)
    old_stamp = _read_timestamp(target)
    incoming_newer = old_stamp is None or stamp is None or stamp >= old_stamp
    if incoming_newer:
        archived = _archive(course, assignment, candidate.student, existing, old_stamp, target)
        shutil.rmtree(target)
        _write_submission(target, candidate.files, stamp)
        return ("%s: replaced the older submission (archived in %s) by the newer one from %s%s%s"
                % (candidate.student, archived.relative_to(course.root), candidate.origin, late, notes))
    archived = _archive(course, assignment, candidate.student, candidate.files, stamp, None)
    return ("%s: kept the newer submission already in submitted/; the older one from %s went to %s"
            % (candidate.student, candidate.origin, archived.relative_to(course.root)))


def _archive(course, assignment, student, files, stamp, source_folder):
    label = stamp.strftime("%Y%m%d-%H%M%S") if stamp else "undated"
    base = course.archive_dir / student / assignment
    folder, n = base / label, 1
    while folder.exists():
        n += 1
        folder = base / ("%s-%d" % (label, n))
    if source_folder is not None:
        shutil.copytree(source_folder, folder)
    else:
        _write_submission(folder, files, stamp)
    return folder


def _write_submission(folder, files, stamp):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / ("%s.ipynb" % name)).write_bytes(data)
    if stamp is not None:
        (folder / "timestamp.txt").write_text(stamp.strftime(TIMESTAMP_FORMAT) + "\n", encoding="utf-8")


def _register_students(course, candidates):
    """Add (or complete) the collected students in the gradebook, in one transaction."""
    if not candidates:
        return
    from nbgrader.api import MissingEntry

    from autograder.store import Store

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
