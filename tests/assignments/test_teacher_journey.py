"""A new teacher's term, end to end, through the installed ``convgrade`` command only.

From an empty folder: ``init`` -> ``release`` -> ``deadline`` -> ``collect`` a Canvas zip
(Canvas's own file names; a LATE mark; two students called John Smith; a student who typed
her institutional id as the notebook asks; one who typed a classmate's id and handed in the
classmate's answers) -> ``roster import`` of Canvas's gradebook export -> a second zip with
a resubmission -> ``autograde`` -> ``autograde --force`` (the same scores) -> a policy
change (penalties re-applied without running a notebook, the changed grade named) ->
``export`` in every format, each parsed and checked column by column against the format
an LMS imports -> ``report``. The README's "Your own course" walks the same path.

One module-scoped run (the steps build on each other); each test reads what one step did.
Scores are checked against ``answer_key``'s oracle-tested numbers, never against a file
this code wrote.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from test_ps1 import FULL, MANUAL_CELLS, typed_by_hand

pytestmark = pytest.mark.slow

CONVGRADE = Path(sys.executable).with_name("convgrade")
ROOT = Path(__file__).resolve().parents[2]
AUTO_POINTS = sum(FULL.values())
MANUAL_POINTS = sum(MANUAL_CELLS.values())

#: Canvas's gradebook export for the class: Student ("Last, First"), ID (the Canvas user id
#: that also names each file of the submissions zip), SIS User ID (the student number).
CLASS = [
    # name,            canvas id, student number, login
    ("Smith, Alice", "1001", "s100001", "asmith"),
    ("Jones, Bob", "1002", "s100002", "bjones"),
    ("Smith, John", "1003", "s100003", "jsmith1"),
    ("Smith, John", "1004", "s100004", "jsmith2"),
    ("Lee, Carol", "1005", "s100005", "clee"),
    ("Brown, Dave", "1006", "s100006", "dbrown"),
    ("Evans, Erin", "1007", "s100007", "eevans"),  # never hands in
]


def convgrade(*args, cwd, ok=True):
    proc = subprocess.run([str(CONVGRADE), *args], cwd=cwd, capture_output=True, text=True, timeout=1500)
    if ok:
        assert proc.returncode == 0, "convgrade %s: %s%s" % (" ".join(args), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


BLANK = "blank"


def hand_in(typed_id, answers_of=None):
    """ps1 as a student types it: ``MY_ID = typed_id`` and the answers of ``answers_of``'s numbers
    (default: the typed id's own); :data:`BLANK`: the id only, every answer left blank."""
    if answers_of == BLANK:
        nb = nbformat.read(ROOT / "release" / "ps1" / "ps1.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "student_id":
                cell.source = 'MY_ID = "%s"' % typed_id
        return nbformat.writes(nb).encode()
    nb = typed_by_hand(answers_of or typed_id)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "student_id":
            cell.source = 'MY_ID = "%s"' % typed_id
    return nbformat.writes(nb).encode()


def canvas_zip(path, entries):
    """A Canvas "Download Submissions" zip: ``name_[LATE_]USERID_SUBMISSIONID_FILE``."""
    with zipfile.ZipFile(path, "w") as z:
        for filename, content in entries:
            z.writestr(filename, content)
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """Play the term; return ``{step: CompletedProcess}``, the course folder and the files made."""
    top = tmp_path_factory.mktemp("teacher")
    course = top / "cnn101"
    steps = {}
    steps["init"] = convgrade("init", str(course), "--course-id", "cnn101", "--assignments", "ps1", cwd=top)
    steps["release"] = convgrade("release", "ps1", cwd=course)
    # due in the past: the class is due; Carol's LATE mark is the LMS's word for her lateness
    steps["deadline"] = convgrade("deadline", "ps1", "--due", "2026-03-01 23:59", "--timezone",
                                  "Europe/Amsterdam", "--late-policy", "per-day:10", cwd=course)

    first = canvas_zip(top / "submissions.zip", [
        ("smithalice_1001_5001_ps1.ipynb", hand_in("s100001")),        # her own student number
        ("jonesbob_1002_5002_ps1.ipynb", hand_in("s100001", "s100001")),  # Alice's id and answers
        ("smithjohn_1003_5003_ps1.ipynb", hand_in("s100003")),
        ("smithjohn_1004_5004_ps1.ipynb", hand_in("s100004")),
        ("leecarol_LATE_1005_5005_ps1.ipynb", hand_in("s100005")),
        ("browndave_1006_5006_ps1.ipynb", hand_in("s100006", BLANK)),  # blank, for now
        ("browndave_1006_5006_notes.txt", b"my notes"),
    ])
    steps["collect"] = convgrade("collect", "ps1", "--from", str(first), cwd=course)

    class_list = top / "canvas-gradebook.csv"
    with open(class_list, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps1 (7001)"])
        w.writerow(["    Points Possible", "", "", "", "", str(AUTO_POINTS + MANUAL_POINTS)])
        for name, uid, number, login in CLASS:
            w.writerow([name, uid, number, login, "CNN 101", ""])
    steps["roster"] = convgrade("roster", "import", str(class_list), cwd=course)

    # Dave hands in again; Canvas's zip then holds his newest file, renamed as Canvas does
    second = canvas_zip(top / "submissions-2.zip", [
        ("browndave_1006_5016_ps1-1.ipynb", hand_in("s100006", "s100006"))])
    steps["collect2"] = convgrade("collect", "ps1", "--from", str(second), cwd=course)

    steps["autograde"] = convgrade("autograde", "ps1", "--no-progress", cwd=course)
    steps["export1"] = convgrade("export", "--format", "items", "-o", str(top / "items-1.csv"), cwd=course)
    steps["regrade"] = convgrade("autograde", "ps1", "--force", "--no-progress", cwd=course)
    steps["export2"] = convgrade("export", "--format", "items", "-o", str(top / "items-2.csv"), cwd=course)
    steps["policy"] = convgrade("deadline", "ps1", "--late-policy", "per-day:25", cwd=course)
    steps["export_pending"] = convgrade("export", "--format", "canvas", "-o", str(top / "pending.csv"), cwd=course)
    steps["report_pending"] = convgrade("report", "-o", str(top / "report-pending.html"), cwd=course)
    mark_written_answers(course)
    for fmt in ("nbgrader", "canvas", "moodle"):
        steps["export_" + fmt] = convgrade("export", "--format", fmt, "-o", str(top / ("%s.csv" % fmt)), cwd=course)
    steps["report"] = convgrade("report", "-o", str(top / "report.html"), cwd=course)
    return steps, course, top


def mark_written_answers(course, points=1.0):
    """What the teacher does in formgrader: a manual score for every written answer (nbgrader's
    own Gradebook calls, as formgrader makes them)."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gb:
        for submission in gb.assignment_submissions("ps1"):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in MANUAL_CELLS:
                        grade.manual_score = min(points, grade.max_score)
                        grade.needs_manual_grade = False   # as formgrader's grade handler does
        gb.db.commit()


def filed(term):
    """{Canvas user id: the id collect filed the student under}, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    _, course, _ = term
    with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gb:
        return {s.lms_user_id: s.id for s in gb.students if s.lms_user_id}


def scores(path):
    """{(student, grade_id): score} of an ``items`` export."""
    rows = read_csv(path)
    head = rows[0]
    out = {}
    for row in rows[1:]:
        r = dict(zip(head, row))
        out[r["student_id"], r["grade_id"]] = r["score"]
    return out


def test_init_makes_a_course_and_release_registers_it(term):
    steps, course, _ = term
    assert (course / "source" / "ps1" / "ps1.ipynb").is_file()
    assert (course / "release" / "ps1" / "ps1.ipynb").is_file()
    assert "cnn101" in (course / "nbgrader_config.py").read_text()
    assert "up to date" in steps["release"].stdout


def test_collect_keeps_two_john_smiths_apart_and_takes_daves_newest(term):
    steps, course, _ = term
    ids = filed(term)
    assert set(ids) == {"1001", "1002", "1003", "1004", "1005", "1006"}
    assert ids["1003"] != ids["1004"]
    for uid in ids:
        assert (course / "submitted" / ids[uid] / "ps1" / "ps1.ipynb").is_file()
    assert "LATE" in steps["collect"].stdout
    assert "notes.txt" in steps["collect"].stdout + steps["collect"].stderr   # reported, not lost
    newest = nbformat.read(course / "submitted" / ids["1006"] / "ps1" / "ps1.ipynb", as_version=4)
    assert any("answer_bump = [" in c.source for c in newest.cells)
    assert list((course / "archive" / ids["1006"] / "ps1").glob("*/ps1.ipynb")), "the blank hand-in is archived"


def test_own_student_number_earns_full_marks_and_a_classmates_id_is_flagged(term):
    steps, _, top = term
    ids = filed(term)
    got = scores(top / "items-1.csv")
    for uid in ("1001", "1003", "1004", "1006"):
        earned = sum(float(got[ids[uid], g]) for g in FULL)
        assert earned == pytest.approx(AUTO_POINTS), (uid, {g: got[ids[uid], g] for g in FULL})
    bob = sum(float(got[ids["1002"], g]) for g in FULL)
    assert bob < 0.5 * AUTO_POINTS, "a classmate's numbers earn Bob nothing by themselves"
    summary = steps["autograde"].stdout
    bob_line = next(line for line in summary.splitlines() if ids["1002"] in line and "flag" in line.lower())
    assert ids["1001"] in bob_line or "s100001" in bob_line, bob_line


def test_regrading_an_unchanged_file_gives_the_same_scores(term):
    _, _, top = term
    assert scores(top / "items-1.csv") == scores(top / "items-2.csv")


def test_a_policy_change_reapplies_penalties_and_names_the_changed_grade(term):
    steps, _, _ = term
    ids = filed(term)
    said = steps["policy"].stdout + steps["policy"].stderr
    assert ids["1005"] in said, said
    for uid in ("1001", "1003", "1004", "1006"):
        assert ids[uid] not in said


def test_canvas_export_is_canvas_gradebook_import_format(term):
    _, _, top = term
    ids = filed(term)
    rows = read_csv(top / "canvas.csv")
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    grade_column = rows[0][5]
    assert re.fullmatch(r"ps1( \(\d+\))?", grade_column), grade_column
    assert rows[1][0].strip() == "Points Possible"
    assert float(rows[1][5]) == AUTO_POINTS + MANUAL_POINTS
    by_id = {r[1]: dict(zip(rows[0], r)) for r in rows[2:]}
    assert set(by_id) >= {"1001", "1002", "1003", "1004", "1005", "1006"}
    assert by_id["1001"]["SIS User ID"] == "s100001"
    assert by_id["1003"]["SIS Login ID"] != by_id["1004"]["SIS Login ID"]   # the two John Smiths
    for uid, r in by_id.items():
        cell = r[grade_column]
        assert cell == "" or re.fullmatch(r"\d+(\.\d{1,2})?", cell), (uid, cell)
    # Erin handed nothing in: never an invented 0
    assert "1007" not in by_id or by_id["1007"][grade_column] != "0"
    # Carol answered as right as Alice; the LMS marked her LATE with no time to measure: one
    # started day at 25 % of the assignment's marks
    carol, alice = float(by_id["1005"][grade_column]), float(by_id["1001"][grade_column])
    assert carol == pytest.approx(alice - 0.25 * (AUTO_POINTS + MANUAL_POINTS), abs=0.01), (carol, alice)


def test_moodle_export_has_an_identifier_and_one_grade_column(term):
    _, _, top = term
    rows = read_csv(top / "moodle.csv")
    head = rows[0]
    assert head[:4] == ["First name", "Last name", "ID number", "Email address"], head
    numbers = {r[2] for r in rows[1:]}
    assert {"s100001", "s100003", "s100004", "s100005", "s100006"} <= numbers, numbers  # Moodle's idnumber
    assert any(h.startswith("ps1") for h in head), head
    for r in rows[1:]:
        for h, v in zip(head, r):
            if h.startswith("ps1"):
                assert v == "" or re.fullmatch(r"\d+(\.\d{1,2})?", v), (h, v)


def test_exports_warn_about_pending_manual_marking_and_never_invent_a_grade(term):
    steps, _, top = term
    warned = steps["export_pending"].stderr
    assert "manual" in warned.lower(), warned
    rows = read_csv(top / "pending.csv")
    assert all(r[5] != "0" for r in rows[2:]), rows    # pending is no grade, and never 0
    assert "manual" not in steps["export_canvas"].stderr.lower()   # once marked, no warning


def test_exports_round(term):
    _, _, top = term
    for fmt in ("nbgrader", "canvas", "moodle"):
        text = (top / ("%s.csv" % fmt)).read_text()
        assert not re.search(r"\d\.\d{3,}", text), (fmt, text[:500])


def test_the_report_names_pending_marking_the_flag_and_puts_only_missing_work_at_risk(term):
    _, _, top = term
    ids = filed(term)
    pending = (top / "report-pending.html").read_text()
    assert "formgrader" in pending.lower() and "manual" in pending.lower()
    html = (top / "report.html").read_text()
    assert ids["1002"] in html and "s100001" in html     # Bob's flag: whose id he typed
    at_risk = section(html, "at risk")
    assert ids["1001"] not in at_risk and ids["1003"] not in at_risk, at_risk


def section(html, heading):
    """The text of the report's section whose heading contains ``heading`` (case-insensitive)."""
    from html.parser import HTMLParser

    class Sections(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.in_heading = [["", ""]], False

        def handle_starttag(self, tag, attrs):
            if tag in ("h2", "h3"):
                self.in_heading = True
                self.parts.append(["", ""])

        def handle_endtag(self, tag):
            if tag in ("h2", "h3"):
                self.in_heading = False

        def handle_data(self, data):
            self.parts[-1][0 if self.in_heading else 1] += data

    parser = Sections()
    parser.feed(html)
    found = [body for title, body in parser.parts if heading.lower() in title.lower()]
    assert found, "no section %r in the report" % heading
    return found[0]
