"""Grade one submission: rebuild, plan, execute, score (architecture, steps 1-4).

:func:`grade_submission` is a pure function of the course's files and the random
draw of the hidden inputs: it reads ``source/``, ``release/`` and
``submitted/STUDENT/NAME/``, runs each notebook in the students' kernel (through
:func:`autograder.execute.execute_notebook`, in a temporary working directory deleted
afterwards), and returns a :class:`SubmissionResult` - plain data, the autograded
notebooks included as JSON text. It writes nothing to the gradebook or the course:
the coordinating process does that once (:mod:`autograder.store`), which is what
lets workers, processes and Dask run it anywhere.

Scores (step 4): an autograded test cell that calls checks earns its nbgrader points
times the mean share of its checks (:func:`autograder.checks.score`); a check that
forbids library convolutions earns nothing when the answer cells' source uses one
(:mod:`autograder.library_use`); a test cell without checks follows nbgrader's rule
(an error in its output: 0); a manually graded answer follows
``nbgrader.utils.determine_grade`` (unchanged: 0, otherwise left for the teacher).
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbgrader import utils as nbutils

from autograder import checks as checks_api
from autograder import rebuild
from autograder.course import read_timestamp
from autograder.errors import ConvgradeError, CorruptNotebook
from autograder.execute import Limits, execute_notebook
from autograder.library_absence import absent_libraries
from autograder.library_use import scan_answers
from autograder.results_channel import RESULTS_NAME
from autograder.phrases import phrase
from autograder.scratch import remove_tree

log = logging.getLogger(__name__)

#: Submission statuses, from best to worst; a submission takes its worst notebook's.
STATUSES = ("graded", "missing", "corrupt", "timeout", "crashed", "error")
_EXECUTION_STATUS = {"ok": "graded", "timeout": "timeout", "crashed": "crashed", "error": "error"}


@dataclass
class ItemResult:
    """One graded cell of a submission.

    ``score`` is None when the cell waits for the teacher (a written answer);
    ``fraction`` is the share of the checks earned (None for non-check cells).
    """

    notebook: str
    grade_id: str
    check_ids: list
    score: float | None
    max_score: float
    fraction: float | None = None
    misconception: str | None = None
    message: str = ""
    kind: str = "autograded"  # autograded | manual | task


@dataclass
class SubmissionResult:
    """What grading one student's submission of one assignment produced.

    ``notebooks`` maps a notebook name to its autograded notebook (JSON text) for
    :mod:`autograder.store` to write; ``submission_hash`` identifies the submitted files
    (a re-collected submission grades again); ``rng_seed`` reproduces the hidden inputs.
    """

    student: str
    assignment: str
    status: str
    score: float
    max_score: float
    items: list = field(default_factory=list)
    detail: str = ""
    protections: list = field(default_factory=list)
    seconds: float = 0.0
    notebooks: dict = field(default_factory=dict)
    timestamp: str | None = None
    submission_hash: str = ""
    rng_seed: int | None = None
    comments: list = field(default_factory=list)  # (notebook, grade_id, nbgrader auto comment or None)

    def to_dict(self):
        return asdict(self)


def grade_submission(course, assignment, student, *, limits=None, rng_seed=None, require_sandbox=False):
    """Grade ``student``'s submission of ``assignment``.

    Parameters
    ----------
    course : autograder.course.Course
    assignment, student : str
        The submission is ``submitted/STUDENT/ASSIGNMENT/``; ``student`` is also the
        id whose variant is regenerated and the ``CONVGRADE_STUDENT`` of the kernel.
    limits : autograder.execute.Limits, optional
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
    result = SubmissionResult(student=student, assignment=assignment, status="graded", score=0.0,
                              max_score=0.0, rng_seed=seed, timestamp=read_timestamp(folder),
                              submission_hash=submission_hash(folder))
    rng = np.random.default_rng(seed)
    statuses, details = [], []
    try:
        sources = course.source_notebooks(assignment)
        releases = course.release_notebooks(assignment)
        if not sources:
            raise ConvgradeError("source/%s has no notebooks" % assignment)
        for name, source_path in sources.items():
            if name not in releases:
                raise ConvgradeError("release/%s/%s.ipynb is missing; run `convgrade release %s`"
                                     % (assignment, name, assignment))
            outcome = _grade_notebook(course, assignment, student, name, source_path, releases[name],
                                      folder / ("%s.ipynb" % name), rng, limits, require_sandbox)
            statuses.append(outcome.status)
            if outcome.detail:
                details.append(outcome.detail)
            result.items.extend(outcome.items)
            result.comments.extend(outcome.comments)
            if outcome.notebook is not None:
                result.notebooks[name] = nbformat.writes(outcome.notebook)
            for protection in outcome.protections:
                if protection not in result.protections:
                    result.protections.append(protection)
    except Exception as exc:  # a course problem or a bug: this submission gets status error
        log.exception("grading %s/%s failed", student, assignment)
        statuses.append("error")
        details.append("%s: %s" % (type(exc).__name__, " ".join(str(exc).split())))
    result.status = max(statuses or ["error"], key=STATUSES.index)
    result.detail = "; ".join(details)
    result.score = float(sum(i.score or 0.0 for i in result.items))
    result.max_score = float(sum(i.max_score for i in result.items))
    result.seconds = round(time.perf_counter() - started, 3)
    return result


@dataclass
class _NotebookOutcome:
    status: str
    items: list
    detail: str = ""
    notebook: object = None
    protections: list = field(default_factory=list)
    comments: list = field(default_factory=list)


def _grade_notebook(course, assignment, student, name, source_path, release_path, submitted_path, rng, limits,
                    require_sandbox):
    source_nb = rebuild.read_teacher(source_path)
    release_nb = rebuild.read_teacher(release_path)
    lang = notebook_language(source_nb)
    if not submitted_path.is_file():
        message = phrase("not_submitted", lang) % name
        return _NotebookOutcome("missing", _zero_items(source_nb, name, message), "%s.ipynb missing" % name,
                                rebuild.placeholder_notebook(source_nb, release_nb, message))
    try:
        submitted = rebuild.read_submitted(submitted_path)
        merged, report = rebuild.merge_answers(source_nb, submitted, release_nb, notebook="%s.ipynb" % name)
    except CorruptNotebook as exc:
        return _NotebookOutcome("corrupt", _zero_items(source_nb, name, str(exc)), str(exc),
                                rebuild.placeholder_notebook(source_nb, release_nb, str(exc)))
    executable, test_cells = rebuild.execution_notebook(merged)
    ids = list(dict.fromkeys(i for cell_ids in test_cells.values() for i in cell_ids))
    plan, cases = checks_api.build_plan(ids, student, rng)

    workdir = Path(tempfile.mkdtemp(prefix="convgrade-%s-" % _safe(student)))
    try:
        for rel, path in course.source_files(assignment).items():
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, workdir / rel)
        plan_path, results_path = workdir / "plan.json", workdir / RESULTS_NAME
        plan["case_seconds"] = limits.cell_timeout
        plan_path.write_text(json.dumps(plan, allow_nan=True), encoding="utf-8")
        env = {"CONVGRADE_PLAN": str(plan_path), "CONVGRADE_RESULTS": str(results_path),
               "CONVGRADE_STUDENT": student}
        hidden = (absent_libraries(source_nb, course.student_python, checks_api.libraries_needed(ids))
                  if checks_api.any_forbids_library(ids) else {})
        execution = execute_notebook(executable, workdir, env=env, limits=limits,
                                     kernel_python=course.student_python, require_sandbox=require_sandbox,
                                     results_path=results_path, hidden_modules=hidden)
    finally:
        remove_tree(workdir)
    executed = execution.notebook
    records, counts, stray = _sealed_records(test_cells, execution.records)
    started = Counter(check_id for index, cell_ids in test_cells.items() for check_id in cell_ids
                      if executed is not None and executed.cells[index].get("execution_count") is not None)

    answers = [(rebuild.grade_id(c), c.source) for c in merged.cells if rebuild.is_solution(c)]
    library = scan_answers(answers)
    results = {}
    for check_id in ids:
        # records count only from checks whose test cell started, once per start: more means
        # the student's own code wrote into the results file
        found = records.get(check_id, {}) if started[check_id] else {}
        results[check_id] = checks_api.score(check_id, cases[check_id], found)
        if any(counts.get((check_id, i), 0) > started[check_id] for i in range(len(cases[check_id]))):
            results[check_id].fraction = 0.0
            results[check_id].outcomes = [checks_api.Outcome(
                0.0, "the results of this check were written more often than it ran: code in the notebook "
                     "wrote into the grader's results file, so the check earns nothing")]
        _apply_library_scan(check_id, cases[check_id], results[check_id], library)

    items, feedback = [], {}
    for index, cell in enumerate(merged.cells):
        if not rebuild.is_grade(cell) and not rebuild.is_task(cell):
            continue
        gid, points = rebuild.grade_id(cell), float(cell.metadata["nbgrader"].get("points", 0) or 0)
        if index in test_cells:
            cell_results = [results[i] for i in test_cells[index]]
            item = _item_from_checks(name, gid, points, test_cells[index], cell_results)
            feedback[index] = _feedback_outputs(item, cell_results, lang)
        elif rebuild.is_test_cell(cell):  # a plain nbgrader test cell: its own outputs decide
            ran = executed.cells[index] if executed is not None else cell
            score, _ = nbutils.determine_grade(ran)
            item = ItemResult(name, gid, [], score, points, None if score is None else score / (points or 1),
                              message="" if score else phrase("test_cell_error", lang))
        elif rebuild.is_task(cell) or not rebuild.is_solution(cell):
            item = ItemResult(name, gid, [], None, points, kind="task",
                              message=phrase("graded_by_teacher", lang))
        else:  # a written or code answer graded by hand: nbgrader's rule
            score, _ = nbutils.determine_grade(cell)
            item = ItemResult(name, gid, [], score, points, kind="manual",
                              message=phrase("no_answer" if score == 0 else "graded_by_teacher", lang))
        items.append(item)
    status = _EXECUTION_STATUS.get(execution.status, "error")
    detail = "" if status == "graded" else "%s.ipynb: %s" % (name, execution.detail)
    channel = "; ".join(filter(None, [
        "%d check result(s) written outside their check's own cell were ignored" % stray if stray else "",
        execution.channel_losses]))
    if channel:
        detail = "; ".join(filter(None, [detail, "%s.ipynb: %s" % (name, channel)]))
    if report.missing:
        detail = "; ".join(filter(None, [detail, "%s.ipynb lacks answer cells %s (release stubs used)"
                                         % (name, ", ".join(report.missing))]))
    notebook = rebuild.autograded_notebook(merged, executed, feedback)
    comments = [(name, rebuild.grade_id(c), phrase("no_response", lang) if _unchanged(c) else None)
                for c in merged.cells if rebuild.is_solution(c) or rebuild.is_task(c)]
    return _NotebookOutcome(status, items, detail, notebook, list(execution.protections), comments)


def _unchanged(cell):
    """nbgrader's SaveAutoGrades rule: an answer cell whose checksum is the release's."""
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    return bool(checksum) and checksum == nbutils.compute_checksum(cell) and not rebuild.is_task(cell)


def _apply_library_scan(check_id, cases, result, library):
    """Zero a ``forbid_library`` check whose called functions use a library convolution."""
    if not checks_api.get(check_id).forbid_library:
        return
    functions = sorted({c.call for c in cases if c.call})
    found = library.reachable(functions)
    if not found:
        return
    message = ("%s uses the library convolution %s; this item asks you to write it yourself, so it "
               "earns nothing." % (", ".join(functions), "; ".join(f.describe() for f in found[:3])))
    result.fraction = 0.0
    result.outcomes = [checks_api.Outcome(0.0, message)] + [o for o in result.outcomes if o.fraction < 1]
    result.library_calls = sorted(set(result.library_calls) | {f.name for f in found})


def _item_from_checks(notebook, grade_id, points, check_ids, results):
    fraction = float(np.mean([r.fraction for r in results])) if results else 0.0
    misconceptions = Counter(o.misconception for r in results for o in r.outcomes
                             if o.misconception and o.fraction < 1)
    message = "\n".join(r.message() for r in results)
    return ItemResult(notebook, grade_id, list(check_ids), round(points * fraction, 6), points, fraction,
                      misconceptions.most_common(1)[0][0] if misconceptions else None, message)


def notebook_language(nb):
    """The language of a notebook's feedback: that of most of the checks its test cells
    call (``"en"`` when it calls none)."""
    langs = Counter()
    for cell in nb.cells:
        if cell.cell_type == "code" and rebuild.is_test_cell(cell):
            for check_id in rebuild.check_ids(cell.source):
                try:
                    langs[checks_api.get(check_id).lang] += 1
                except KeyError:  # an unknown id is reported where the check is run
                    pass
    return langs.most_common(1)[0][0] if langs else "en"


def _feedback_outputs(item, results, lang="en"):
    """What a test cell shows in the autograded notebook: the score line, each check's
    message, and a figure of expected vs submitted for a wrong feature map."""
    from autograder.feedback import feature_map_figure, misconception_text

    text = (phrase("score", lang) + "\n%s\n") % (round(item.score, 2), item.max_score, item.message)
    if item.misconception:
        text += "\n" + phrase("likely_misconception", lang) % misconception_text(item.misconception, lang) + "\n"
    outputs = [{"output_type": "stream", "name": "stdout", "text": text}]
    for result in results:
        for outcome in result.outcomes:
            if outcome.fraction < 1 and outcome.expected is not None and outcome.submitted is not None:
                png = feature_map_figure(outcome.expected, outcome.submitted)
                if png:
                    outputs.append({"output_type": "display_data", "metadata": {},
                                    "data": {"image/png": png,
                                             "text/plain": "<expected vs submitted feature map>"}})
                    break  # one figure per check is enough to see the pattern
    return outputs


def failed_result(course, assignment, student, status, detail, *, seconds=0.0):
    """A result for a submission that could not be graded at all (a grading worker died
    on it twice, a Dask task failed): every item at 0, the reason as feedback."""
    result = SubmissionResult(student=student, assignment=assignment, status=status, score=0.0, max_score=0.0,
                              detail=detail, seconds=seconds,
                              timestamp=read_timestamp(course.submission_dir(student, assignment)),
                              submission_hash=submission_hash(course.submission_dir(student, assignment)))
    releases = course.release_notebooks(assignment)
    for name, path in course.source_notebooks(assignment).items():
        source_nb = rebuild.read_teacher(path)
        result.items.extend(_zero_items(source_nb, name, detail))
        if name in releases:
            result.notebooks[name] = nbformat.writes(
                rebuild.placeholder_notebook(source_nb, rebuild.read_teacher(releases[name]), detail))
    result.max_score = float(sum(i.max_score for i in result.items))
    return result


def _zero_items(source_nb, notebook, message):
    """Every graded cell of ``source_nb`` at 0 (a missing or unreadable notebook)."""
    items = []
    for cell in source_nb.cells:
        if rebuild.is_grade(cell) or rebuild.is_task(cell):
            checks = rebuild.check_ids(cell.source) if rebuild.is_test_cell(cell) else []
            items.append(ItemResult(notebook, rebuild.grade_id(cell), checks, 0.0,
                                    float(cell.metadata["nbgrader"].get("points", 0) or 0),
                                    0.0, None, message,
                                    "autograded" if rebuild.is_test_cell(cell) else "manual"))
    return items


def _sealed_records(test_cells, lines_by_cell):
    """The records each test cell's own checks sent while that cell ran.

    Returns ``(records, counts, stray)``: ``{check id: {case index: record}}`` (the last
    record of a case wins), ``{(check id, case index): number of records}`` (the probe
    sends one per case each time a check runs; more means the notebook's own code wrote
    into the channel), and how many records arrived anywhere else (in another cell, or
    naming a check the cell does not call): those are never scored.
    """
    records, counts, stray = {}, Counter(), 0
    for index, lines in sorted(lines_by_cell.items()):
        own = set(test_cells.get(index, ()))
        for record in checks_api.parse_records(lines):
            if record["check"] not in own:
                stray += 1
                continue
            records.setdefault(record["check"], {})[record["case"]] = record
            counts[(record["check"], record["case"])] += 1
    return records, counts, stray


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


def _safe(text):
    return "".join(ch if ch.isalnum() else "_" for ch in text)[:40]
