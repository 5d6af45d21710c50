"""A small gradebook with known contents, for the export and report tests.

It is written the way grading writes one: nbgrader's tables through
``nbgrader.api.Gradebook`` (an assignment's notebooks and graded cells, as
``generate_assignment`` records them) and each result through
``autograder.pipeline.record.Store.write``; then a teacher's manual grade through nbgrader's
API, as formgrader saves it. Every number below is chosen by hand, so the tests can
state what each export row must hold without computing it the way the code does.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from autograder.course import Course
from autograder.pipeline.record import Store, ensure_schema
from autograder.records import ItemResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[2]

#: {assignment: {notebook: [(grade_id, points, "code" | "markdown")]}}
CELLS = {
    "ps1": {"ps1": [("test_bump", 1.0, "code"), ("test_sizes", 2.0, "code"),
                    ("effect_of_filters", 2.0, "markdown")]},
    "ps2": {"ps2": [("test_conv2d", 4.0, "code"), ("test_relu", 1.0, "code")]},
}
MAX = {"ps1": 5.0, "ps2": 5.0}
HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_MESSAGE = "conv2d raised ValueError: <img src=x onerror=alert('msg')>"

#: {student: (first, last, email)}
STUDENTS = {
    "ana": ("Ana", "Alves", "ana@school.example"),
    "ben": ("Ben", "Bos", ""),
    "cy": ("Cy", "Coen", "cy@school.example"),      # hands in nothing
    "dan": (HOSTILE_NAME, "Dekker", "dan@school.example"),
}

#: What each submission's result holds: {(student, assignment): (status, {grade_id: (score,
#: misconception, message)})}; manual cells are None (waiting for the teacher).
RESULTS = {
    ("ana", "ps1"): ("graded", {"test_bump": (1.0, None, ""), "test_sizes": (2.0, None, ""),
                                "effect_of_filters": (None, None, "Graded by your teacher.")}),
    ("ana", "ps2"): ("graded", {"test_conv2d": (4.0, None, ""), "test_relu": (1.0, None, "")}),
    ("ben", "ps1"): ("graded", {"test_bump": (0.0, "flipped_kernel", "bump: flipped"),
                                "test_sizes": (1.0, "off_by_one", "sizes: off by one"),
                                "effect_of_filters": (0.0, None, "No answer given.")}),
    ("ben", "ps2"): ("graded", {"test_conv2d": (2.0, "flipped_kernel", "conv2d: flipped"),
                                "test_relu": (0.0, "relu_forgotten", "relu: forgotten")}),
    ("dan", "ps1"): ("timeout", {"test_bump": (0.0, None, "never reached"),
                                 "test_sizes": (0.0, None, "never reached"),
                                 "effect_of_filters": (0.0, None, "never reached")}),
    ("dan", "ps2"): ("graded", {"test_conv2d": (1.0, "flipped_kernel", HOSTILE_MESSAGE),
                                "test_relu": (1.0, None, "")}),
}
#: The teacher's marks in formgrader: {(student, assignment, grade_id): manual score}.
MANUAL = {("ana", "ps1", "effect_of_filters"): 1.5,
          ("ben", "ps2", "test_conv2d"): 3.0}  # an override of an autograded cell

#: The scores every export must show, worked out by hand from the tables above.
EXPECTED_SCORES = {("ana", "ps1"): 4.5, ("ana", "ps2"): 5.0, ("ben", "ps1"): 1.0, ("ben", "ps2"): 3.0,
                   ("cy", "ps1"): 0.0, ("cy", "ps2"): 0.0, ("dan", "ps1"): 0.0, ("dan", "ps2"): 2.0}
EXPECTED_STATUS = {("ana", "ps1"): "graded", ("ana", "ps2"): "graded", ("ben", "ps1"): "graded",
                   ("ben", "ps2"): "graded", ("cy", "ps1"): "missing", ("cy", "ps2"): "missing",
                   ("dan", "ps1"): "timeout", ("dan", "ps2"): "graded"}


_BUILT = []  # the gradebook of the first course built in this process, as built: later ones copy it


def make_course(root: Path) -> Course:
    """Build the course and gradebook described above in ``root``.

    Creating a gradebook makes nbgrader run ``alembic`` in a subprocess (seconds on a
    busy machine), so the gradebook is built once per test process and copied after.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "source").mkdir(exist_ok=True)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", root / "nbgrader_config.py")
    course = Course(root)
    if _BUILT:
        shutil.copy(_BUILT[0], course.sqlite_path)
        return course
    _fill(course)
    # a pristine copy of its own: a caller may change this course's gradebook (statebook does)
    folder = tempfile.mkdtemp(prefix="classbook-")
    atexit.register(shutil.rmtree, folder, True)
    pristine = Path(folder) / "gradebook.db"
    shutil.copy(course.sqlite_path, pristine)
    _BUILT.append(pristine)
    return course


def _fill(course):
    from nbgrader.api import Gradebook

    ensure_schema(course.db_url)
    with Gradebook(course.db_url) as gb:
        for assignment, notebooks in CELLS.items():
            gb.add_assignment(assignment)
            for notebook, cells in notebooks.items():
                gb.add_notebook(notebook, assignment)
                for grade_id, points, cell_type in cells:
                    gb.add_grade_cell(grade_id, notebook, assignment, max_score=points, cell_type=cell_type)
                    if cell_type == "markdown":
                        gb.add_solution_cell(grade_id, notebook, assignment)
        for student, (first, last, email) in STUDENTS.items():
            gb.add_student(student, first_name=first, last_name=last, email=email or None)
    with Store(course) as store:
        for (student, assignment), (status, items) in RESULTS.items():
            notebook = next(iter(CELLS[assignment]))
            points = {g: p for g, p, _ in CELLS[assignment][notebook]}
            results = [ItemResult(notebook, gid, ["%s.%s" % (assignment, gid[5:])] if gid.startswith("test_")
                                  else [], score, points[gid],
                                  None if score is None else score / points[gid], misconception, message,
                                  "manual" if not gid.startswith("test_") else "autograded")
                       for gid, (score, misconception, message) in items.items()]
            store.write(SubmissionResult(student=student, assignment=assignment, status=status,
                                         score=sum(i.score or 0.0 for i in results), max_score=MAX[assignment],
                                         items=results, timestamp="2024-03-01 10:00:00 UTC"))
    with Gradebook(course.db_url) as gb:
        for (student, assignment, grade_id), score in MANUAL.items():
            grade = gb.find_grade(grade_id, next(iter(CELLS[assignment])), assignment, student)
            grade.manual_score = score
            grade.needs_manual_grade = False
        gb.db.commit()
