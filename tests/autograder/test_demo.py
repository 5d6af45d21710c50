"""`convgrade demo` (autograder.demo.run) and the simulated class it grades (autograder.demo.simulate).

The fast tests check the simulated hand-ins themselves, on the committed release and
source notebooks: a persona changes only answer cells, and a copier's numbers are the
owner's, as the grader's own answer key (computed by `reference`) states them. The
slow test runs the real command on a class of 8 (every kind of work: correct, partial,
a misconception, library and `__eq__` cheating, a corrupt file, an endless loop, a
missing notebook and a copy; two of them hand in ps1 in Dutch, six hand in ps5) and
reads what it left behind.
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
    assert {"transposed_is_inverse", "pointwise_forgotten"} <= named  # ps5's own


def test_a_handful_of_dutch_speakers_hand_in_ps1_nl_instead_of_ps1():
    dutch = [p for p in simulate.roster() if "ps1_nl" in p.work]
    assert 3 <= len(dutch) <= 8
    for persona in dutch:
        assert "ps1" not in persona.work, persona.id
        assert persona.expect("ps1_nl").language == "nl"
        assert persona.expect("ps1").status == "missing"  # they never take the English ps1
    assert {p.id for p in dutch[:2]} <= {p.id for p in simulate.simulated_class(8)}, "the slow test sees Dutch work"
    kinds = {p.expect("ps1_nl").score for p in dutch}
    assert {"full", "partial"} <= kinds and any(p.expect("ps1_nl").misconception is None for p in dutch)


def test_six_students_hand_in_ps5_all_in_a_reduced_class():
    takers = [p for p in simulate.roster() if "ps5" in p.work]
    assert len(takers) == 6
    assert {p.id for p in takers} <= {p.id for p in simulate.simulated_class(8)}, "the slow test grades every one"
    expects = [p.expect("ps5") for p in takers]
    assert sorted(e.misconception for e in expects if e.misconception) == ["pointwise_forgotten",
                                                                           "transposed_is_inverse"]
    assert sorted(e.score for e in expects) == ["full", "low", "partial", "partial", "partial", "zero"]
    assert [p.work["ps5"].copy_from for p in takers if p.work["ps5"].copy_from] == ["s01"]


def test_copied_ps5_numbers_are_the_owners_per_the_answer_key():
    """ps5's copy needs the given cells too (``n, k, p, d`` of the dilated size); the numbers
    are what ps5's key (computed with `reference`) expects of the owner, not of the copier."""
    from autograder.judging.checks.ps5 import answer_key

    source, _ = _notebooks("ps5")
    namespace = {}
    for code in simulate.copied_answers(source, "ps5", "s01").values():
        exec(code, namespace)
    owner, copier = answer_key("ps5", "s01"), answer_key("ps5", "s08")
    assert set(owner) <= set(namespace)
    for variable, expected in owner.items():
        np.testing.assert_array_equal(np.asarray(namespace[variable]), np.asarray(expected), err_msg=variable)
    assert sum(np.array_equal(owner[v], copier[v]) for v in owner) <= 3, "copying costs nearly every by-hand point"


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


def test_an_expected_language_is_checked():
    dutch = simulate.Expect(language="nl")
    assert dutch.met_by("graded", 22, 22, (), "nl")
    assert not dutch.met_by("graded", 22, 22, (), "en")
    assert not dutch.met_by("graded", 22, 22, (), None)  # no feedback page at all
    assert simulate.Expect().met_by("graded", 22, 22, (), "en")


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
                         keep_default_na=False, na_values={"score": [""]})  # a grade that is not final is empty
    items = pd.read_csv(where / "exports" / "grades-items.csv", dtype={"student_id": str},
                        keep_default_na=False)
    rows = {(r.student_id, r.assignment): r for r in grades.itertuples()}
    assignments = ("ps1", "ps1_nl", "ps2", "ps5")
    assert set(rows) == {(p.id, a) for p in personas for a in assignments}
    for persona in personas:
        for assignment in assignments:
            row = rows[(persona.id, assignment)]
            expect = persona.expect(assignment)
            found = set(items[(items["student_id"] == persona.id) & (items["assignment"] == assignment)]
                        ["misconception"]) - {""}
            page = where / "feedback" / persona.id / assignment / ("%s.html" % assignment)
            lang = _page_language(page) if page.is_file() else None
            # nothing handed in: no grade exported; the simulation expects "missing", 0 marks
            status, score = ("missing", 0.0) if row.state == "not handed in" else (row.status, row.score)
            assert expect.met_by(status, score, row.max_score, found, lang), (persona.id, assignment, row, found, lang)
    # the headline cases, spelled out
    assert rows[("s01", "ps1")].score == rows[("s01", "ps1")].max_score > 0  # written answers marked too
    assert rows[("s01", "ps2")].score == rows[("s01", "ps2")].max_score == 17
    assert rows[("s01", "ps5")].score == rows[("s01", "ps5")].max_score == 23  # 21 + 2 (README)
    # the Dutch speakers: ps1_nl graded like ps1 (same points), feedback in Dutch; no English ps1
    assert rows[("s06", "ps1_nl")].score == rows[("s06", "ps1_nl")].max_score == rows[("s01", "ps1")].max_score
    assert 0 < rows[("s03", "ps1_nl")].score < rows[("s03", "ps1_nl")].max_score
    assert rows[("s06", "ps1")].state == "not handed in"
    assert _page_language(where / "feedback" / "s03" / "ps1_nl" / "ps1_nl.html") == "nl"
    assert _page_language(where / "feedback" / "s03" / "ps2" / "ps2.html") == "en"
    dutch_messages = " ".join(items[(items["student_id"] == "s03") & (items["assignment"] == "ps1_nl")]["message"])
    assert " je " in dutch_messages and " your " not in dutch_messages, dutch_messages[:500]  # "je": Dutch "your"
    # ps5: each of the six got what the simulation expects, spelled out
    ps5 = {s: rows[(s, "ps5")] for s in ("s01", "s03", "s04", "s06", "s07", "s08")}
    assert (ps5["s04"].status, ps5["s04"].score) == ("graded", 0)  # handed in untouched
    assert 0 < ps5["s03"].score < ps5["s01"].score
    assert ps5["s08"].score <= 0.25 * ps5["s01"].score  # s01's numbers are not s08's
    for student, key in (("s06", "transposed_is_inverse"), ("s07", "pointwise_forgotten")):
        named = set(items[(items["student_id"] == student) & (items["assignment"] == "ps5")]["misconception"])
        assert key in named and 0 < ps5[student].score < ps5["s01"].score, (student, named)
    assert rows[("s02", "ps5")].state == "not handed in"  # ps5 is not everyone's
    for hostile in ("s04", "s05"):  # library convolutions, always-equal objects
        assert (rows[(hostile, "ps2")].status, rows[(hostile, "ps2")].score) == ("graded", 0)
    assert (rows[("s06", "ps2")].status, rows[("s06", "ps2")].score) == ("corrupt", 0)
    assert (rows[("s07", "ps2")].status, rows[("s07", "ps2")].score) == ("timeout", 0)
    assert rows[("s08", "ps2")].state == "not handed in" and pd.isna(rows[("s08", "ps2")].score)  # not a 0
    assert rows[("s08", "ps1")].score < 0.25 * rows[("s01", "ps1")].score  # the copy loses the by-hand points

    # the other outputs
    with open(where / "exports" / "grades-canvas.csv", newline="", encoding="utf-8") as fh:
        canvas = list(csv.reader(fh))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert "Points Possible" in canvas[1][0] and len(canvas) == 2 + len(personas)
    page = (where / "report.html").read_text(encoding="utf-8")
    assert "Chloé Claes" in page and "flipped kernel" in page
    assert "ps1_nl" in page and "ps5" in page
    assert {"ps1", "ps1_nl", "ps2", "ps5"} <= set(grades["assignment"])
    assert {"ps1_nl", "ps5"} <= set(items["assignment"])
    assert "ps1_nl" in out and "ps5" in out  # the summary's columns
    assert (where / "feedback" / "s02" / "ps2" / "ps2.html").is_file()
    assert not (where / "feedback" / "s08" / "ps2").exists()  # nothing handed in, nothing to give back


def _page_language(page):
    """"en" or "nl": the language a feedback page declares (``<html lang=...>``), else None."""
    text = page.read_text(encoding="utf-8")
    return next((lang for lang in ("en", "nl") if '<html lang="%s">' % lang in text), None)
