"""The new assignments through the real nbgrader CLI: ps2_nl, ps3_nl, ps5, ps5_nl, quiz, quiz_nl.

One throw-away course holds exactly these six; the source ("model") and the committed
untouched release ("untouched") are handed in for each, then one ``nbgrader generate_assignment
"*"`` and one ``nbgrader autograde "*"`` grade all twelve hand-ins in real kernels. The model
earns every autograded point, the untouched release none. No ``MY_ID`` is set for the model:
each source keeps ``MY_ID = "demo-student"`` and its solution cells compute the answers from
whatever variant (ps5, ps5_nl) or drawn questions (quiz, quiz_nl) that id gets, so the model is
right for the id nbgrader's kernel resolves, whichever it is.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.assignments.conftest import grade_model_and_untouched

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ("ps2_nl", "ps3_nl", "ps5", "ps5_nl", "quiz", "quiz_nl")
STUDENTS = ("model", "untouched")


def _notebook(folder, assignment):
    return ROOT / folder / assignment / ("%s.ipynb" % assignment)


def _points(assignment):
    """({autograded test cell: points}, {teacher-graded answer cell: points}) of the source."""
    autograded, manual = {}, {}
    for cell in nbformat.read(_notebook("source", assignment), as_version=4).cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("grade"):
            (manual if nbg.get("solution") else autograded)[nbg["grade_id"]] = float(nbg["points"])
    return autograded, manual


@pytest.fixture(scope="module")
def graded(nbgrader_course_module):
    """{(assignment, student): {autograded grade_id: score}} and nbgrader's log, from one
    ``generate_assignment`` and one ``autograde`` over all six assignments."""
    course = nbgrader_course_module
    # the course holds exactly these six: one nbgrader run each over all of them
    proc = grade_model_and_untouched(course, ASSIGNMENTS)
    scores = {}
    for assignment in ASSIGNMENTS:
        autograded, manual = _points(assignment)
        for student in STUDENTS:
            grades = course.scores(assignment, student)
            # nbgrader's gradebook knows the same cells and points as the source says
            assert {k: v[1] for k, v in grades.items()} == {**autograded, **manual}, (assignment, student)
            scores[assignment, student] = {k: v[0] for k, v in grades.items() if k in autograded}
    return scores, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("student", STUDENTS)
def test_the_model_earns_every_autograded_point_and_the_untouched_release_none(graded, assignment, student):
    """Through ``nbgrader autograde``: "model" (the source) earns each test cell's points,
    "untouched" (the committed release) earns 0 in each."""
    scores, log = graded
    autograded, _ = _points(assignment)
    assert autograded, "%s has no autograded cell" % assignment
    expected = autograded if student == "model" else dict.fromkeys(autograded, 0.0)
    assert scores[assignment, student] == expected, log[-4000:]
