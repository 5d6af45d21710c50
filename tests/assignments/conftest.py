"""Shared by the assignment tests: is the committed ``release/NAME`` what nbgrader makes of
``source/NAME`` today?"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


def release_essence(nb):
    """What ``generate_assignment`` decides for a notebook: each cell's type, id, source and
    nbgrader metadata (checksums included), and the kernel it runs in."""
    cells = [(c.cell_type, c.get("id"), c.source, dict(c.metadata.get("nbgrader", {}))) for c in nb.cells]
    return cells, dict(nb.metadata.get("kernelspec", {}))


@pytest.fixture
def assert_release_current(nbgrader_course):
    """A function ``check(*names)``: run the real ``nbgrader generate_assignment`` on
    ``source/NAME`` for each name in a throw-away course (one nbgrader run for all) and
    assert that each ``release/NAME`` holds exactly the notebooks it makes."""

    def check(*names):
        for name in names:
            shutil.copytree(ROOT / "source" / name, nbgrader_course.root / "source" / name)
        # the course holds only these assignments, so "*" generates exactly them
        nbgrader_course.nbgrader("generate_assignment", names[0] if len(names) == 1 else "*", "--force")
        for name in names:
            _compare(name, nbgrader_course.root / "release" / name, ROOT / "release" / name)

    return check


def _compare(name, fresh_dir, committed_dir):
    """Assert that ``committed_dir`` holds the notebooks of ``fresh_dir``, cell for cell."""
    fresh = sorted(p.name for p in fresh_dir.glob("*.ipynb"))
    committed = sorted(p.name for p in committed_dir.glob("*.ipynb"))
    assert committed == fresh, "release/%s holds %s, nbgrader makes %s" % (name, committed, fresh)
    for filename in fresh:
        assert release_essence(nbformat.read(committed_dir / filename, as_version=4)) == \
            release_essence(nbformat.read(fresh_dir / filename, as_version=4)), (
                "release/%s/%s is out of date with source/%s: run `convgrade release %s --force` "
                "and commit the result" % (name, filename, name, name))


def grade_model_and_untouched(course, names):
    """Hand in, for each of ``names``, ``source/NAME`` as student "model" and the committed
    ``release/NAME`` as "untouched" in ``course`` (which holds only these), then run the real
    ``nbgrader generate_assignment`` and ``nbgrader autograde`` once each over all of them ("*");
    returns autograde's CompletedProcess (scores: ``course.scores(name, student)``)."""
    for name in names:
        shutil.copytree(ROOT / "source" / name, course.root / "source" / name)
        for student, folder in (("model", "source"), ("untouched", "release")):
            target = course.root / "submitted" / student / name
            target.mkdir(parents=True)
            for notebook in (ROOT / folder / name).glob("*.ipynb"):
                shutil.copy(notebook, target / notebook.name)
    course.nbgrader("generate_assignment", "*", "--force")
    return course.nbgrader("autograde", "*", "--force")
