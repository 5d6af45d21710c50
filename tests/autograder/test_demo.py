"""`convgrade demo` (autograder.demo.run) and the simulated class it grades (autograder.demo.simulate).

The fast tests check the simulated hand-ins themselves, on the committed release and
source notebooks: a persona changes only answer cells, and a copier's numbers are the
owner's, as the grader's own answer key (computed by `reference`) states them. The
slow test runs the real command on a class of 8 (every kind of work: correct, partial,
a misconception, library and `__eq__` cheating, a corrupt file, an endless loop, a
missing notebook and a copy) and reads what it left behind.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from autograder.demo import simulate
from autograder.errors import ConvgradeError

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"


def _notebooks(assignment):
    source = nbformat.read(ROOT / "source" / assignment / ("%s.ipynb" % assignment), as_version=4)
    release = nbformat.read(ROOT / "release" / assignment / ("%s.ipynb" % assignment), as_version=4)
    return source, release


def _is_answer(cell):
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


# -- the class -------------------------------------------------------------------------------
def test_the_class_has_thirty_students_of_every_kind():
    everyone = simulate.roster()
    assert len(everyone) == 30 and len({p.id for p in everyone}) == 30
    kinds = {"correct", "partial", "misconception", "cheating", "broken"}
    assert {p.kind for p in everyone} == kinds
    assert {p.kind for p in everyone[:8]} == kinds, "a reduced class of 8 still shows every kind"


def test_every_expected_misconception_is_one_the_diagnosis_knows():
    from autograder.language.en import MISCONCEPTIONS

    named = {p.expect(a).misconception for p in simulate.roster() for a in simulate.ASSIGNMENTS}
    named.discard(None)
    assert named <= set(MISCONCEPTIONS)
    assert {"flipped_kernel", "no_padding", "stride_ignored", "off_by_one", "transposed", "bias_forgotten",
            "relu_forgotten", "channels_confused", "overlapping_pool_windows"} <= named


def test_a_reduced_class_brings_the_students_its_copiers_copy_from():
    ids = [p.id for p in simulate.simulated_class(8)]
    assert ids[:8] == ["s%02d" % i for i in range(1, 9)]
    assert "s01" in ids  # s08 copies s01
    assert "s09" in [p.id for p in simulate.simulated_class(26)]  # s26 copies s09 (already in)
    with pytest.raises(ValueError, match="between 1 and 30"):
        simulate.simulated_class(31)


@pytest.mark.parametrize("assignment", simulate.ASSIGNMENTS)
def test_a_hand_in_changes_only_answer_cells(assignment):
    source, release = _notebooks(assignment)
    for persona in simulate.roster():
        work = persona.work.get(assignment)
        if work is None or work.handin != "notebook" or work.copy_from:
            continue
        nb = simulate.student_notebook(release, source, persona, assignment)
        assert len(nb.cells) == len(release.cells)
        nbformat.validate(nb)
        for mine, theirs in zip(nb.cells, release.cells):
            if not _is_answer(theirs):
                assert mine == theirs, "%s changed a cell that is not an answer" % persona.id
            assert "BEGIN SOLUTION" not in mine.source and "END SOLUTION" not in mine.source


def test_the_id_cell_holds_the_students_own_id():
    source, release = _notebooks("ps1")
    persona = simulate.roster()[7]  # s08, who copies s01's numbers
    copied = simulate.copied_answers(source, "ps1", persona.work["ps1"].copy_from)
    nb = simulate.student_notebook(release, source, persona, "ps1", copied=copied)
    id_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "student_id")
    assert id_cell.source.strip() == 'MY_ID = "s08"'


def test_a_blank_answer_keeps_the_release_stub():
    source, release = _notebooks("ps2")
    partial = next(p for p in simulate.roster() if p.id == "s03")
    nb = simulate.student_notebook(release, source, partial, "ps2")
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if _is_answer(c)}
    stubs = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells if _is_answer(c)}
    assert by_id["conv2d"] == stubs["conv2d"] and "NotImplementedError" in by_id["conv2d"]
    assert by_id["conv1d"] != stubs["conv1d"]


def test_an_answer_for_a_cell_the_notebook_lacks_is_an_error():
    source, release = _notebooks("ps2")
    persona = simulate.Persona("x", "X", "Y", "partial", "", {"ps2": simulate.Work(answers={"conv4d": "pass"})})
    with pytest.raises(KeyError, match="conv4d"):
        simulate.student_notebook(release, source, persona, "ps2")


def test_copied_answers_are_the_owners_numbers_per_the_answer_key():
    """The copy holds what the grader's key (computed with `reference`) expects of the
    owner, and so differs from what it expects of the copier."""
    from autograder.judging import registry

    source, _ = _notebooks("ps1")
    copied = simulate.copied_answers(source, "ps1", "s01")
    namespace = {}
    for code in copied.values():
        exec(code, namespace)
    rng = np.random.default_rng(0)
    differs = 0
    for check_id, variable in [("ps1.bump", "answer_bump"), ("ps1.vertical_map", "answer_vertical"),
                               ("ps1.correlation", "answer_correlation"), ("ps1.rgb", "answer_rgb")]:
        owner = registry.get(check_id).cases(rng, "s01")[0]
        copier = registry.get(check_id).cases(rng, "s08")[0]
        assert owner.value == variable
        np.testing.assert_allclose(np.asarray(namespace[variable], float), np.asarray(owner.expected, float))
        differs += not np.array_equal(np.asarray(owner.expected), np.asarray(copier.expected))
    assert differs >= 2, "the two students' numbers differ, so copying costs marks"


@pytest.mark.parametrize("status,score,max_score,found,expect,ok", [
    ("graded", 17, 17, (), simulate.Expect(), True),
    ("graded", 16.5, 17, (), simulate.Expect(), False),
    ("timeout", 0, 17, (), simulate.Expect(score="zero"), False),
    ("timeout", 0, 17, (), simulate.Expect("timeout", "zero"), True),
    ("graded", 9, 17, ("flipped_kernel",), simulate.Expect(score="partial", misconception="flipped_kernel"), True),
    ("graded", 9, 17, ("no_padding",), simulate.Expect(score="partial", misconception="flipped_kernel"), False),
    ("graded", 0, 17, (), simulate.Expect(score="partial"), False),
    ("graded", 5, 22, (), simulate.Expect(score="low"), True),
    ("graded", 6, 22, (), simulate.Expect(score="low"), False),
])
def test_expectations(status, score, max_score, found, expect, ok):
    assert expect.met_by(status, score, max_score, found) is ok


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    from autograder.demo.run import run_demo

    (tmp_path / "thesis.tex").write_text("do not delete me")
    with pytest.raises(ConvgradeError, match="not empty and was not made by `convgrade demo`"):
        run_demo(tmp_path, students=1)
    assert (tmp_path / "thesis.tex").exists()


# -- the command, end to end ------------------------------------------------------------------
@pytest.mark.slow
def test_convgrade_demo_grades_a_reduced_class_as_expected(tmp_path):
    where = tmp_path / "demo"
    proc = subprocess.run([str(CONVGRADE), "demo", "--students", "8", "--workers", "2", "--dir", str(where)],
                          capture_output=True, text=True, timeout=1500, cwd=tmp_path,
                          env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "every submission got the status and score the simulation expects" in out, out
    personas = simulate.simulated_class(8)
    for persona in personas:
        assert persona.id in out

    # what the gradebook says, read from the export, against what the simulation expects
    grades = pd.read_csv(where / "exports" / "grades-nbgrader.csv", dtype={"student_id": str},
                         keep_default_na=False)
    items = pd.read_csv(where / "exports" / "grades-items.csv", dtype={"student_id": str},
                        keep_default_na=False)
    rows = {(r.student_id, r.assignment): r for r in grades.itertuples()}
    assert set(rows) == {(p.id, a) for p in personas for a in ("ps1", "ps2")}
    for persona in personas:
        for assignment in ("ps1", "ps2"):
            row = rows[(persona.id, assignment)]
            expect = persona.expect(assignment)
            found = set(items[(items["student_id"] == persona.id) & (items["assignment"] == assignment)]
                        ["misconception"]) - {""}
            assert expect.met_by(row.status, row.score, row.max_score, found), (persona.id, assignment, row, found)
    # the headline cases, spelled out
    assert rows[("s01", "ps1")].score == rows[("s01", "ps1")].max_score == 22  # written answers marked too
    assert rows[("s01", "ps2")].score == rows[("s01", "ps2")].max_score == 17
    for hostile in ("s04", "s05"):  # library convolutions, always-equal objects
        assert (rows[(hostile, "ps2")].status, rows[(hostile, "ps2")].score) == ("graded", 0)
    assert (rows[("s06", "ps2")].status, rows[("s06", "ps2")].score) == ("corrupt", 0)
    assert (rows[("s07", "ps2")].status, rows[("s07", "ps2")].score) == ("timeout", 0)
    assert (rows[("s08", "ps2")].status, rows[("s08", "ps2")].score) == ("missing", 0)
    assert rows[("s08", "ps1")].score < 0.25 * rows[("s01", "ps1")].score  # the copy loses the by-hand points

    # the other outputs
    with open(where / "exports" / "grades-canvas.csv", newline="", encoding="utf-8") as fh:
        canvas = list(csv.reader(fh))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert "Points Possible" in canvas[1][0] and len(canvas) == 2 + len(personas)
    page = (where / "report.html").read_text(encoding="utf-8")
    assert "Chloé Claes" in page and "flipped kernel" in page
    assert (where / "feedback" / "s02" / "ps2" / "ps2.html").is_file()
    assert not (where / "feedback" / "s08" / "ps2").exists()  # nothing handed in, nothing to give back
