"""The pipeline's parts without kernels: rebuilding a submission from the teacher's
notebook, reading broken notebooks, the library scan, the one-transaction store, and
collection from folders, LMS zips and nbgrader's exchange. Fast: no kernel starts."""
from __future__ import annotations

import base64
import json
import multiprocessing
import shutil
import sqlite3
import tracemalloc
import zipfile
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from autograder.classroom.release import release_assignment
from autograder.course import Course
from autograder.errors import CorruptNotebook, GradebookBusy, GradebookError, UnknownAssignment
from autograder.intake.collect import collect
from autograder.judging.library_use import scan_answers
from autograder.pipeline import rebuild
from autograder.pipeline.grade import failed_result
from autograder.pipeline.record import Store, course_lock, read_table

ROOT = Path(__file__).resolve().parents[2]


def ps2_source():
    return nbformat.read(ROOT / "source" / "ps2" / "ps2.ipynb", as_version=4)


def ps2_release():
    return nbformat.read(ROOT / "release" / "ps2" / "ps2.ipynb", as_version=4)


def cell_of(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def reread(nb, tmp_path, name="sub.ipynb"):
    path = tmp_path / name
    nbformat.write(nb, path)
    return rebuild.read_submitted(path)


# -- rebuilding ----------------------------------------------------------------------------
def test_only_answer_cells_come_from_the_student(tmp_path):
    student = ps2_release()
    cell_of(student, "conv2d").source = "def conv2d(image, kernel, stride=1, padding=0):\n    return 'mine'\n"
    cell_of(student, "imports").source = "import numpy as np\nnp.sum = lambda *a, **k: 42"   # locked cell
    cell_of(student, "test_conv2d").source = "pass  # no tests here"                           # test cell
    relu = cell_of(student, "relu")
    relu.cell_type, relu.source = "markdown", "def relu(x):\n    return x"                     # made markdown
    relu.pop("outputs", None)
    relu.pop("execution_count", None)
    copy = nbformat.from_dict(json.loads(json.dumps(cell_of(student, "conv2d"))))
    copy.source, copy.id = "def conv2d(*a):\n    return 'second copy'\n", "dup"
    student.cells.append(copy)                                                                 # duplicated id
    merged, report = rebuild.merge_answers(ps2_source(), reread(student, tmp_path), ps2_release())
    source = ps2_source()
    assert cell_of(merged, "conv2d").source.endswith("return 'mine'\n")
    assert cell_of(merged, "imports").source == cell_of(source, "imports").source
    assert cell_of(merged, "test_conv2d").source == cell_of(source, "test_conv2d").source
    assert cell_of(merged, "relu").cell_type == "code" and "return x" in cell_of(merged, "relu").source
    assert len(merged.cells) == len(source.cells)
    assert report.missing == [] and "conv2d" in report.by_grade_id
    # metadata comes from the release (its checksums), not from the student
    assert cell_of(merged, "conv2d").metadata["nbgrader"] == cell_of(ps2_release(), "conv2d").metadata["nbgrader"]


def test_stripped_metadata_falls_back_to_the_cell_id_and_missing_cells_to_the_stub(tmp_path):
    student = ps2_release()
    conv1d = cell_of(student, "conv1d")
    conv1d.metadata = {}
    conv1d.source = "def conv1d(x, w):\n    return 'by id'\n"
    student.cells = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "relu"]
    merged, report = rebuild.merge_answers(ps2_source(), reread(student, tmp_path), ps2_release())
    assert report.by_cell_id == ["conv1d"] and "'by id'" in cell_of(merged, "conv1d").source
    assert report.missing == ["relu"]
    assert cell_of(merged, "relu").source == cell_of(ps2_release(), "relu").source


def test_another_assignments_notebook_is_corrupt(tmp_path):
    ps1 = nbformat.read(ROOT / "release" / "ps1" / "ps1.ipynb", as_version=4)
    with pytest.raises(CorruptNotebook, match="does not look like this assignment's notebook"):
        rebuild.merge_answers(ps2_source(), reread(ps1, tmp_path), ps2_release(), notebook="ps2.ipynb")


def test_executed_test_cells_keep_only_their_checks():
    merged, _ = rebuild.merge_answers(ps2_source(), ps2_release(), ps2_release())
    executable, test_cells = rebuild.execution_notebook(merged)
    assert sorted(i for ids in test_cells.values() for i in ids) == sorted(
        "ps2." + f for f in ("output_size", "conv1d", "conv2d", "relu", "max_pool2d", "avg_pool2d", "conv_layer"))
    for index in test_cells:
        lines = executable.cells[index].source.splitlines()
        assert lines[0] == "import convgrade_kernel" and len(lines) == 2, lines
        assert lines[1].startswith("convgrade_kernel.check(")
    assert executable.metadata.kernelspec.name == "convgrade-student"
    assert all("HIDDEN" not in c.source for c in executable.cells)


def test_reducing_a_cell_that_python_cannot_parse_keeps_the_check_lines():
    source = "%matplotlib inline\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\nconvgrade_kernel.check('ps9.f', globals())\n"
    reduced, ids = rebuild.reduce_test_cell(source)
    assert ids == ["ps9.f"] and reduced == "convgrade_kernel.check('ps9.f', globals())"


@pytest.mark.parametrize("content, message", [
    (b'{"cells": [', "not valid JSON"),
    (json.dumps({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1"}]}],
                 "metadata": {}}).encode(), r"old notebook \(nbformat 3\) that could not be converted"),
    (json.dumps({"nbformat": 1, "worksheets": []}).encode(), r"old notebook \(nbformat 1\)"),
    ('{"nbformat": 4, "cells": []}'.encode("utf-16"), "not UTF-8"),
    (b"[1, 2, 3]", "not a notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not an nbformat 4 notebook"),
])
def test_unreadable_notebooks_are_corrupt_with_the_reason(tmp_path, content, message):
    path = tmp_path / "ps2.ipynb"
    path.write_bytes(content)
    with pytest.raises(CorruptNotebook, match=message):
        rebuild.read_submitted(path)


def test_an_nbformat_3_notebook_is_read_with_every_answer_as_stock_nbgrader_does(tmp_path):
    import copy

    nb = ps2_release()
    answered = {c.metadata["nbgrader"]["grade_id"]: c.source + "\n# typed in Jupyter 3"
                for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        cell.source = answered.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    path = tmp_path / "ps2.ipynb"
    path.write_text(nbformat.writes(nbformat.convert(copy.deepcopy(nb), 3)), encoding="utf-8")
    assert '"worksheets"' in path.read_text(encoding="utf-8")
    read = rebuild.read_submitted(path)
    assert [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in read.cells] == \
        [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


def test_a_50_mb_notebook_is_read_without_its_outputs_in_bounded_memory(tmp_path):
    nb = ps2_release()
    blob = base64.b64encode(b"\x89PNG" + bytes(range(256)) * (150 * 1024)).decode("ascii")  # ~51 MB of text
    cell_of(nb, "conv1d").outputs = [nbformat.v4.new_output("display_data", data={"image/png": blob})]
    path = tmp_path / "ps2.ipynb"
    nbformat.write(nb, path)
    size = path.stat().st_size
    assert size > 50 * 2 ** 20
    del nb, blob
    tracemalloc.start()
    try:
        read = rebuild.read_submitted(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert all(not c.get("outputs") for c in read.cells)
    assert peak < 3 * size, "reading a %d MB notebook peaked at %d MB" % (size >> 20, peak >> 20)
    with pytest.raises(CorruptNotebook, match="more than the 10 MB"):
        rebuild.read_submitted(path, max_bytes=10 * 2 ** 20)


# -- the library scan ------------------------------------------------------------------------
def test_library_scan_follows_aliases_helpers_and_cells():
    cells = [
        ("imports", "import numpy as np\nfrom scipy.signal import correlate2d as c2\nimport torch\n%matplotlib inline"),
        ("conv2d", "def _slide(a, b):\n    return c2(a, b, mode='valid')\n\n"
                   "def conv2d(image, kernel, stride=1, padding=0):\n    return _slide(image, kernel)\n"),
        ("conv1d", "def conv1d(x, w):\n    f = getattr(np, 'convolve')\n    return f(x, w[::-1], 'valid')\n"),
        ("relu", "def relu(x):\n    return np.maximum(x, 0)\n"),
        ("pool", "def max_pool2d(x, size=2, stride=2):\n    from scipy import ndimage as nd\n"
                 "    return nd.correlate(x, np.ones((size, size)))[::stride, ::stride]\n"),
        ("layer", "conv_layer = __import__('torch').nn.functional.conv2d\n"),
        ("own", "def output_size(np, k, padding=0, stride=1):\n    return np.convolve  # a parameter named np\n"),
    ]
    scan = scan_answers(cells)
    names = lambda fs: sorted(f.name for f in fs)  # noqa: E731
    assert names(scan.reachable(["conv2d"])) == ["scipy.signal.correlate2d"]   # through the helper
    assert names(scan.reachable(["conv1d"])) == ["numpy.convolve"]
    assert names(scan.reachable(["max_pool2d"])) == ["scipy.ndimage.correlate"]
    assert names(scan.reachable(["conv_layer"])) == ["torch.nn.functional.conv2d"]
    assert scan.reachable(["relu"]) == [] and scan.reachable(["output_size"]) == []
    finding = scan.reachable(["conv2d"])[0]
    assert (finding.grade_id, finding.line, finding.function) == ("conv2d", 2, "_slide")
    assert "unused" not in {f.name for f in scan.findings} and not any(f.name == "torch" for f in scan.findings)


# -- the store -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def released_template(tmp_path_factory):
    """A course with ps2 released into its gradebook (nbgrader's converter, in process)."""
    root = tmp_path_factory.mktemp("template") / "course"
    (root / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / "ps2", root / "source" / "ps2")
    release_assignment(Course(root), "ps2")
    return root


@pytest.fixture
def released(released_template, tmp_path):
    """A fresh copy of the released course for one test."""
    shutil.copytree(released_template, tmp_path / "course")
    return Course(tmp_path / "course")


def fake_result(course, student, score_each=1.0, timestamp=None):
    """A graded SubmissionResult without a kernel: every item scores ``score_each``."""
    result = failed_result(course, "ps2", student, "graded", "")
    items = [replace(item, score=score_each, fraction=score_each / item.max_score) for item in result.items]
    return replace(result, items=items, score=sum(i.score for i in items), timestamp=timestamp)


def test_a_failed_write_leaves_nothing_behind(released):
    result = fake_result(released, "zoe")
    result = replace(result, items=[replace(item, grade_id="no_such_cell") if index == 3 else item
                                    for index, item in enumerate(result.items)])
    with Store(released) as store:
        with pytest.raises(GradebookError, match="no cell no_such_cell"):
            store.write(result)
    with sqlite3.connect(released.root / "gradebook.db") as db:
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM student WHERE id = 'zoe'").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM convgrade_submission").fetchone() == (0,)


def test_the_write_sets_nbgraders_grades_and_late_penalty(released):
    (released.root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n", encoding="utf-8")
    from nbgrader.api import Gradebook

    with Gradebook(released.db_url) as gb:
        gb.update_or_create_assignment("ps2", duedate="2024-03-01 12:00:00 UTC")
    with Store(released) as store:
        store.write(fake_result(released, "late", timestamp="2024-03-02 12:00:00.000000 UTC"))
        store.write(fake_result(released, "early", timestamp="2024-02-28 12:00:00.000000 UTC"))
    with Gradebook(released.db_url) as gb:
        late, early = gb.find_submission("ps2", "late"), gb.find_submission("ps2", "early")
        assert late.score == early.score == 7.0
        assert late.late_submission_penalty == 7.0 and not early.late_submission_penalty
        grade = gb.find_grade("test_conv2d", "ps2", "ps2", "late")
        assert grade.auto_score == 1.0 and not grade.needs_manual_grade
    table = read_table(released.db_url, "submission").set_index("student")
    assert table.loc["late", "late_penalty"] == 7.0 and table.loc["late", "status"] == "graded"
    assert len(read_table(released.db_url, "item")) == 14


def test_a_locked_gradebook_is_one_clear_error_then_works(released):
    with Store(released) as store:
        store.check_writable()
    other = sqlite3.connect(released.root / "gradebook.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(GradebookError, match="is locked by another program"):
            with Store(released, busy_timeout=0.3) as store:
                store.write(fake_result(released, "amy"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Store(released) as store:
        store.write(fake_result(released, "amy"))
        assert store.recorded("ps2") == {"amy": fake_result(released, "amy").submission_hash}


def _write_many(root, prefix, count):
    course = Course(root)
    with Store(course) as store:
        for i in range(count):
            store.write(fake_result(course, "%s%02d" % (prefix, i)))


def test_two_processes_writing_at_once_corrupt_nothing(released):
    context = multiprocessing.get_context("fork")  # quick; the writers open their own connections
    writers = [context.Process(target=_write_many, args=(released.root, p, 6)) for p in ("a", "b")]  # 6 writes each, interleaved
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    with sqlite3.connect(released.root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM convgrade_submission").fetchone() == (12,)
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (12,)
        assert db.execute("SELECT COUNT(*) FROM convgrade_item").fetchone() == (12 * 7,)


def test_the_course_lock_names_its_holder(released):
    with course_lock(released):
        with pytest.raises(GradebookBusy, match="pid %d" % __import__("os").getpid()):
            with course_lock(released):
                pass
    with course_lock(released):  # released again
        pass


def test_read_table_of_a_fresh_database_is_empty_with_columns(tmp_path):
    url = "sqlite:///%s" % (tmp_path / "empty.db")
    sqlite3.connect(tmp_path / "empty.db").close()
    frame = read_table(url, "item")
    assert frame.empty and {"assignment", "student", "grade_id", "misconception"} <= set(frame.columns)


# -- collect ------------------------------------------------------------------------------------
def notebook_bytes(marker):
    nb = ps2_release()
    cell_of(nb, "relu").source = "def relu(x):\n    return %r\n" % marker
    return nbformat.writes(nb).encode("utf-8")


def placed_marker(course, student):
    nb = nbformat.read(course.submission_dir(student, "ps2") / "ps2.ipynb", as_version=4)
    return cell_of(nb, "relu").source.split("return ")[1].strip()


def test_collect_from_a_folder_reports_what_it_cannot_place(released, tmp_path):
    incoming = tmp_path / "in"
    (incoming / "amy" / "ps2").mkdir(parents=True)
    (incoming / "amy" / "ps2" / "ps2.ipynb").write_bytes(notebook_bytes("amy"))
    (incoming / "amy" / "ps2" / "timestamp.txt").write_text("2024-01-02 03:04:05.000000 UTC")
    (incoming / "bob").mkdir()
    (incoming / "bob" / "ps2 (1).ipynb").write_bytes(notebook_bytes("bob"))
    (incoming / "bob" / "notes.txt").write_text("hi")
    (incoming / "cas").mkdir()
    (incoming / "cas" / "ps3.ipynb").write_bytes(notebook_bytes("cas"))
    (incoming / "stray.ipynb").write_bytes(notebook_bytes("stray"))
    report = collect(released, "ps2", incoming)
    assert sorted(c.student for c in report.students) == ["amy", "bob"]
    assert placed_marker(released, "amy") == "'amy'" and placed_marker(released, "bob") == "'bob'"
    assert (released.submission_dir("amy", "ps2") / "timestamp.txt").read_text().startswith("2024-01-02 03:04:05")
    reasons = {Path(p).name: r for p, r in report.unplaced}
    assert set(reasons) == {"notes.txt", "ps3.ipynb", "stray.ipynb"}
    assert "expected ps2.ipynb" in reasons["ps3.ipynb"] and "STUDENT folder" in reasons["stray.ipynb"]
    assert any("ps2 (1).ipynb taken as ps2.ipynb" in line for line in report.placed)


def test_collect_from_canvas_and_moodle_zips(released, tmp_path):
    canvas = tmp_path / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as z:
        z.writestr("smith_jane_12345_67890_ps2.ipynb", notebook_bytes("jane"))
        z.writestr("doe_john_LATE_22222_33300_ps2.ipynb", notebook_bytes("john-old"))
        z.writestr("doe_john_LATE_22222_33333_ps2-1.ipynb", notebook_bytes("john-new"))
        z.writestr("smith_jane_12345_67891_report.pdf", b"%PDF")
        z.writestr("readme.txt", b"?")
    report = collect(released, "ps2", canvas)
    assert placed_marker(released, "smith_jane") == "'jane'"
    assert placed_marker(released, "doe_john") == "'john-new'"
    assert any("doe_john" in line and "LATE" in line for line in report.placed)
    unplaced = " | ".join("%s: %s" % pair for pair in report.unplaced)
    assert "report.pdf" in unplaced and "readme.txt" in unplaced and "33300_ps2.ipynb: an older copy" in unplaced

    moodle = tmp_path / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as z:
        z.writestr("Ana de Vries_4711_assignsubmission_file_/ps2.ipynb", notebook_bytes("ana"))
    collect(released, "ps2", moodle)
    assert placed_marker(released, "Ana_de_Vries") == "'ana'"
    from nbgrader.api import Gradebook

    with Gradebook(released.db_url) as gb:
        assert gb.find_student("smith_jane").lms_user_id == "12345"
        ana = gb.find_student("Ana_de_Vries")
        assert (ana.lms_user_id, ana.first_name, ana.last_name) == ("4711", "Ana", "de Vries")
    collect(released, "ps2", moodle, file_under="lms-id")
    assert placed_marker(released, "4711") == "'ana'"


def test_collect_never_overwrites_silently(released, tmp_path):
    def hand_in(marker, stamp):
        folder = tmp_path / marker / "amy"
        folder.mkdir(parents=True)
        (folder / "ps2.ipynb").write_bytes(notebook_bytes(marker))
        (folder / "timestamp.txt").write_text(stamp)
        return collect(released, "ps2", tmp_path / marker).placed[0]

    assert "new submission" in hand_in("first", "2024-01-01 10:00:00.000000 UTC")
    assert "unchanged" in collect(released, "ps2", tmp_path / "first").placed[0]
    line = hand_in("second", "2024-01-02 10:00:00.000000 UTC")
    assert "replaced the older submission" in line and placed_marker(released, "amy") == "'second'"
    line = hand_in("stale", "2023-12-31 10:00:00.000000 UTC")
    assert "kept the newer submission" in line and placed_marker(released, "amy") == "'second'"
    archived = sorted(p.parent.name for p in (released.archive_dir / "amy" / "ps2").glob("*/ps2.ipynb"))
    assert archived == ["20231231-100000", "20240101-100000"]


def test_collect_from_nbgraders_exchange_takes_each_students_newest(released, tmp_path):
    exchange = tmp_path / "exchange"
    (released.root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'cnn101'\nc.Exchange.root = %r\n" % str(exchange))
    inbound = exchange / "cnn101" / "inbound"
    for name, marker in (("amy+ps2+2024-01-01 10:00:00.000000 UTC+aaaa", "old"),
                         ("amy+ps2+2024-01-03 10:00:00.000000 UTC+bbbb", "new"),
                         ("amy+ps1+2024-01-04 10:00:00.000000 UTC+cccc", "other")):
        (inbound / name).mkdir(parents=True)
        (inbound / name / "ps2.ipynb").write_bytes(notebook_bytes(marker))
        (inbound / name / "submission_secret.txt").write_text("0f3c")  # nbgrader's submit adds it
    report = collect(released, "ps2")
    assert placed_marker(released, "amy") == "'new'"
    assert any("older submission of amy" in reason for _, reason in report.unplaced)
    assert not any("submission_secret" in where for where, _ in report.unplaced), report.unplaced


def test_collect_of_an_unknown_assignment_is_an_error(released):
    with pytest.raises(UnknownAssignment, match="unknown assignment 'ps9'.*ps2"):
        collect(released, "ps9", released.root)
