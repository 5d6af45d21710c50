"""Issue 11, ps1's id trap: the id a student types (``MY_ID``) is checked against the class
list (``convgrade roster``) before her per-student numbers are regenerated.

- The roster is read from Canvas's gradebook export, Moodle's grade export, a plain CSV
  or what ``collect`` filed, through the real ``convgrade`` command; a bad row is one line
  naming the row and the rule, and nothing is imported.
- Real ps1 submissions, typed as literal numbers computed by the teacher's model answers
  (``autograder.demo.simulate.copied_answers``, not by the checks under test), graded in
  real sandboxed kernels: a student filed as ``smithalice`` who typed her student number
  gets full marks on its numbers; one who typed a classmate's id is graded on his own
  numbers and flagged in the run summary, the gradebook, the report and his feedback.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.commands.autograde import id_summary
from autograder.demo.simulate import copied_answers
from autograder.pipeline.identity import Roster, RosterEntry, check_identity, id_note, typed_id
from autograder.pipeline.parallel import RunSummary

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"
#: ps1's autograded marks (25: Part A 6, Part B 19) and all its marks (25 + 3 by the teacher).
AUTO, MARKS = 25.0, 28.0


def convgrade(course, *args, check=True):
    """Run the real ``convgrade`` on ``course``; the CompletedProcess."""
    proc = subprocess.run([str(CONVGRADE), "--course", str(course), *args], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    if check and proc.returncode != 0:
        raise AssertionError("convgrade %s failed (%d):\n%s\n%s" % (" ".join(args), proc.returncode,
                                                                   proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def rows(course, sql, *params):
    with sqlite3.connect(course / "gradebook.db") as db:
        return db.execute(sql, params).fetchall()


def ps1_course(root):
    """A course with ps1's source and its release generated into the gradebook."""
    (root / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / "ps1", root / "source" / "ps1")
    convgrade(root, "release", "ps1")
    return root


def hand_in(course, filed, typed, numbers_of):
    """``filed``'s ps1 submission: ``MY_ID = typed`` and the answers of ``numbers_of``'s
    variant typed as literal numbers, as a student copies them off her screen."""
    release = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
    source = nbformat.read(course / "source" / "ps1" / "ps1.ipynb", as_version=4)
    answers = copied_answers(source, "ps1", numbers_of)
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "student_id":
            cell.source = 'MY_ID = "%s"' % typed
        elif grade_id in answers:
            cell.source = answers[grade_id]
    folder = course / "submitted" / filed / "ps1"
    folder.mkdir(parents=True)
    nbformat.write(release, folder / "ps1.ipynb")


# -- the typed id and the rule, without a kernel ------------------------------------------------------------
def code(*sources):
    return [nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])]


@pytest.mark.parametrize("sources, expected", [
    (['MY_ID = "s123456"'], "s123456"),
    (['# your id\nMY_ID = " s123456 "\nprint(MY_ID)'], "s123456"),
    (['MY_ID = "first"', 'x = 1\nMY_ID = "second"'], "second"),       # the kernel would keep the last
    (['MY_ID = ""'], None),                                            # a hub fills it in
    (['MY_ID = input()'], None),                                       # never run: not a plain string
    (['MY_ID = "s1"', 'MY_ID = "s" + "2"'], None),
    (['MY_ID = "s1\\x1b[2J"'], None),                                  # no terminal escapes into a summary
    (['MY_ID = "%s"' % ("x" * 200)], None),
    (['MY_ID = (', 'y = 2'], None),                                    # a syntax error hides nothing
    (['my_id = "s1"'], None),
])
def test_the_typed_id_is_read_from_the_source_without_running_it(sources, expected):
    assert typed_id(code(*sources)) == expected


ROSTER = Roster((RosterEntry("smithalice", "1001", "s123456", "alice.smith@uni.example", "Alice Smith"),
                 RosterEntry("jonesbob", "1002", "s654321", "", "Bob Jones"),
                 RosterEntry("", "1003", "S777", "", "Carla de Vries")),
                lms_ids={"carla_dv": "1003"})


@pytest.mark.parametrize("student, typed, variant_id, check", [
    ("smithalice", "smithalice", "smithalice", "filed"),
    ("smithalice", "s123456", "s123456", "own"),         # her student number: the numbers she saw
    ("smithalice", "S123456", "S123456", "own"),         # any case; the variant is of what she typed
    ("smithalice", "alice.smith", "alice.smith", "own"),  # the e-mail's local part
    ("smithalice", "1001", "1001", "own"),               # her LMS number
    ("carla_dv", "s777", "s777", "own"),                 # found through the LMS id collect stored
    ("jonesbob", "s123456", "jonesbob", "classmate"),    # someone else's: his own numbers, flagged
    ("jonesbob", "smithalice", "jonesbob", "classmate"),
    ("jonesbob", "s999", "jonesbob", "unknown"),
    ("newcomer", "s123456", "newcomer", "classmate"),   # not in the roster, typed a listed student's id
    ("smithalice", None, "smithalice", "not_typed"),
])
def test_the_typed_id_against_the_roster(student, typed, variant_id, check):
    found = check_identity(student, typed, ROSTER)
    assert (found.variant_id, found.check) == (variant_id, check)
    assert (found.owner == "smithalice") == (check == "classmate" and typed in ("s123456", "smithalice"))


def test_the_students_note_is_in_the_notebooks_language_and_names_no_classmate():
    copied = check_identity("jonesbob", "s123456", ROSTER)
    english, dutch = id_note("jonesbob", copied, "en"), id_note("jonesbob", copied, "nl")
    assert "another student in your class" in english and "andere leerling in je klas" in dutch
    assert "smithalice" not in english + dutch and "jonesbob" in english and "jonesbob" in dutch
    assert "s123456" in id_note("smithalice", check_identity("smithalice", "s123456", ROSTER), "nl")
    assert id_note("smithalice", check_identity("smithalice", "smithalice", ROSTER), "en") == ""


def test_without_a_roster_the_filed_id_counts_and_the_summary_says_so_once():
    assert check_identity("smithalice", "s123456", None).check == "no_roster"
    assert check_identity("smithalice", "s123456", Roster()).variant_id == "smithalice"
    summary = RunSummary(roster_size=0, id_checks=[("a", "no_roster", "s1", "a", ""), ("b", "filed", "b", "b", ""),
                                                   ("c", "no_roster", "s3", "c", "")])
    line = id_summary("ps1", summary)
    assert "\n" not in line and line.startswith("ids of ps1")
    assert "2 typed an id other than the filed one" in line and "1 typed the id they are filed under" in line
    assert "no roster" in line and "convgrade roster import" in line
    assert id_summary("ps2", RunSummary()) == ""  # no per-student numbers: nothing to say


# -- the roster through the command -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def released_ps1(tmp_path_factory):
    return ps1_course(tmp_path_factory.mktemp("released") / "course")


@pytest.fixture
def course(released_ps1, tmp_path):
    shutil.copytree(released_ps1, tmp_path / "course")
    return tmp_path / "course"


def roster_rows(course):
    return rows(course, "SELECT filed_id, lms_id, institutional_id, email, name FROM convgrade_roster ORDER BY id")


CANVAS = ('Student,ID,SIS User ID,SIS Login ID,Section,ps1 (4242)\n'
          '    Points Possible,,,,,22.00\n'
          '"Smith, Alice",1001,s123456,alice.smith@uni.example,Class 4B,\n'
          '"Jones, Bob",1002,s654321,bjones,Class 4B,\n'
          '"Student, Test",1003,,,Class 4B,\n')
MOODLE = ('First name;Last name;ID number;Institution;Department;Email address;Assignment: ps1 (Real)\n'
          'Carla;de Vries;s111111;;;carla@school.example;-\n')


def test_a_canvas_gradebook_export_becomes_the_roster(course, tmp_path):
    (tmp_path / "grades.csv").write_bytes(b"\xef\xbb\xbf" + CANVAS.encode())  # Excel's byte-order mark
    proc = convgrade(course, "roster", "import", str(tmp_path / "grades.csv"))
    assert "2 new and 0 updated" in proc.stdout and "(canvas)" in proc.stdout
    assert "skipped row 2: Canvas's Points Possible row" in proc.stdout and "skipped row 5" in proc.stdout
    assert roster_rows(course) == [("smithalice", "1001", "s123456", "alice.smith@uni.example", "Alice Smith"),
                                   ("jonesbob", "1002", "s654321", "", "Bob Jones")]
    shown = convgrade(course, "roster", "show").stdout
    assert "smithalice" in shown and "s654321" in shown and "2 student(s)" in shown


def test_a_moodle_grade_export_becomes_the_roster(course, tmp_path):
    (tmp_path / "moodle.csv").write_text(MOODLE, encoding="utf-8")
    proc = convgrade(course, "roster", "import", str(tmp_path / "moodle.csv"))
    assert "(moodle)" in proc.stdout
    # filed as collect files Moodle's "First Last" folder
    assert roster_rows(course) == [("Carla_de_Vries", "", "s111111", "carla@school.example", "Carla de Vries")]


def test_the_roster_from_collected_zips_then_merged_with_the_canvas_export(course, tmp_path):
    notebook = (course / "release" / "ps1" / "ps1.ipynb").read_bytes()
    with zipfile.ZipFile(tmp_path / "submissions.zip", "w") as z:
        z.writestr("smithalice_1001_555_ps1.ipynb", notebook)
        z.writestr("jonesbob_1002_556_ps1.ipynb", notebook)
    convgrade(course, "collect", "ps1", "--from", str(tmp_path / "submissions.zip"))
    proc = convgrade(course, "roster", "import", "--from-collected", "ps1")
    assert "2 new" in proc.stdout and "(collected)" in proc.stdout
    assert sorted(roster_rows(course)) == [("jonesbob", "1002", "", "", ""), ("smithalice", "1001", "", "", "")]
    (tmp_path / "grades.csv").write_text(CANVAS, encoding="utf-8")
    proc = convgrade(course, "roster", "import", str(tmp_path / "grades.csv"))
    assert "0 new and 2 updated" in proc.stdout  # matched on the LMS number collect stored
    assert sorted(roster_rows(course))[1] == ("smithalice", "1001", "s123456", "alice.smith@uni.example",
                                              "Alice Smith")


def test_bad_rows_are_one_line_each_and_nothing_is_imported(course, tmp_path):
    (tmp_path / "good.csv").write_text("filed_id,lms_id,institutional_id,email,name\nann,7,s1,ann@x.example,Ann\n",
                                       encoding="utf-8")
    convgrade(course, "roster", "import", str(tmp_path / "good.csv"))
    (tmp_path / "bad.csv").write_text(
        "filed_id,lms_id,institutional_id,email,name\n"
        "ben,8,s2,ben@x.example,Ben\n"          # fine, but not imported: another row is bad
        ",,,,Nobody\n"                          # row 3: no id
        "cem,12x,s3,,Cem\n"                     # row 4: an LMS number with a letter
        "dia,9,s4,not-an-email,Dia\n"           # row 5
        "eve,10,s1,,Eve\n"                      # row 6: ann's student number
        "fay,11\n", encoding="utf-8")           # row 7: too few fields
    proc = convgrade(course, "roster", "import", str(tmp_path / "bad.csv"), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert all(line.startswith("convgrade: error: ") for line in lines)
    assert [line for line in lines if "row" in line and "nothing imported" not in line] == [
        "convgrade: error: bad.csv row 3: no id at all (filed id, LMS id, student number or e-mail is required)",
        "convgrade: error: bad.csv row 4: lms_id '12x' must be the LMS's user number (digits only)",
        "convgrade: error: bad.csv row 5: email 'not-an-email' must be name@domain",
        "convgrade: error: bad.csv row 7: has 2 fields, the header 5"]
    assert roster_rows(course) == [("ann", "7", "s1", "ann@x.example", "Ann")]  # as it was
    (tmp_path / "clash.csv").write_text("filed_id,lms_id,institutional_id,email,name\neve,10,S1,,Eve\n",
                                        encoding="utf-8")
    proc = convgrade(course, "roster", "import", str(tmp_path / "clash.csv"), check=False)
    assert proc.returncode == 2 and "id 's1' would belong to two students, ann and eve" in proc.stderr
    assert len(roster_rows(course)) == 1
    (tmp_path / "other.csv").write_text("name,number\nAnn,1\n", encoding="utf-8")
    proc = convgrade(course, "roster", "import", str(tmp_path / "other.csv"), check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "SIS User ID" in proc.stderr and "ID number" in proc.stderr and "filed_id" in proc.stderr


# -- real ps1 submissions, graded -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(released_ps1, tmp_path_factory):
    """smithalice typed her student number, jonesbob typed hers too (and copied her numbers),
    dan typed an id the roster does not know; one autograde run, feedback and report."""
    course = tmp_path_factory.mktemp("graded") / "course"
    shutil.copytree(released_ps1, course)
    roster = course.parent / "class.csv"
    roster.write_text("filed_id,lms_id,institutional_id,email,name\n"
                      "smithalice,1001,s123456,alice.smith@uni.example,Alice Smith\n"
                      "jonesbob,1002,s654321,,Bob Jones\n", encoding="utf-8")
    convgrade(course, "roster", "import", str(roster))
    hand_in(course, "smithalice", "s123456", "s123456")
    hand_in(course, "jonesbob", "s123456", "s123456")
    hand_in(course, "dan", "d-42", "d-42")
    run = convgrade(course, "autograde", "ps1", "--workers", "2", "--no-progress")
    convgrade(course, "feedback", "ps1")
    convgrade(course, "report", "-o", str(course / "report.html"))
    return course, run


def submission(course, student):
    (row,) = rows(course, "SELECT score, status, typed_id, variant_id, id_check, id_flag, rng_seed "
                          "FROM convgrade_submission WHERE student = ?", student)
    return dict(zip(("score", "status", "typed_id", "variant_id", "id_check", "id_flag", "rng_seed"), row))


def item_rows(course, student):
    return rows(course, "SELECT grade_id, score, fraction, misconception, message FROM convgrade_item "
                        "WHERE student = ? ORDER BY grade_id", student)


def feedback_text(course, student):
    graded = nbformat.read(course / "autograded" / student / "ps1" / "ps1.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_her_own_student_number_earns_full_marks_and_says_which_id_was_used(graded):
    course, _ = graded
    alice = submission(course, "smithalice")
    assert alice["status"] == "graded" and alice["score"] == AUTO  # every autograded mark (3 wait for the teacher)
    assert (alice["typed_id"], alice["variant_id"], alice["id_check"], alice["id_flag"]) == (
        "s123456", "s123456", "own", "")
    text = feedback_text(course, "smithalice")
    assert "Your numbers belong to student id: s123456" in text
    assert "checked with the numbers of the id you typed, s123456" in text


@pytest.mark.slow
def test_a_classmates_id_is_flagged_everywhere_and_not_silently_zero(graded):
    course, run = graded
    bob = submission(course, "jonesbob")
    assert (bob["variant_id"], bob["id_check"]) == ("jonesbob", "classmate")
    assert bob["score"] < 0.25 * AUTO  # her numbers earn nothing on his own ...
    # ... and the teacher sees whose id it was and what the answers earn on those numbers
    assert "the id of smithalice" in bob["id_flag"] and "would score %g of %g" % (AUTO, MARKS) in bob["id_flag"]
    assert "FLAGGED jonesbob: typed MY_ID 's123456', the id of smithalice" in run.stdout
    report = (course / "report.html").read_text(encoding="utf-8")
    assert "Identity flags" in report and "the id of smithalice" in report
    page = (course / "feedback" / "jonesbob" / "ps1" / "ps1.html").read_text(encoding="utf-8")
    assert "that is the id of another student in your class" in page and "smithalice" not in page


@pytest.mark.slow
def test_an_unknown_id_keeps_todays_rule_and_the_summary_says_so_in_one_line(graded):
    course, run = graded
    dan = submission(course, "dan")
    assert (dan["variant_id"], dan["id_check"]) == ("dan", "unknown")
    assert "your work is filed under dan" in feedback_text(course, "dan")
    lines = [line for line in run.stdout.splitlines() if line.startswith("ids of ps1")]
    assert lines == ["ids of ps1 (MY_ID): 1 typed another id of their own (graded on its numbers), 1 typed a "
                     "classmate's id (flagged below), 1 typed an id the roster does not know; those without a "
                     "roster match were graded on the filed id's numbers"]


@pytest.mark.slow
def test_regrading_with_force_gives_the_same_score_and_items(graded):
    course, _ = graded
    before = submission(course, "smithalice"), item_rows(course, "smithalice")
    run = convgrade(course, "autograde", "ps1", "--student", "smithalice", "--force", "--no-progress")
    after = submission(course, "smithalice"), item_rows(course, "smithalice")
    assert after == before and after[0]["score"].hex() == before[0]["score"].hex()
    assert "new random inputs" not in run.stdout
