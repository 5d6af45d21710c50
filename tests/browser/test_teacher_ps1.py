"""A teacher finishes grading ps1: after `convgrade autograde`, marks a written explanation
in nbgrader's formgrader, and `convgrade export` includes the mark."""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autograder.course import Course
from autograder.demo import simulate
from autograder.publish import export
from lab_ui import ROOT, running_lab, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

CONVGRADE = Path(sys.executable).parent / "convgrade"
STUDENT = "s19"  # simulate's student whose ps1 is right but for max pooling, explanations written
EXPLANATION, POINTS = "effect_of_filters", 1.5
#: The other written answer of ps1: marked too, as a grade is exported only once every answer is marked.
OTHER_WRITTEN, OTHER_POINTS = "pooling_effect", 0.5


def convgrade(root, *args, timeout=300):
    env = dict(os.environ, PATH=os.pathsep.join([str(CONVGRADE.parent), os.environ.get("PATH", "")]))
    proc = subprocess.run([str(CONVGRADE), "--course", str(root), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"convgrade {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def graded_course(tmp_path):
    """A course with ps1 released, one student's submission, graded by `convgrade autograde`."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / "ps1", root / "source" / "ps1")
    convgrade(root, "release", "ps1")
    persona = next(p for p in simulate.roster() if p.id == STUDENT)
    simulate.write_handins(Course(root), [persona], root / "submitted", assignments=("ps1",))
    out = convgrade(root, "autograde", "ps1", "--no-progress")
    assert "graded 1 submission(s) of ps1" in out, out
    return root


def test_teacher_marks_an_explanation_in_formgrader_and_export_has_it(page, graded_course, lab_environment,
                                                                      tmp_path):
    items = export.read_items(graded_course)
    waiting = items[(items.student_id == STUDENT) & (items.grade_id == EXPLANATION)].iloc[0]
    assert bool(waiting.needs_manual_grade) and waiting.score != waiting.score  # unmarked: no score (NaN), not 0
    before = export.read_grades(graded_course).set_index("student_id").loc[STUDENT]
    assert before["state"] == "manual marking pending", "no grade is exported until the answer is marked"
    autograded = items[items.student_id == STUDENT]["score"].sum()
    assert autograded > 0, "the autograder gave the student's correct answers no points"

    with running_lab(graded_course, student=False) as lab:
        page.goto(f"{lab.base_url}/formgrader?token={lab.token}")
        page.get_by_role("link", name="Manual Grading").click()
        page.get_by_role("link", name="ps1", exact=True).click()  # the assignment
        page.get_by_role("link", name="ps1", exact=True).click()  # its notebook
        page.get_by_role("link", name="Submission #1").click()
        for cell, points in ((OTHER_WRITTEN, OTHER_POINTS), (EXPLANATION, POINTS)):
            score = page.locator(f"input.score#{cell}")
            expect(score).to_have_class(re.compile(r"\bneeds_manual_grade\b"))  # once formgrader has loaded them
            score.fill(str(points))
            with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                      and r.request.method == "PUT") as saved:
                score.press("Tab")  # formgrader saves a score when the box loses focus
            assert saved.value.ok, saved.value.status
        score.evaluate("el => el.scrollIntoView({block: 'center'})")
        save_screenshot(page, "ps1_formgrader.png")

    grades = tmp_path / "grades.csv"
    convgrade(graded_course, "export", "-o", grades)
    (row,) = [r for r in rows(grades) if r["student_id"] == STUDENT and r["assignment"] == "ps1"]
    assert row["state"] == "graded" and float(row["score"]) == pytest.approx(autograded + POINTS + OTHER_POINTS)
    per_item = tmp_path / "items.csv"
    convgrade(graded_course, "export", "--format", "items", "-o", per_item)
    (item,) = [r for r in rows(per_item) if r["student_id"] == STUDENT and r["grade_id"] == EXPLANATION]
    assert float(item["score"]) == POINTS and item["needs_manual_grade"] == "False"
