"""Fixtures shared by the whole suite: a throw-away nbgrader course built from `source/`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CONFIG = ROOT / "autograder" / "nbgrader_config.py"


class NbgraderCourse:
    """A course directory in a temporary folder, driven through the real `nbgrader` CLI."""

    def __init__(self, root: Path):
        self.root = root

    def nbgrader(self, *args, check=True, timeout=600):
        """Run `nbgrader ARGS` with the course's config; returns the CompletedProcess."""
        cmd = [str(VENV_BIN / "nbgrader"), *args, f"--config={self.root / 'nbgrader_config.py'}",
               f"--CourseDirectory.root={self.root}"]
        # nbgrader runs `alembic` (and kernels) from PATH: the venv's own bin must come first.
        env = dict(os.environ, PYTHONUNBUFFERED="1",
                   PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
        proc = subprocess.run(cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def add_assignment(self, name: str):
        shutil.copytree(ROOT / "source" / name, self.root / "source" / name)
        self.nbgrader("db", "assignment", "add", name)

    def submit(self, assignment: str, student: str, notebooks: dict):
        """Place `{notebook file name: nbformat node or path}` as `student`'s submission."""
        import nbformat

        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for filename, nb in notebooks.items():
            if isinstance(nb, (str, Path)):
                shutil.copy(nb, folder / filename)
            else:
                nbformat.write(nb, folder / filename)
        self.nbgrader("db", "student", "add", student)

    def scores(self, assignment: str, student: str) -> dict:
        """`{grade_id: (score, max_score)}` of a graded submission, from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            sub = gb.find_submission(assignment, student)
            return {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades}


def new_course(root: Path) -> NbgraderCourse:
    """An empty course at `root` (config copied in) whose assignments tests add from `source/`."""
    (root / "source").mkdir(parents=True)
    shutil.copy(CONFIG, root / "nbgrader_config.py")
    return NbgraderCourse(root)


@pytest.fixture
def nbgrader_course(tmp_path):
    """An empty course (config copied in) whose assignments tests add from `source/`."""
    return new_course(tmp_path / "course")


@pytest.fixture(scope="module")
def nbgrader_course_module(tmp_path_factory):
    """One empty course shared by a module's tests: grade a batch once, assert on it many times."""
    return new_course(tmp_path_factory.mktemp("module") / "course")
