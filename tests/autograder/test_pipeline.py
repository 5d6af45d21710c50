"""The grading pipeline end to end, through the real `convgrade` command, real nbgrader
and real sandboxed kernels: a small class of ps2 submissions (honest, misconceived,
hostile, broken) is released, collected, autograded with two workers and given
feedback once; the tests below assert on what that one run left behind."""
from __future__ import annotations

import base64
import html
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"
PS2_POINTS = 17.0

pytestmark = pytest.mark.slow


# -- building submissions ---------------------------------------------------------------
def model_answers():
    """``{grade_id: source}`` of the model solutions in source/ps2."""
    nb = nbformat.read(ROOT / "source" / "ps2" / "ps2.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def student_notebook(**answers):
    """The release notebook with the model answers, then ``answers`` (grade_id=source;
    None keeps the release stub)."""
    nb = nbformat.read(ROOT / "release" / "ps2" / "ps2.ipynb", as_version=4)
    chosen = dict(model_answers(), **answers)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in chosen and chosen[gid] is not None:
            cell.source = chosen[gid]
    return nb


FLIPPED_CONV2D = '''def conv2d(image, kernel, stride=1, padding=0):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)[::-1, ::-1]   # the signal-processing flip
    padded = np.pad(image, padding)
    kh, kw = kernel.shape
    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out
'''
ANYTHING = '''class Anything:
    """Equal to everything: a classic trick against `==` in hidden tests."""
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = None

def {name}(*args, **kwargs):
    return Anything()
'''
LIBRARY_CONV1D = '''def conv1d(x, w):
    return np.convolve(np.asarray(x, float), np.asarray(w, float)[::-1], mode="valid")
'''
LIBRARY_CONV2D = '''from scipy.signal import correlate2d

def conv2d(image, kernel, stride=1, padding=0):
    padded = np.pad(np.asarray(image, dtype=float), padding)
    return correlate2d(padded, np.asarray(kernel, dtype=float), mode="valid")[::stride, ::stride]
'''
NOISY_RELU = '''import sys
import warnings

def relu(x):
    warnings.warn("relu: converting to float")       # a warning on stderr
    print("LEAK" + "MARK", repr(x)[:40], file=sys.stderr)  # echoes the (hidden) input
    print("LEAK" + "MARK", repr(x)[:40])
    return np.maximum(np.asarray(x, dtype=float), 0.0)
'''


def build_class(incoming: Path):
    """Write the class into ``incoming/STUDENT/ps2.ipynb`` (the folder layout collect reads)."""
    students = {
        "ada": student_notebook(),
        "ben": student_notebook(conv2d=FLIPPED_CONV2D, relu=None),
        "cem": student_notebook(**{g: "def %s(*args, **kwargs):\n    return None\n" % g
                                   for g in model_answers()}),
        "dia": student_notebook(**{g: ANYTHING.format(name=g) for g in model_answers()}),
        "eve": student_notebook(conv1d=LIBRARY_CONV1D, conv2d=LIBRARY_CONV2D),
        "fay": student_notebook(relu=NOISY_RELU),
    }
    bulky = student_notebook()  # ~50 MB of old outputs (a big image) around correct answers
    blob = base64.b64encode(os.urandom(37 * 1024 * 1024)).decode("ascii")
    bulky.cells[1].outputs = [nbformat.v4.new_output("display_data", data={"image/png": blob})]
    students["ivy"] = bulky
    for student, nb in students.items():
        (incoming / student).mkdir(parents=True)
        nbformat.write(nb, incoming / student / "ps2.ipynb")
    (incoming / "gus").mkdir()
    (incoming / "gus" / "ps2.ipynb").write_text('{"cells": [{"cell_type": "code", "sou', encoding="utf-8")
    (incoming / "jay").mkdir()  # another assignment's notebook under ps2's name
    shutil.copy(ROOT / "release" / "ps1" / "ps1.ipynb", incoming / "jay" / "ps2.ipynb")


def convgrade(course, *args, check=True, timeout=900, env=None):
    """Run the real `convgrade` command on ``course``; returns the CompletedProcess."""
    run_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    proc = subprocess.run([str(CONVGRADE), "--course", str(course), *args], capture_output=True, text=True,
                          timeout=timeout, env=run_env)
    if check and proc.returncode != 0:
        raise AssertionError("convgrade %s failed (%d):\n%s\n%s" % (" ".join(args), proc.returncode,
                                                                   proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def new_course(root: Path):
    (root / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    return root


def rows(course, sql, *params):
    with sqlite3.connect(course / "gradebook.db") as db:
        return db.execute(sql, params).fetchall()


# -- the class, graded once ---------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    course = new_course(base / "course")
    convgrade(course, "release", "ps2")
    build_class(base / "incoming")
    collected = convgrade(course, "collect", "ps2", "--from", str(base / "incoming"))
    # hal handed in a folder without the notebook (as an exchange submission of a renamed file)
    (course / "submitted" / "hal" / "ps2").mkdir(parents=True)
    (course / "submitted" / "hal" / "ps2" / "timestamp.txt").write_text("2024-03-01 09:00:00.000000 UTC\n")
    started = time.perf_counter()
    graded = convgrade(course, "autograde", "ps2", "--workers", "2")
    seconds = time.perf_counter() - started
    feedback = convgrade(course, "feedback", "ps2")
    return {"course": course, "collect": collected, "autograde": graded, "feedback": feedback,
            "seconds": seconds}


def statuses(course):
    return {s: (status, score, max_score) for s, status, score, max_score in
            rows(course, "SELECT student, status, score, max_score FROM convgrade_submission")}


def items(course, student):
    return {gid: (score, max_score, misconception, message) for gid, score, max_score, misconception, message in
            rows(course, "SELECT grade_id, score, max_score, misconception, message FROM convgrade_item "
                         "WHERE student = ?", student)}


def test_every_submission_gets_the_expected_status_and_score(graded_class):
    course = graded_class["course"]
    got = statuses(course)
    assert sorted(got) == ["ada", "ben", "cem", "dia", "eve", "fay", "gus", "hal", "ivy", "jay"]
    expected = {"ada": ("graded", PS2_POINTS), "fay": ("graded", PS2_POINTS), "ivy": ("graded", PS2_POINTS),
                "cem": ("graded", 0.0), "dia": ("graded", 0.0), "eve": ("graded", PS2_POINTS - 6),
                "gus": ("corrupt", 0.0), "jay": ("corrupt", 0.0), "hal": ("missing", 0.0)}
    for student, (status, score) in expected.items():
        assert got[student][0] == status, (student, got[student])
        assert got[student][1] == pytest.approx(score), (student, got[student], items(course, student))
        assert got[student][2] == PS2_POINTS
    status, score, _ = got["ben"]
    assert status == "graded" and 0 < score < PS2_POINTS - 1


def test_gradebook_rows_are_nbgraders_and_agree_with_convgrades(graded_class):
    from nbgrader.api import Gradebook

    course = graded_class["course"]
    ours = statuses(course)
    with Gradebook("sqlite:///%s" % (course / "gradebook.db")) as gb:
        for student, (_, score, _) in ours.items():
            submission = gb.find_submission("ps2", student)
            assert submission.score == pytest.approx(score), student
            assert submission.max_score == PS2_POINTS
            assert not submission.needs_manual_grade, student  # ps2 is fully autograded
        assert sorted(s.id for s in gb.students) == sorted(ours)
    # exactly one convgrade row per submission, one item row per graded cell
    assert rows(course, "SELECT COUNT(*), COUNT(DISTINCT student) FROM convgrade_submission")[0] == (10, 10)
    assert rows(course, "SELECT COUNT(*) FROM convgrade_item")[0][0] == 10 * 7


def test_partly_correct_answers_get_partial_credit_and_a_diagnosis(graded_class):
    got = items(graded_class["course"], "ben")
    score, max_score, misconception, message = got["test_conv2d"]
    assert 0 <= score < max_score == 4
    assert misconception == "flipped_kernel", message
    assert got["test_relu"][0] == 0 and "NotImplementedError" in got["test_relu"][3]
    assert got["test_conv1d"][0] == got["test_conv1d"][1] == 2  # the rest is right


def test_library_convolutions_earn_nothing_for_that_function_only(graded_class):
    got = items(graded_class["course"], "eve")
    for gid, name in (("test_conv1d", "numpy.convolve"), ("test_conv2d", "scipy.signal.correlate2d")):
        assert got[gid][0] == 0, got[gid]
        assert "library convolution" in got[gid][3] and name in got[gid][3], got[gid][3]
    assert got["test_conv_layer"][0] == got["test_conv_layer"][1] == 4


def test_broken_notebooks_say_why(graded_class):
    course = graded_class["course"]
    detail = dict(rows(course, "SELECT student, detail FROM convgrade_submission"))
    assert "not valid JSON" in detail["gus"]
    assert "does not look like this assignment's notebook" in detail["jay"]
    assert "ps2.ipynb missing" in detail["hal"]
    out = graded_class["autograde"].stdout
    # the per-student table: student, status, score/max, reason (only where not graded)
    assert re.search(r"\n  gus +corrupt +0/17  .*not valid JSON", out), out
    assert re.search(r"\n  hal +missing +0/17  ", out) and re.search(r"\n  ada +graded +17/17\n", out), out
    assert "graded 10 submission(s) of ps2" in out and "with 2 workers" in out
    assert "isolation: bubblewrap" in out


def test_collect_placed_everyone(graded_class):
    out = graded_class["collect"].stdout
    for student in ("ada", "ben", "gus", "ivy", "jay"):
        assert "%s: new submission" % student in out
    assert "9 submission(s) placed, 0 file(s) not placed" in out
    assert (graded_class["course"] / "submitted" / "ada" / "ps2" / "timestamp.txt").exists()


def test_autograded_notebooks_hold_answers_full_tests_and_feedback(graded_class):
    nb = nbformat.read(graded_class["course"] / "autograded" / "ben" / "ps2" / "ps2.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert by_id["conv2d"].source == FLIPPED_CONV2D                       # the student's answer
    assert "BEGIN HIDDEN TESTS" in by_id["test_conv2d"].source            # the teacher's full test
    text = "".join(o.get("text", "") for o in by_id["test_conv2d"].outputs)
    assert text.startswith("Score: ") and "Likely misconception" in text
    assert any("image/png" in o.get("data", {}) for o in by_id["test_conv2d"].outputs)


def test_feedback_teaches_and_hides_the_hidden_tests(graded_class):
    from autograder.language.en import MISCONCEPTIONS

    course = graded_class["course"]
    pages = {p.parts[-3]: p.read_text(encoding="utf-8") for p in (course / "feedback").glob("*/ps2/ps2.html")}
    assert sorted(pages) == ["ada", "ben", "cem", "dia", "eve", "fay", "gus", "hal", "ivy", "jay"]
    for student, page in pages.items():
        assert "BEGIN HIDDEN TESTS" not in page and "convgrade_kernel.check(" not in page, student
    assert "LEAKMARK" not in pages["fay"]  # what the student's code printed during hidden checks
    ben = html.unescape(pages["ben"])
    assert MISCONCEPTIONS["flipped_kernel"][:60] in ben
    assert "<img" in pages["ben"]  # expected vs submitted figure
    assert "library convolution" in html.unescape(pages["eve"])
    assert "not valid JSON" in html.unescape(pages["gus"])


def test_force_grades_one_student_again_and_no_one_else(graded_class):
    course = graded_class["course"]
    before = dict(rows(course, "SELECT student, graded_at FROM convgrade_submission"))
    forced = convgrade(course, "autograde", "ps2", "--student", "cem", "--force", "--no-progress")
    assert "graded 1 submission(s)" in forced.stdout
    after = dict(rows(course, "SELECT student, graded_at FROM convgrade_submission"))
    assert {s for s in after if after[s] != before[s]} == {"cem"}
    assert rows(course, "SELECT COUNT(*) FROM convgrade_item WHERE student = 'cem'")[0][0] == 7


# -- a killed run, resumed --------------------------------------------------------------------
def test_a_killed_run_resumes_and_counts_every_submission_once(tmp_path):
    course = new_course(tmp_path / "course")
    convgrade(course, "release", "ps2")
    incoming = tmp_path / "incoming"
    for student in ("s1", "s2"):
        (incoming / student).mkdir(parents=True)
        nbformat.write(student_notebook(), incoming / student / "ps2.ipynb")
    convgrade(course, "collect", "ps2", "--from", str(incoming))
    proc = subprocess.Popen([str(CONVGRADE), "--course", str(course), "autograde", "ps2", "--workers", "1",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    first = []
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if (course / "gradebook.db").exists():
                try:
                    first = rows(course, "SELECT student, graded_at FROM convgrade_submission")
                except sqlite3.OperationalError:
                    first = []
            if first:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before it could be killed:\n%s" % proc.stderr.read()[-2000:]
        os.kill(proc.pid, signal.SIGKILL)  # the coordinator, mid-run
    finally:
        proc.wait(30)
    # its workers (same process group) notice and exit on their own, kernels with them
    deadline = time.time() + 120
    while time.time() < deadline and subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True).stdout:
        time.sleep(0.5)
    left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert not left, "processes of the killed run are still alive: %s" % left
    assert len(first) == 1
    resumed = convgrade(course, "autograde", "ps2", "--workers", "1", "--no-progress")
    done = rows(course, "SELECT student, graded_at, status, score FROM convgrade_submission ORDER BY student")
    assert [r[0] for r in done] == ["s1", "s2"]
    assert all(r[2] == "graded" and r[3] == PS2_POINTS for r in done), done
    kept = dict((s, t) for s, t, _, _ in done)
    for student, graded_at in first:  # graded before the kill: not graded again
        assert kept[student] == graded_at
    skipped = int(re.search(r"skipped (\d+) submission", resumed.stdout).group(1))
    regraded = int(re.search(r"graded (\d+) submission\(s\) of ps2", resumed.stdout).group(1))
    assert (skipped, regraded) == (1, 1), resumed.stdout
    nbgrader_rows = rows(course, "SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id")
    assert sorted(nbgrader_rows) == [("s1", 1), ("s2", 1)]
    assert rows(course, "SELECT COUNT(*) FROM convgrade_item")[0][0] == 2 * 7
    leftovers = subprocess.run(["pgrep", "-f", "convgrade-worker|%s" % course], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "processes outlived the killed run: %s" % leftovers.stdout


# -- a notebook that hangs or kills its kernel -------------------------------------------------
@pytest.mark.parametrize("relu, status, detail", [
    ("def relu(x):\n    while True:\n        pass\n", "timeout", "ran past the 3s limit per cell"),
    ("import os\n\ndef relu(x):\n    os._exit(0)\n", "crashed", ""),
])
def test_a_hanging_or_dying_kernel_keeps_the_marks_earned_before_it(tmp_path, relu, status, detail):
    from autograder.course import Course
    from autograder.pipeline.execute import Limits
    from autograder.pipeline.grade import grade_submission

    root = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / "ps2", root / part / "ps2")
    (root / "submitted" / "kim" / "ps2").mkdir(parents=True)
    nbformat.write(student_notebook(relu=relu), root / "submitted" / "kim" / "ps2" / "ps2.ipynb")
    result = grade_submission(Course(root), "ps2", "kim", limits=Limits(cell_timeout=3, notebook_timeout=120))
    assert result.status == status, result.detail
    assert detail in result.detail
    scores = {i.grade_id: i.score for i in result.items}
    # output_size, conv1d and conv2d are checked before relu; the rest is never reached
    assert scores == {"test_output_size": 2, "test_conv1d": 2, "test_conv2d": 4, "test_relu": 0,
                      "test_max_pool2d": 0, "test_avg_pool2d": 0, "test_conv_layer": 0}, result.detail
    relu_item = next(i for i in result.items if i.grade_id == "test_relu")
    assert "never reached" in relu_item.message


FORGER = '''import json, os
import convgrade_kernel

def _model(name):  # the model solutions, hidden under another name
    space = {"np": np}
    exec(MODEL[name], space)
    return space[name]

def _forge(check, name):
    plan = json.load(open(os.environ["CONVGRADE_PLAN"]))
    with open(os.environ["CONVGRADE_RESULTS"], "a") as fh:
        for i, case in enumerate(plan["checks"][check]["cases"]):
            args = [convgrade_kernel.decode(a) for a in case.get("args", [])]
            kwargs = {k: convgrade_kernel.decode(v) for k, v in case.get("kwargs", {}).items()}
            value = _model(name)(*args, **kwargs)
            fh.write(json.dumps({"check": check, "case": i, "ok": True, "library_calls": [],
                                 "value": convgrade_kernel.encode(value)}) + "\\n")

_forge("ps2.conv2d", "conv2d")          # after conv2d's check ran: a second record per case
_forge("ps2.conv_layer", "conv_layer")  # before conv_layer's check runs (it never will)

def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)
'''


def test_records_forged_by_student_code_earn_nothing(tmp_path):
    from autograder.course import Course
    from autograder.pipeline.grade import grade_submission

    root = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / "ps2", root / part / "ps2")
    (root / "submitted" / "mo" / "ps2").mkdir(parents=True)
    answers = model_answers()
    helpers = "MODEL = %r\n" % {"output_size": answers["output_size"], "conv2d": answers["conv2d"] + "\n" +
                                answers["output_size"], "conv_layer": answers["conv_layer"] + "\n" +
                                answers["output_size"]}
    zeros = "def {0}(*args, **kwargs):\n    return np.zeros((2, 2))\n"
    nb = student_notebook(conv2d=zeros.format("conv2d"), conv_layer=zeros.format("conv_layer"),
                          relu=helpers + FORGER, max_pool2d="import os\nos._exit(0)\n")
    nbformat.write(nb, root / "submitted" / "mo" / "ps2" / "ps2.ipynb")
    result = grade_submission(Course(root), "ps2", "mo")
    scores = {i.grade_id: (i.score, i.message) for i in result.items}
    assert result.status == "crashed", result.detail
    # records written outside a check's own cell are never scored: conv2d is judged on what
    # the student's conv2d returned (zeros), conv_layer's check never ran
    assert "check result(s) written outside their check's own cell were ignored" in result.detail
    assert scores["test_conv2d"][0] == 0 and "0 of 8 cases right" in scores["test_conv2d"][1]
    assert scores["test_conv_layer"][0] == 0 and "never reached" in scores["test_conv_layer"][1]
    assert scores["test_relu"][0] == 1 and scores["test_conv1d"][0] == 2  # honest work still counts
