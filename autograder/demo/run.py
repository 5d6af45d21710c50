"""``convgrade demo``: a whole term's grading of a simulated class, end to end.

:func:`run_demo` builds a throw-away course from the repository's real ``source/``
assignments, hands in the work of a simulated class (:mod:`autograder.demo.simulate`:
correct, partly correct, each misconception, cheating and broken submissions, all
made from the real release notebooks), and runs the teacher's workflow through the
very functions the ``convgrade`` commands call:

1. ``release`` every assignment (nbgrader's generate_assignment);
2. import the class list into the gradebook (names and e-mail addresses);
3. ``collect`` the hand-in folder into ``submitted/``;
4. ``autograde`` in sandboxed kernels, in parallel (short time limits: the hostile
   submissions include an endless loop);
5. mark the written answers, as a teacher does in formgrader;
6. ``feedback`` (one HTML page per student and assignment);
7. ``export`` in every format and ``report``.

Then it checks every gradebook row against what the simulation says a correct grader
must give (:class:`autograder.demo.simulate.Expect`) and returns a :class:`DemoSummary`
whose :meth:`~DemoSummary.render` is the table the command prints.
"""
from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import GradeCell

from autograder.classroom.release import release_assignment
from autograder.course import REPOSITORY_ROOT, Course
from autograder.demo import simulate
from autograder.errors import ConvgradeError
from autograder.intake.collect import collect
from autograder.isolation.sandbox import active_protections
from autograder.pipeline.execute import Limits
from autograder.pipeline.parallel import autograde
from autograder.pipeline.record import Store
from autograder.publish.export import FORMATS, export_grades, read_grades, read_items
from autograder.publish.feedback_pages import generate_feedback
from autograder.publish.report import build_report, misconception_counts

#: Time limits of the demo's kernels: short, so the endless loop costs seconds, and
#: still ample for an honest notebook (each runs in about a second).
CELL_TIMEOUT = 20.0
NOTEBOOK_TIMEOUT = 120.0
MARKER = ".convgrade-demo"


@dataclass
class DemoRow:
    """One (student, assignment) of the demo: what the gradebook says and what it should."""

    student: str
    name: str
    kind: str
    summary: str
    assignment: str
    status: str
    score: float
    max_score: float
    misconceptions: tuple
    expected: simulate.Expect
    language: str | None = None   # of its feedback page(s); None when there is none
    taken: bool = True            # False: the simulation never gave this student the assignment

    @property
    def ok(self):
        return self.expected.met_by(self.status, self.score, self.max_score, self.misconceptions, self.language)


@dataclass
class DemoSummary:
    """What :func:`run_demo` did: one :class:`DemoRow` per student and assignment, the
    class's misconception counts (from the exported items), the files written."""

    course_root: Path
    assignments: list
    rows: list
    misconceptions: list          # [(key, answers, students)], most frequent first
    outputs: dict                 # {what: path}
    protections: list = field(default_factory=list)
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)

    @property
    def mismatches(self):
        return [r for r in self.rows if not r.ok]

    @property
    def ok(self):
        return not self.mismatches

    def render(self):
        """The summary table and the paths, as printed by ``convgrade demo``."""
        lines = ["convgrade demo: %d simulated students, %s, graded in %.0f s"
                 % (len({r.student for r in self.rows}), ", ".join(self.assignments), self.seconds), ""]
        by_student = {}
        for row in self.rows:
            by_student.setdefault(row.student, []).append(row)
        head = "%-4s %-22s %-13s" % ("id", "name", "kind")
        for assignment in self.assignments:
            head += " %-20s" % assignment
        lines += [head + " as expected  work", "-" * (len(head) + 40)]
        for student, rows in by_student.items():
            first = rows[0]
            line = "%-4s %-22s %-13s" % (student, first.name[:22], first.kind)
            for assignment in self.assignments:
                row = next((r for r in rows if r.assignment == assignment and r.taken), None)
                line += " %-20s" % ("" if row is None else "%-8s %5s/%-4s" % (
                    row.status, _num(row.score), _num(row.max_score)))
            lines.append(line + " %-12s %s" % ("yes" if all(r.ok for r in rows) else "NO", first.summary))
        lines += ["", "misconceptions found (answers, students):"]
        for key, answers, students in self.misconceptions:
            lines.append("  %-26s %3d answers  %3d students" % (key, answers, students))
        if not self.misconceptions:
            lines.append("  none")
        lines += ["", "isolation: %s" % (", ".join(self.protections) or "none reported")]
        lines += ["", "outputs:"] + ["  %-16s %s" % (what, path) for what, path in self.outputs.items()]
        if self.mismatches:
            lines += ["", "NOT AS EXPECTED:"]
            for row in self.mismatches:
                lines.append("  %s %s: got %s %s/%s, misconceptions %s, feedback in %s; expected %s"
                             % (row.student, row.assignment, row.status, _num(row.score), _num(row.max_score),
                                ", ".join(row.misconceptions) or "none", row.language or "-",
                                row.expected.describe()))
        else:
            lines += ["", "every submission got the status and score the simulation expects."]
        return "\n".join(lines)


def run_demo(workdir=None, students=30, workers=None, *, assignments=None, progress=None) -> DemoSummary:
    """Grade a simulated class of ``students`` end to end in a throw-away course.

    Parameters
    ----------
    workdir : path, optional
        Where the course is built: an empty or missing folder, or one a previous demo
        made (it is wiped). Default: a new temporary folder.
    students : int
        Size of the simulated class, 1 to 30 (the first ones of
        :func:`autograder.demo.simulate.roster`, which cover every kind of work).
    workers : int, optional
        Grading processes (default: the cores available).
    assignments : sequence of str, optional
        Default :data:`autograder.demo.simulate.ASSIGNMENTS` (those in ``source/``).
    """
    started = time.perf_counter()
    timings = {}
    try:
        personas = simulate.simulated_class(students)
    except ValueError as exc:  # a class size the roster cannot fill: the teacher's --students
        raise ConvgradeError("--students: %s" % exc) from None
    available = [a for a in (assignments or simulate.ASSIGNMENTS) if (REPOSITORY_ROOT / "source" / a).is_dir()]
    if not available:
        raise ConvgradeError("the demo needs source/%s in %s" % (simulate.ASSIGNMENTS[0], REPOSITORY_ROOT))
    root = _fresh_folder(workdir)
    (root / "source").mkdir()
    for assignment in available:
        shutil.copytree(REPOSITORY_ROOT / "source" / assignment, root / "source" / assignment)
    course = Course(root)
    progress = sys.stderr.isatty() if progress is None else progress

    def step(name, func, *args, **kwargs):
        began = time.perf_counter()
        _say("%s ..." % name)
        out = func(*args, **kwargs)
        timings[name] = time.perf_counter() - began
        return out

    for assignment in available:
        step("release %s" % assignment, release_assignment, course, assignment)
    step("import the class list", _import_roster, course, personas)
    handin = root / "hand-in"
    expected = step("simulate %d students' hand-ins" % len(personas), simulate.write_handins,
                    course, personas, handin, available)
    for assignment in available:
        step("collect %s" % assignment, collect, course, assignment, handin)

    protections = active_protections()
    sandboxed = "bubblewrap" in protections
    if not sandboxed:
        _say("warning: bubblewrap is not usable here; the demo's hostile notebooks run WITHOUT the sandbox "
             "(install Debian's bubblewrap: make install)")
    limits = Limits(cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT)
    for assignment in available:
        step("autograde %s" % assignment, autograde, course, assignment, workers=workers, limits=limits,
             progress=progress, require_sandbox=sandboxed)
    step("mark the written answers", _mark_written_answers, course, personas, available)
    feedback = {}
    for assignment in available:
        feedback[assignment] = step("feedback %s" % assignment, generate_feedback, course, assignment)

    outputs = {}
    exports = root / "exports"
    exports.mkdir()
    for fmt in FORMATS:
        outputs["export %s" % fmt] = step("export %s" % fmt, export_grades, course, fmt,
                                          exports / ("grades-%s.csv" % fmt))
    outputs["report"] = step("report", build_report, course, root / "report.html")
    outputs["feedback"] = course.feedback_dir
    outputs["course"] = root

    grades, items = read_grades(course), read_items(course)
    names = {p.id: "%s %s" % (p.first_name, p.last_name) for p in personas}
    by_id = {p.id: p for p in personas}
    rows = []
    for row in grades.itertuples(index=False):
        if row.student_id not in by_id or row.assignment not in available:
            continue
        persona = by_id[row.student_id]
        # nothing handed in has no grade (exports leave it empty); the simulation calls it missing, 0 marks
        status, score = ("missing", 0.0) if row.state == "not handed in" else (row.status, float(row.score))
        own = items[(items["student_id"] == row.student_id) & (items["assignment"] == row.assignment)]
        found = tuple(sorted(set(own["misconception"].dropna())))
        rows.append(DemoRow(row.student_id, names[row.student_id], persona.kind, persona.summary, row.assignment,
                            status, score, float(row.max_score), found,
                            expected[(row.student_id, row.assignment)],
                            language=_feedback_language(course, row.student_id, row.assignment),
                            taken=row.assignment in persona.work))
    counts = misconception_counts(items)
    summary = DemoSummary(course_root=root, assignments=available, rows=rows,
                          misconceptions=[(r.misconception, int(r.items), int(r.students))
                                          for r in counts.itertuples(index=False)],
                          outputs=outputs, protections=protections, timings=timings)
    summary.seconds = time.perf_counter() - started
    return summary


def _fresh_folder(workdir):
    """An empty folder for the demo course; a previous demo's folder is wiped, any
    other non-empty folder is refused (the demo never deletes a teacher's files)."""
    if workdir is None:
        root = Path(tempfile.mkdtemp(prefix="convgrade-demo-"))
    else:
        root = Path(workdir).expanduser().resolve()
        if root.exists():
            if not root.is_dir():
                raise ConvgradeError("--dir %s is a file, not a folder" % root)
            if any(root.iterdir()):
                if not (root / MARKER).exists():
                    raise ConvgradeError("--dir %s is not empty and was not made by `convgrade demo`; "
                                         "give an empty or new folder" % root)
                shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by `convgrade demo`; deleted and rebuilt by the next demo run here\n",
                               encoding="utf-8")
    return root


def _import_roster(course, personas):
    """Add the class to the gradebook with names and e-mail addresses, as a teacher
    importing a class list does (``nbgrader db student import``)."""
    with Store(course) as store, store.transaction() as (_session, gradebook):
        for persona in personas:
            gradebook.update_or_create_student(persona.id, first_name=persona.first_name,
                                               last_name=persona.last_name, email=persona.email)


def _mark_written_answers(course, personas, assignments):
    """Give every written answer a student actually wrote its full points, as a teacher
    would in formgrader (nbgrader's ``manual_score``); unchanged answers keep the 0
    nbgrader gave them."""
    wrote = {(p.id, a) for p in personas for a in assignments
             if a in p.work and p.work[a].written and p.work[a].handin == "notebook"}
    marked = 0
    with Store(course) as store, store.transaction() as (_session, gradebook):
        for assignment in assignments:
            for submission in gradebook.assignment_submissions(assignment):
                if (submission.student.id, assignment) not in wrote:
                    continue
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        cell = grade.cell
                        if isinstance(cell, GradeCell) and cell.cell_type == "markdown" and grade.needs_manual_grade:
                            grade.manual_score = cell.max_score
                            grade.needs_manual_grade = False
                            marked += 1
    return marked


def _feedback_language(course, student, assignment):
    """The ``<html lang>`` of ``student``'s feedback pages for ``assignment`` ("en", "nl"),
    "mixed" when they disagree, None when there are none."""
    found = set()
    for page in sorted((course.feedback_dir / student / assignment).glob("*.html")):
        match = re.search(r'<html[^>]*\blang="([^"]*)"', page.read_text(encoding="utf-8"))
        found.add(match.group(1) if match else "")
    return None if not found else found.pop() if len(found) == 1 else "mixed"


def _say(text):
    print("demo: %s" % text, file=sys.stderr, flush=True)


def _num(value):
    return ("%.2f" % value).rstrip("0").rstrip(".")


__all__ = ["run_demo", "DemoSummary", "DemoRow", "CELL_TIMEOUT", "NOTEBOOK_TIMEOUT"]
