"""Issue 11, regrading changed grades: the same file always gets the same score.

A submission's random inputs come from (assignment, student, the submitted files' hash,
a salt) (``autograder.pipeline.plan.inputs_seed``): ``--force`` on an unchanged file
gives byte-equal scores and the same items; only ``--new-inputs`` draws new ones, says
so, and keeps its salt, so a later plain ``--force`` reproduces the new score.
The submission is ps2 (code items on random inputs) with an ``output_size`` that forgets
to floor (the demo's simulated student): right where the division comes out whole, wrong
elsewhere, so its score depends on the draw; graded in real sandboxed kernels.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.demo.simulate import simulated_class, student_notebook
from autograder.course import submission_hash
from autograder.pipeline.plan import inputs_seed
from autograder.pipeline.record import ensure_schema

ROOT = Path(__file__).resolve().parents[2]
CONVGRADE = Path(sys.executable).parent / "convgrade"

#: The simulated class's student who forgets to floor the output size (the rest is right).
NOT_FLOORED = next(p for p in simulated_class() if p.work["ps2"].expect.misconception == "not_floored")


def test_the_seed_is_a_function_of_the_submission_and_its_salt_only():
    seed = inputs_seed("ps2", "kim", "ab" * 32)
    assert seed == inputs_seed("ps2", "kim", "ab" * 32) and 0 <= seed < 2 ** 63
    others = {inputs_seed("ps2", "kim", "ab" * 32, "1f2e"), inputs_seed("ps2", "lu", "ab" * 32),
              inputs_seed("ps2", "kim", "cd" * 32), inputs_seed("ps2_nl", "kim", "ab" * 32)}
    assert seed not in others and len(others) == 4
    # the parts cannot run into each other: ("ps2", "kim") is not ("ps", "2kim")
    assert inputs_seed("ps", "2kim", "ab" * 32) != seed
    # the same on every machine and Python; a new formula would give every stored submission new inputs
    assert seed == 4557807276547069437


def convgrade(course, *args):
    proc = subprocess.run([str(CONVGRADE), "--course", str(course), *args], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.returncode == 0, (args, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


def snapshot(course):
    """kim's row (score as its exact bits, seed, salt) and items, from the gradebook."""
    with sqlite3.connect(course / "gradebook.db") as db:
        (score, seed, salt, digest), = db.execute(
            "SELECT score, rng_seed, inputs_salt, submission_hash FROM convgrade_submission WHERE student = 'kim'")
        items = db.execute("SELECT grade_id, score, fraction, misconception, message FROM convgrade_item "
                           "WHERE student = 'kim' ORDER BY grade_id").fetchall()
    return {"score": score.hex(), "seed": seed, "salt": salt, "hash": digest, "items": items}


@pytest.mark.slow
def test_force_reproduces_the_score_and_only_new_inputs_change_it(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "source" / "ps2", course / "source" / "ps2")
    convgrade(course, "release", "ps2")
    nb = student_notebook(nbformat.read(course / "release" / "ps2" / "ps2.ipynb", as_version=4),
                          nbformat.read(course / "source" / "ps2" / "ps2.ipynb", as_version=4), NOT_FLOORED, "ps2")
    folder = course / "submitted" / "kim" / "ps2"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "ps2.ipynb")

    convgrade(course, "autograde", "ps2", "--workers", "1", "--no-progress")
    first = snapshot(course)
    assert first["salt"] == "" and first["hash"] == submission_hash(folder)
    assert first["seed"] == str(inputs_seed("ps2", "kim", submission_hash(folder)))
    assert 0 < float.fromhex(first["score"]) < 17  # partly right: the draw matters

    out = convgrade(course, "autograde", "ps2", "--force", "--workers", "1", "--no-progress")
    assert snapshot(course) == first  # byte-equal score, the same items and messages
    assert "new random inputs" not in out

    out = convgrade(course, "autograde", "ps2", "--new-inputs", "--workers", "1", "--no-progress")
    assert "new random inputs for 1 submission(s)" in out
    renewed = snapshot(course)
    assert renewed["salt"] and renewed["seed"] != first["seed"]
    assert renewed["seed"] == str(inputs_seed("ps2", "kim", submission_hash(folder), renewed["salt"]))

    convgrade(course, "autograde", "ps2", "--force", "--workers", "1", "--no-progress")
    assert snapshot(course) == renewed  # a plain --force keeps the inputs the teacher asked for last


NEW_COLUMNS = ("inputs_salt", "typed_id", "variant_id", "id_check", "id_flag")


def test_a_gradebook_from_before_the_salt_gets_its_columns_and_keeps_its_rows(tmp_path):
    url = "sqlite:///%s" % (tmp_path / "gradebook.db")
    ensure_schema(url)
    with sqlite3.connect(tmp_path / "gradebook.db") as db:  # as an older convgrade left it
        db.execute("INSERT INTO convgrade_submission (assignment, student, status, score, max_score, graded_at, "
                   "rng_seed) VALUES ('ps2', 'kim', 'graded', 12.5, 17, '2024-01-01 00:00:00', '42')")
        for column in NEW_COLUMNS:
            db.execute("ALTER TABLE convgrade_submission DROP COLUMN %s" % column)
        db.execute("DROP TABLE convgrade_roster")
    ensure_schema(url)
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(convgrade_submission)")]
        kept = db.execute("SELECT student, score, rng_seed, inputs_salt FROM convgrade_submission").fetchall()
        roster = db.execute("SELECT count(*) FROM convgrade_roster").fetchone()
    assert set(NEW_COLUMNS) <= set(columns)
    assert kept == [("kim", 12.5, "42", None)] and roster == (0,)
