"""`convgrade report` (autograder.publish.report): one self-contained HTML page for the teacher.

The page is read back with the standard library's HTML parser, section by section, and
held against the gradebook of tests/autograder/classbook.py, whose contents were chosen
by hand: the misconception counts must be those of the items table, the students at
risk those the rules name, and nothing a student typed may reach the page unescaped.
"""
from __future__ import annotations

import base64
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.errors import ConvgradeError
from autograder.publish import export
from autograder.publish import report
from autograder.records import STATES

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classbook  # noqa: E402
import statebook  # noqa: E402

SECTIONS = ["1. At a glance", "2. Score distribution per assignment", "3. Which items the class finds hardest",
            "4. Most frequent misconceptions", "5. Students at risk", "6. Waiting for you", "7. All students"]


class Page(HTMLParser):
    """Headings, tables (rows of cell texts, under the heading before them), images and
    every tag name of an HTML page."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.headings, self.tables, self.images, self.tags = [], {}, [], []
        self._heading = self._table = self._row = self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "h2":
            self._heading = ""
        elif tag == "table":
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag == "h2":
            self.headings.append(self._heading.strip())
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self.tables.setdefault(self.headings[-1] if self.headings else "", []).append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data
        if self._cell is not None:
            self._cell += data

    def table(self, heading, index=0):
        """The table under ``heading`` as a list of {column: text} dicts."""
        rows = self.tables[heading][index]
        return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return classbook.make_course(tmp_path_factory.mktemp("report") / "course")


@pytest.fixture(scope="module")
def html_text(course, tmp_path_factory):
    path = report.build_report(course, tmp_path_factory.mktemp("out") / "report.html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(html_text):
    return Page(html_text)


def test_the_report_has_every_section_in_order(page):
    assert page.headings == SECTIONS


def test_the_page_is_self_contained(html_text, page):
    assert "script" not in page.tags, "no JavaScript"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html_text), "no external resources"
    assert not re.search(r"<link\b", html_text)
    assert len(page.images) >= 3  # distributions, items, misconceptions
    for image in page.images:
        assert image["src"].startswith("data:image/png;base64,")
        png = base64.b64decode(image["src"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.get("alt"), "every figure is described for screen readers"


def test_student_strings_are_escaped(html_text, page):
    assert classbook.HOSTILE_NAME not in html_text
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html_text
    assert "<img src=x" not in html_text
    # the hostile name is shown as text in the at-risk and all-students tables
    names = [row["Name"] for row in page.table("7. All students")]
    assert "%s Dekker" % classbook.HOSTILE_NAME in names


def test_misconception_counts_match_the_items_table(course, page):
    items = export.read_items(course)
    found = items[items["misconception"].notna()]
    answers = Counter(found["misconception"])
    students = {key: len(set(found.loc[found["misconception"] == key, "student_id"])) for key in answers}
    shown = {row["Misconception"].replace(" ", "_"): (int(row["Answers"]), int(row["Students"]))
             for row in page.table("4. Most frequent misconceptions")}
    assert shown == {key: (answers[key], students[key]) for key in answers}
    # by hand from classbook.RESULTS: flipped kernel in ben's ps1 and ps2 and in dan's ps2
    assert shown["flipped_kernel"] == (3, 2)
    order = [row["Misconception"] for row in page.table("4. Most frequent misconceptions")]
    assert order[0] == "flipped kernel", "the one most students made first"


def test_misconceptions_come_with_the_explanation_students_saw(page):
    from autograder.language.en import MISCONCEPTIONS

    for row in page.table("4. Most frequent misconceptions"):
        key = row["Misconception"].replace(" ", "_")
        assert row["What the students were told"] == MISCONCEPTIONS[key].replace("`", "")


def test_students_at_risk_are_those_below_half_or_with_a_failed_submission(page):
    at_risk = {row["Student"]: row["Why"] for row in page.table("5. Students at risk")}
    # ana 9.5/10; ben 4/10; cy handed in nothing; dan 2/10 with a ps1 that timed out
    assert set(at_risk) == {"ben", "cy", "dan"}
    assert "mean score 40%" in at_risk["ben"]
    assert "ps1: not handed in" in at_risk["cy"] and "ps2: not handed in" in at_risk["cy"]
    assert "ps1: ran out of time" in at_risk["dan"]


def test_status_counts_per_assignment(page):
    glance = {row["Assignment"]: row for row in page.table("1. At a glance")}
    assert glance["ps1"]["Final grades"] == "3" and glance["ps1"]["Ran out of time"] == "1"
    assert glance["ps2"]["Final grades"] == "3"
    assert glance["ps2"]["Mean"] == "50%"  # (5 + 3 + 0 + 2) / 4 of 5 points: cy handed nothing in
    stand = {row["Assignment"]: row for row in page.table("1. At a glance", 1)}
    assert stand["ps1"]["Not handed in"] == "1" and stand["ps1"]["Graded"] == "3"
    assert stand["ps2"]["Not released"] == stand["ps2"]["Late"] == "0"


def test_hardest_items_first_counting_only_judged_answers(course, page):
    rows = page.table("3. Which items the class finds hardest")
    means = [float(row["Mean"].rstrip("%")) for row in rows]
    assert means == sorted(means)
    by_item = {(row["Assignment"], row["Item"]): row for row in rows}
    # ps1/test_bump: ana 1, ben 0 (dan's timed-out notebook is not an answer) -> 50%
    assert by_item[("ps1", "test_bump")]["Mean"] == "50%" and by_item[("ps1", "test_bump")]["Submissions"] == "2"


def test_all_students_table_shows_each_score(page):
    rows = {row["Student"]: row for row in page.table("7. All students")}
    assert set(rows) == set(classbook.STUDENTS)
    for (student, assignment), score in classbook.EXPECTED_SCORES.items():
        if student != "cy":
            assert rows[student][assignment].startswith("%g / 5" % score)
    assert rows["cy"]["ps1"] == "not handed in", "a state, not an invented 0"
    assert rows["dan"]["ps1"] == "0 / 5 (ran out of time)"


def test_report_of_an_empty_gradebook_says_so(tmp_path, course):
    import shutil
    import sqlite3

    copy = tmp_path / "gradebook.db"
    shutil.copy(course.sqlite_path, copy)
    with sqlite3.connect(copy) as db:
        for table in ("convgrade_item", "convgrade_submission", "comment", "grade", "submitted_notebook",
                      "submitted_assignment"):
            db.execute("DELETE FROM %s" % table)
    text = report.build_report("sqlite:///%s" % copy, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No graded items yet." in text and "No misconception was recognised" in text


def test_missing_output_folder_is_a_clear_error(course, tmp_path):
    with pytest.raises(ConvgradeError, match="does not exist"):
        report.build_report(course, tmp_path / "nope" / "report.html")


# -- states, deadlines, work waiting (tests/autograder/statebook.py) ---------------------------------
@pytest.fixture(scope="module")
def states(tmp_path_factory):
    return statebook.make_course(tmp_path_factory.mktemp("report-states") / "course")


@pytest.fixture(scope="module")
def states_page(states, tmp_path_factory):
    return Page(report.build_report(states, tmp_path_factory.mktemp("out") / "r.html").read_text(encoding="utf-8"))


def test_state_counts_per_assignment(states_page):
    want = Counter((assignment, state) for (_student, assignment), (state, _) in statebook.EXPECTED.items())
    rows = {row["Assignment"]: row for row in states_page.table("1. At a glance", 1)}
    assert set(rows) == {"ps1", "ps2", "ps3", "ps4", "ps5"}
    for assignment, row in rows.items():
        for state in STATES:
            assert row[state.capitalize()] == str(want[(assignment, state)]), (assignment, state)
    glance = {row["Assignment"]: row for row in states_page.table("1. At a glance")}
    assert glance["ps5"]["Due"] == "2024-03-01 11:00 UTC" and glance["ps5"]["Late policy"] == "per-hour:10"
    assert glance["ps4"]["Due"] == "2099-02-01 09:00 UTC" and glance["ps1"]["Due"] == ""
    # ps5 counts its three final grades (ana 7.198908, ben 7, eve 3 of 10) and fay's 0; not cy's or dan's
    assert glance["ps5"]["Final grades"] == "3" and glance["ps5"]["Mean"] == "%.0f%%" % ((71.98908 + 70 + 30) / 4)
    assert glance["ps3"]["Mean"] == "" and glance["ps3"]["Final grades"] == "0", "nothing due, nothing counted"


def test_at_risk_counts_only_assignments_that_are_due(states_page):
    at_risk = {row["Student"]: row["Why"] for row in states_page.table("5. Students at risk")}
    # ana: 4.5/5, 5/5, 7.2/10 on the due ones; ps3 (not due) and ps4 (not released) say nothing
    assert "ana" not in at_risk
    assert not any("ps3" in why or "ps4" in why for why in at_risk.values())
    assert {"cy", "dan", "eve", "fay"} <= set(at_risk)
    assert at_risk["fay"].count("not handed in") == 3 and "ps5: not handed in" in at_risk["fay"]
    assert "ps5" not in at_risk["cy"], "collected but not graded is no reason for alarm"
    assert "ps5" not in at_risk["dan"] and "ps1: ran out of time" in at_risk["dan"]
    assert "mean score 10%" in at_risk["eve"]  # (0 + 0 + 30) / 3, ps5 late with 3 of 10


def test_the_report_lists_manual_marking_and_grading_that_wait(states_page):
    waiting = {(row["Assignment"], row["What"]): row for row in states_page.table("6. Waiting for you")}
    assert set(waiting) == {("ps5", "manual marking pending"), ("ps5", "collected, not graded")}
    marking = waiting[("ps5", "manual marking pending")]
    assert (marking["Students"], marking["Answers to mark"], marking["Items"]) == ("dan", "1", "essay")
    assert marking["Where"] == "formgrader: Manual Grading \u203a ps5 \u203a ps5 (/formgrader/gradebook/ps5/ps5)"
    assert waiting[("ps5", "collected, not graded")]["Where"] == "run: convgrade autograde ps5"
    assert waiting[("ps5", "collected, not graded")]["Students"] == "cy"


def test_headline_says_how_many_answers_wait(states):
    text = report.render_html(report.report_data(states))
    assert "<b>1 answer</b> waits for manual marking in formgrader (section 6)." in text


def test_all_students_show_states_not_zeros(states_page):
    rows = {row["Student"]: row for row in states_page.table("7. All students")}
    assert rows["ben"]["ps5"] == "7 / 10 (late: 3 off, per-hour:10)"
    assert rows["eve"]["ps5"] == "3 / 10 (late: 1 off, per-hour:10)"
    assert rows["dan"]["ps5"] == "manual marking pending" and rows["cy"]["ps5"] == "collected, not graded"
    assert rows["ana"]["ps3"] == "not due" and rows["ana"]["ps4"] == "not released"
    assert rows["fay"]["ps5"] == "not handed in"


def test_identity_flags_are_shown_for_the_teacher(states, tmp_path):
    url = statebook.gradebook_copy(states, tmp_path, "UPDATE convgrade_submission SET id_flag = 'typed the id "
                                   "of ben' WHERE student = 'ana' AND assignment = 'ps5'")
    page = Page(report.build_report(url, tmp_path / "r.html").read_text(encoding="utf-8"))
    flags = page.table("6. Waiting for you", 1)
    assert flags == [{"Student": "ana", "Assignment": "ps5", "Flag": "typed the id of ben"}]
