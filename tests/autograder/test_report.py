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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classbook  # noqa: E402

SECTIONS = ["1. At a glance", "2. Score distribution per assignment", "3. Which items the class finds hardest",
            "4. Most frequent misconceptions", "5. Students at risk", "6. All students"]


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
    names = [row["Name"] for row in page.table("6. All students")]
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
    assert "ps1: nothing handed in" in at_risk["cy"] and "ps2: nothing handed in" in at_risk["cy"]
    assert "ps1: ran out of time" in at_risk["dan"]


def test_status_counts_per_assignment(page):
    glance = {row["Assignment"]: row for row in page.table("1. At a glance")}
    assert glance["ps1"]["Graded"] == "2" and glance["ps1"]["Ran out of time"] == "1"
    assert glance["ps1"]["Nothing handed in"] == "1" and glance["ps2"]["Graded"] == "3"
    assert glance["ps2"]["Mean"] == "50%"  # (5 + 3 + 0 + 2) / 4 of 5 points


def test_hardest_items_first_counting_only_judged_answers(course, page):
    rows = page.table("3. Which items the class finds hardest")
    means = [float(row["Mean"].rstrip("%")) for row in rows]
    assert means == sorted(means)
    by_item = {(row["Assignment"], row["Item"]): row for row in rows}
    # ps1/test_bump: ana 1, ben 0 (dan's timed-out notebook is not an answer) -> 50%
    assert by_item[("ps1", "test_bump")]["Mean"] == "50%" and by_item[("ps1", "test_bump")]["Submissions"] == "2"


def test_all_students_table_shows_each_score(page):
    rows = {row["Student"]: row for row in page.table("6. All students")}
    assert set(rows) == set(classbook.STUDENTS)
    for (student, assignment), score in classbook.EXPECTED_SCORES.items():
        assert rows[student][assignment].startswith("%g / 5" % score)
    assert rows["cy"]["ps1"] == "0 / 5 (nothing handed in)"


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
