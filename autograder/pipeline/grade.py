"""Grade one submission: the stages of ``docs/architecture.md``, notebook by notebook.

:func:`grade_submission` is a pure function of the course's files, the roster and the
salt of the hidden inputs (the same file always gets the same score): it reads ``source/``, ``release/`` and
``submitted/STUDENT/NAME/`` and runs each notebook through the stages, as nbgrader's
Autograde runs its preprocessors, with plain data between them:

1. :func:`autograder.pipeline.rebuild.rebuild_notebook` - the teacher's cells and the student's answers;
2. :func:`autograder.pipeline.plan.plan_notebook` - the cases of its checks;
3. :func:`autograder.pipeline.execute.execute_planned` - the notebook in the student's sandboxed kernel;
4. :func:`autograder.pipeline.score.score_notebook` - the records judged, an item per graded cell;
5. :func:`autograder.pipeline.feedback.feedback_notebook` - the autograded notebook with its feedback.

It returns a :class:`~autograder.records.SubmissionResult` - plain data, the autograded
notebooks included as JSON text - and writes nothing to the gradebook or the course:
the coordinating process records it once (:mod:`autograder.pipeline.record`), which is
what lets workers, processes and Dask run it anywhere.
"""
from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from autograder import language
from autograder.course import read_timestamp, submission_hash
from autograder.errors import ConvgradeError
from autograder.pipeline import rebuild
from autograder.pipeline.execute import Limits, execute_planned
from autograder.pipeline.feedback import feedback_notebook, note_on_cell
from autograder.pipeline.identity import check_identity, flag_line, has_variants, id_note, typed_id
from autograder.pipeline.plan import inputs_seed, plan_notebook
from autograder.pipeline.score import score_notebook, zero_items
from autograder.records import SubmissionResult, worst_status

log = logging.getLogger(__name__)

_EXECUTION_STATUS = {"ok": "graded", "timeout": "timeout", "crashed": "crashed", "error": "error"}


@dataclass(frozen=True)
class NotebookResult:
    """What grading one notebook of a submission gave (``notebook``: the autograded one)."""

    name: str
    status: str
    items: list
    detail: str = ""
    notebook: object = None
    protections: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    alternative: float | None = None  # the score on the typed id's numbers (a classmate's id typed)


def grade_submission(course, assignment, student, *, limits=None, rng_seed=None, require_sandbox=False,
                     salts=None, roster=None):
    """Grade ``student``'s submission of ``assignment``.

    Parameters
    ----------
    course : autograder.course.Course
    assignment, student : str
        The submission is ``submitted/STUDENT/ASSIGNMENT/``. For an assignment with
        per-student numbers, the id whose variant is regenerated (and the kernel's
        ``CONVGRADE_STUDENT``) is settled by :func:`autograder.pipeline.identity.check_identity`.
    limits : autograder.pipeline.execute.Limits, optional
        Time, memory and output limits of the students' kernel.
    rng_seed : int, optional
        Seed of the hidden inputs; default :func:`autograder.pipeline.plan.inputs_seed`
        of the submission and its salt (recorded in the result).
    salts : dict, optional
        ``{student: salt}`` of the hidden inputs (``--new-inputs``); default ``""``.
    roster : autograder.pipeline.identity.Roster, optional
        The class list the typed ``MY_ID`` is checked against.
    require_sandbox : bool
        Refuse to run a notebook without bubblewrap (status ``error``) instead of
        running it with the weaker protections the machine has (which are recorded).

    Returns
    -------
    SubmissionResult
        Never raises for a problem of the submission; a problem of the course (no
        release, an unknown check id) gives status ``error`` with the reason.
    """
    started = time.perf_counter()
    limits = limits or Limits()
    folder = course.submission_dir(student, assignment)
    timestamp, digest = read_timestamp(folder), submission_hash(folder)  # the files as grading found them
    salt = (salts or {}).get(student, "")
    seed = int(rng_seed) if rng_seed is not None else inputs_seed(assignment, student, digest, salt)
    rng = np.random.default_rng(seed)
    graded, identity = [], None
    try:
        sources = course.source_notebooks(assignment)
        releases = course.release_notebooks(assignment)
        if not sources:
            raise ConvgradeError("source/%s has no notebooks" % assignment)
        missing = [name for name in sources if name not in releases]
        if missing:
            raise ConvgradeError("release/%s/%s.ipynb is missing; run `convgrade release %s`"
                                 % (assignment, missing[0], assignment))
        notebooks = [rebuild.rebuild_notebook(name, path, releases[name], folder / ("%s.ipynb" % name))
                     for name, path in sources.items()]
        if has_variants(assignment):
            identity = check_identity(student, typed_id([r.merged for r in notebooks if r.status == "graded"]),
                                      roster)
        for rebuilt in notebooks:
            graded.append(grade_notebook(course, assignment, student, rebuilt, rng, limits, require_sandbox,
                                         identity))
    except Exception as exc:  # a course problem or a bug: this submission gets status error
        log.exception("grading %s/%s failed", student, assignment)
        graded.append(NotebookResult("", "error", [], "%s: %s" % (type(exc).__name__, " ".join(str(exc).split()))))
    items = [item for notebook in graded for item in notebook.items]
    return SubmissionResult(
        student=student, assignment=assignment, status=worst_status([n.status for n in graded]),
        score=float(sum(i.score or 0.0 for i in items)), max_score=float(sum(i.max_score for i in items)),
        items=items, detail="; ".join(n.detail for n in graded if n.detail),
        protections=list(dict.fromkeys(p for n in graded for p in n.protections)),
        seconds=round(time.perf_counter() - started, 3),
        notebooks={n.name: nbformat.writes(n.notebook) for n in graded if n.notebook is not None},
        timestamp=timestamp, submission_hash=digest, rng_seed=seed, inputs_salt=salt,
        comments=[c for n in graded for c in n.comments],
        typed_id=identity.typed if identity else None, variant_id=identity.variant_id if identity else None,
        id_check=identity.check if identity else "", id_flag=_flag(student, identity, graded, items))


def grade_notebook(course, assignment, student, rebuilt, rng, limits, require_sandbox, identity=None):
    """Stages 2 to 4 and the feedback of one rebuilt notebook (stage 1 is the caller's):
    a :class:`NotebookResult`; a notebook that is missing or unreadable scores 0 with
    the reason as its feedback. ``identity`` (an ``IdCheck``) names whose numbers count."""
    if rebuilt.status != "graded":
        return NotebookResult(rebuilt.name, rebuilt.status, zero_items(rebuilt.source, rebuilt.name, rebuilt.problem),
                              rebuilt.detail,
                              rebuild.placeholder_notebook(rebuilt.source, rebuilt.release, rebuilt.problem))
    numbers_of = identity.variant_id if identity else student
    unplanned = copy.deepcopy(rng)  # the typed id's plan below draws the same random inputs
    plan = plan_notebook(rebuilt, numbers_of, rng)
    execution = execute_planned(course, assignment, numbers_of, rebuilt, plan, limits=limits,
                                require_sandbox=require_sandbox)
    scores = score_notebook(rebuilt, plan, execution)
    alternative = None
    if identity is not None and identity.check == "classmate":
        typed_plan = plan_notebook(rebuilt, identity.typed, unplanned)
        if typed_plan.kernel == plan.kernel:  # the same values were asked for: judge them against the typed numbers
            alternative = float(sum(i.score or 0.0 for i in score_notebook(rebuilt, typed_plan, execution).items))
    notebook, comments = feedback_notebook(rebuilt, execution, scores)
    if identity is not None:
        note_on_cell(notebook, "MY_ID", id_note(student, identity, rebuilt.lang))
    status = _EXECUTION_STATUS.get(execution.status, "error")
    return NotebookResult(rebuilt.name, status, list(scores.items), _detail(rebuilt, execution, status, scores.stray),
                          notebook, list(execution.protections), comments, alternative)


def _flag(student, identity, graded, items):
    """The teacher's line for a classmate's id typed, with the score the typed id's
    numbers would give (the same answers judged against them)."""
    line = flag_line(student, identity) if identity is not None else ""
    alternatives = [n.alternative for n in graded if n.alternative is not None]
    if line and alternatives:
        line += "; on %s's numbers it would score %g of %g" % (
            identity.typed, round(sum(alternatives), 3), sum(i.max_score for i in items))
    return line


def _detail(rebuilt, execution, status, stray):
    """The teacher's line about a notebook that ran: why it did not finish, records the
    grader ignored, answer cells the student's notebook lacked."""
    name = rebuilt.name
    detail = "" if status == "graded" else "%s.ipynb: %s" % (name, execution.detail)
    channel = "; ".join(filter(None, [
        "%d check result(s) written outside their check's own cell were ignored" % stray if stray else "",
        execution.channel_losses]))
    if channel:
        detail = "; ".join(filter(None, [detail, "%s.ipynb: %s" % (name, channel)]))
    if rebuilt.report.missing:
        detail = "; ".join(filter(None, [detail, "%s.ipynb lacks answer cells %s (release stubs used)"
                                         % (name, ", ".join(rebuilt.report.missing))]))
    return detail


def failed_result(course, assignment, student, status, detail, *, seconds=0.0):
    """A result for a submission that could not be graded at all (a grading worker died
    on it twice, a Dask task failed): every item at 0. The student reads a plain sentence in
    the notebook's language (``grading_failed``); ``detail``, the technical reason, is the teacher's."""
    folder = course.submission_dir(student, assignment)
    releases = course.release_notebooks(assignment)
    items, notebooks = [], {}
    for name, path in course.source_notebooks(assignment).items():
        source_nb = rebuild.read_teacher(path)
        message = language.phrase("grading_failed", rebuild.notebook_language(source_nb))
        items.extend(zero_items(source_nb, name, message))
        if name in releases:
            notebooks[name] = nbformat.writes(
                rebuild.placeholder_notebook(source_nb, rebuild.read_teacher(releases[name]), message))
    return SubmissionResult(student=student, assignment=assignment, status=status, score=0.0,
                            max_score=float(sum(i.max_score for i in items)), items=items, detail=detail,
                            seconds=seconds, notebooks=notebooks, timestamp=read_timestamp(folder),
                            submission_hash=submission_hash(folder))

