"""Grade one submission: the stages of ``docs/architecture.md``, notebook by notebook.

:func:`grade_submission` is a pure function of the course's files and the random
draw of the hidden inputs: it reads ``source/``, ``release/`` and
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

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from autograder.course import read_timestamp
from autograder.errors import ConvgradeError
from autograder.pipeline import rebuild
from autograder.pipeline.execute import Limits, execute_planned
from autograder.pipeline.feedback import feedback_notebook
from autograder.pipeline.plan import plan_notebook
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


def grade_submission(course, assignment, student, *, limits=None, rng_seed=None, require_sandbox=False):
    """Grade ``student``'s submission of ``assignment``.

    Parameters
    ----------
    course : autograder.course.Course
    assignment, student : str
        The submission is ``submitted/STUDENT/ASSIGNMENT/``; ``student`` is also the
        id whose variant is regenerated and the ``CONVGRADE_STUDENT`` of the kernel.
    limits : autograder.pipeline.execute.Limits, optional
        Time, memory and output limits of the students' kernel.
    rng_seed : int, optional
        Seed of the hidden inputs; default: fresh entropy (recorded in the result).
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
    seed = int(rng_seed) if rng_seed is not None else secrets.randbits(63)
    folder = course.submission_dir(student, assignment)
    timestamp, digest = read_timestamp(folder), submission_hash(folder)  # the files as grading found them
    rng = np.random.default_rng(seed)
    graded = []
    try:
        sources = course.source_notebooks(assignment)
        releases = course.release_notebooks(assignment)
        if not sources:
            raise ConvgradeError("source/%s has no notebooks" % assignment)
        for name, source_path in sources.items():
            if name not in releases:
                raise ConvgradeError("release/%s/%s.ipynb is missing; run `convgrade release %s`"
                                     % (assignment, name, assignment))
            rebuilt = rebuild.rebuild_notebook(name, source_path, releases[name], folder / ("%s.ipynb" % name))
            graded.append(grade_notebook(course, assignment, student, rebuilt, rng, limits, require_sandbox))
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
        timestamp=timestamp, submission_hash=digest, rng_seed=seed,
        comments=[c for n in graded for c in n.comments])


def grade_notebook(course, assignment, student, rebuilt, rng, limits, require_sandbox):
    """Stages 2 to 4 and the feedback of one rebuilt notebook (stage 1 is the caller's):
    a :class:`NotebookResult`; a notebook that is missing or unreadable scores 0 with
    the reason as its feedback."""
    if rebuilt.status != "graded":
        return NotebookResult(rebuilt.name, rebuilt.status, zero_items(rebuilt.source, rebuilt.name, rebuilt.problem),
                              rebuilt.detail,
                              rebuild.placeholder_notebook(rebuilt.source, rebuilt.release, rebuilt.problem))
    plan = plan_notebook(rebuilt, student, rng)
    execution = execute_planned(course, assignment, student, rebuilt, plan, limits=limits,
                                require_sandbox=require_sandbox)
    scores = score_notebook(rebuilt, plan, execution)
    notebook, comments = feedback_notebook(rebuilt, execution, scores)
    status = _EXECUTION_STATUS.get(execution.status, "error")
    return NotebookResult(rebuilt.name, status, list(scores.items), _detail(rebuilt, execution, status, scores.stray),
                          notebook, list(execution.protections), comments)


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
    on it twice, a Dask task failed): every item at 0, the reason as feedback."""
    folder = course.submission_dir(student, assignment)
    releases = course.release_notebooks(assignment)
    items, notebooks = [], {}
    for name, path in course.source_notebooks(assignment).items():
        source_nb = rebuild.read_teacher(path)
        items.extend(zero_items(source_nb, name, detail))
        if name in releases:
            notebooks[name] = nbformat.writes(
                rebuild.placeholder_notebook(source_nb, rebuild.read_teacher(releases[name]), detail))
    return SubmissionResult(student=student, assignment=assignment, status=status, score=0.0,
                            max_score=float(sum(i.max_score for i in items)), items=items, detail=detail,
                            seconds=seconds, notebooks=notebooks, timestamp=read_timestamp(folder),
                            submission_hash=submission_hash(folder))


def submission_hash(folder):
    """SHA-256 over a submission's notebooks and timestamp (name and bytes, sorted)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and (path.suffix == ".ipynb" or path.name == "timestamp.txt"):
                digest.update(path.name.encode("utf-8") + b"\0")
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
                digest.update(b"\0")
    return digest.hexdigest()
