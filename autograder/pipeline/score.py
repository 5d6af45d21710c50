"""Stage 4, score: the records a notebook's kernel sent, judged (``docs/architecture.md``).

Only the records a test cell's own checks sent while that cell ran count
(:func:`sealed_records`); each check's records are decoded (plain dtypes and bounded
shapes only) and judged by the check's ``compare`` (:func:`score_check`). Then two
rules of the grader's own: a check whose records came more often than it ran earns
nothing (:func:`forged`), and a "write it yourself" check whose functions use a library
convolution in their source earns nothing (:func:`apply_library_scan`). A cell's score
is its nbgrader points times the share of its checks (several checks: their mean); a
test cell without checks follows nbgrader's rule (an error in its output: 0); a
manually graded answer follows ``nbgrader.utils.determine_grade`` (unchanged: 0,
otherwise left for the teacher).

:func:`score_check` is also what a stock nbgrader kernel runs for a hidden check
(``convgrade_kernel.check`` -> :mod:`autograder.pipeline.in_process`), so the notebook
stages (:mod:`autograder.pipeline.rebuild`: nbformat, nbconvert) and nbgrader are imported
by the functions that score whole notebooks, not with this module: at module level they
cost every stock-graded notebook 3.4-4.5 s of imports (measured 2026-12-06).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from autograder import language
from autograder.judging import registry
from autograder.judging.contract import describe_case, expected_exception
from autograder.judging.library_use import scan_answers
from autograder.records import CheckResult, ItemResult, Outcome
from convgrade_kernel import probe
from convgrade_kernel.codec import decode


@dataclass(frozen=True)
class Scores:
    """What the score stage found in one notebook.

    ``results`` ``{check id: CheckResult}``; ``items`` one :class:`ItemResult` per graded
    cell, in the notebook's order; ``cells`` ``{test cell index: (its ItemResult, its
    CheckResults)}`` for the feedback stage; ``stray`` how many records arrived outside
    their check's own cell (never scored).
    """

    results: dict
    items: tuple
    cells: dict
    stray: int = 0


# -------------------------------------------------------------------------- the records

def parse_records(lines):
    """The well-formed records among ``lines`` (bytes or str, one JSON object each).

    Lines that are not JSON objects with a string ``check`` and an int ``case`` are
    skipped (a student's code can write into the channel too)."""
    for line in lines:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and isinstance(record.get("check"), str) \
                and isinstance(record.get("case"), int):
            yield record


def iter_records(path):
    """The well-formed records of a results file, in the order written (see
    :func:`parse_records`); a missing file has none."""
    try:
        with open(path, "rb") as fh:
            yield from parse_records(fh)
    except FileNotFoundError:
        return


def read_records(path):
    """Parse the kernel's results file: ``{check_id: {case_index: record}}``.

    The last record of a case wins (the probe writes after anything the student's own
    code may have written)."""
    records: dict = {}
    for record in iter_records(path):
        records.setdefault(record["check"], {})[record["case"]] = record
    return records


def sealed_records(test_cells, lines_by_cell):
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
        for record in parse_records(lines):
            if record["check"] not in own:
                stray += 1
                continue
            records.setdefault(record["check"], {})[record["case"]] = record
            counts[(record["check"], record["case"])] += 1
    return records, counts, stray


# -------------------------------------------------------------------------- one check

def score_check(check_id, cases, records, unreached=()):
    """Judge the records a kernel sent for ``check_id`` against its ``cases``.

    Parameters
    ----------
    cases : list of Case
        What :func:`autograder.pipeline.plan.build_plan` drew for this check.
    records : dict
        ``{case_index: record}`` for this check (see :func:`read_records`).
    unreached : collection of str
        Variables a solution cell sets only below its ``raise NotImplementedError()``
        (:func:`autograder.pipeline.rebuild.unreached_answers`): their answers never ran.
    """
    check = registry.get(check_id)
    lang = check.lang
    outcomes, library_calls = [], set()
    for index, case in enumerate(cases):
        outcomes.append(_judge_record(check, case, records.get(index), library_calls, unreached))
    total = sum(c.weight for c in cases) or 1.0
    fraction = sum(o.fraction * c.weight for o, c in zip(outcomes, cases)) / total
    return CheckResult(check_id, check.title, lang, float(min(max(fraction, 0.0), 1.0)), outcomes,
                       sorted(library_calls), [describe_case(c, lang) for c in cases], check.audience)


def _judge_record(check, case, record, library_calls, unreached=()):
    """The Outcome of one case's record (None: it never arrived); adds the library
    convolutions the record shows to ``library_calls``."""
    lang, what, name = check.lang, describe_case(case, check.lang), case.call or case.value
    if record is None:
        return Outcome(0.0, language.phrase("never_reached", lang) % what)
    if not record.get("ok") and case.value and record.get("error") == "NameError":
        # a by-name answer that was never set: still the release's stub, or typed below it
        return Outcome(0.0, language.phrase("below_raise" if case.value in unreached else "no_value", lang)
                       % case.value)
    if not record.get("ok"):
        error = expected_exception(case)
        if error is not None and record.get("error") == error.__name__:
            return Outcome(1.0, language.phrase("raised_as_it_should", lang) % (what, error.__name__))
        return Outcome(0.0, language.phrase("raised", lang) % (
            what, record.get("error", "an error"), str(record.get("message", ""))[:300])
            + (language.phrase("should_raise", lang) % error.__name__ if error is not None else ""))
    if check.library_functions and probe.TRIPWIRE_REMOVED in record.get("library_calls", []):
        library_calls.add(probe.TRIPWIRE_REMOVED)
        return Outcome(0.0, language.phrase("tripwire_removed", lang) % name)
    used = [c for c in record.get("library_calls", []) if c in check.library_functions]
    if used:
        library_calls.update(used)
        return Outcome(0.0, language.phrase("library_called", lang) % (name, ", ".join(sorted(set(used)))))
    try:
        submitted = decode(record.get("value"))
        earlier = {k: decode(v) for k, v in record.get("also", {}).items() if k in case.also} \
            if case.also and isinstance(record.get("also"), dict) else None
    except Exception as exc:  # malformed data from a tampered results file
        return Outcome(0.0, language.phrase("unreadable_value", lang) % (what, type(exc).__name__))
    return check.compare(case, submitted, earlier) if case.also else check.compare(case, submitted)


def forged(result):
    """``result`` of a check whose records came more often than it ran (the notebook's
    own code wrote into the results channel): it earns nothing."""
    return replace(result, fraction=0.0, outcomes=[Outcome(0.0, language.phrase("results_forged", result.lang))])


def apply_library_scan(check, cases, result, library):
    """``result``, zeroed when ``check`` forbids library convolutions and a function its
    cases call reaches one in the answer cells' source (``library``: a
    :class:`autograder.judging.library_use.LibraryScan`)."""
    if not check.forbid_library:
        return result
    functions = sorted({c.call for c in cases if c.call})
    found = library.reachable(functions)
    if not found:
        return result
    message = language.phrase("library_in_source", check.lang) % (
        ", ".join(functions), "; ".join(f.describe() for f in found[:3]))
    return replace(result, fraction=0.0,
                   outcomes=[Outcome(0.0, message)] + [o for o in result.outcomes if o.fraction < 1],
                   library_calls=sorted(set(result.library_calls) | {f.name for f in found}))


# -------------------------------------------------------------------------- a notebook

def score_notebook(rebuilt, plan, execution):
    """The :class:`Scores` of a notebook that ran (stage 4).

    ``rebuilt`` (:class:`autograder.pipeline.rebuild.Rebuilt`) gives the cells,
    ``plan`` (:class:`autograder.pipeline.plan.Plan`) the cases, ``execution``
    (:class:`autograder.pipeline.execute.ExecutionResult`) the executed notebook and the
    records each cell sent.
    """
    from autograder.pipeline import rebuild
    executed, test_cells = execution.notebook, rebuilt.test_cells
    records, counts, stray = sealed_records(test_cells, execution.records)
    started = Counter(check_id for index, cell_ids in test_cells.items() for check_id in cell_ids
                      if executed is not None and executed.cells[index].get("execution_count") is not None)
    library = scan_answers([(rebuild.grade_id(c), c.source) for c in rebuilt.merged.cells if rebuild.is_solution(c)])
    unreached = rebuild.unreached_answers(rebuilt.merged)
    results = {}
    for check_id in plan.check_ids:
        cases = plan.cases[check_id]
        # records count only from checks whose test cell started, once per start: more means
        # the student's own code wrote into the results channel
        result = score_check(check_id, cases, records.get(check_id, {}) if started[check_id] else {}, unreached)
        if any(counts.get((check_id, i), 0) > started[check_id] for i in range(len(cases))):
            result = forged(result)
        results[check_id] = apply_library_scan(registry.get(check_id), cases, result, library)

    items, cells = [], {}
    for index, cell in enumerate(rebuilt.merged.cells):
        if not rebuild.is_grade(cell) and not rebuild.is_task(cell):
            continue
        if index in test_cells:
            cell_results = [results[i] for i in test_cells[index]]
            item = item_from_checks(rebuilt.name, rebuild.grade_id(cell), rebuild.points(cell), test_cells[index],
                                    cell_results)
            cells[index] = (item, cell_results)
        else:
            item = _item_without_checks(rebuilt.name, cell, executed.cells[index] if executed is not None else cell,
                                        rebuilt.lang)
        items.append(item)
    return Scores(results, tuple(items), cells, stray)


def item_from_checks(notebook, grade_id, points, check_ids, results):
    """The :class:`ItemResult` of a test cell that calls ``check_ids``: its points times
    the mean share of their ``results``, the most frequent misconception, their messages."""
    fraction = float(np.mean([r.fraction for r in results])) if results else 0.0
    misconceptions = Counter(o.misconception for r in results for o in r.outcomes
                             if o.misconception and o.fraction < 1)
    message = "\n".join(language.check_message(r) for r in results)
    return ItemResult(notebook, grade_id, list(check_ids), round(points * fraction, 6), points, fraction,
                      misconceptions.most_common(1)[0][0] if misconceptions else None, message)


def _item_without_checks(notebook, cell, ran, lang):
    """The :class:`ItemResult` of a graded cell that calls no check (``ran``: the cell as executed)."""
    from nbgrader import utils as nbutils

    from autograder.pipeline import rebuild
    gid, points = rebuild.grade_id(cell), rebuild.points(cell)
    if rebuild.is_test_cell(cell):  # a plain nbgrader test cell: its own outputs decide
        score, _ = nbutils.determine_grade(ran)
        return ItemResult(notebook, gid, [], score, points, None if score is None else score / (points or 1),
                          message="" if score else language.phrase("test_cell_error", lang))
    if rebuild.is_task(cell) or not rebuild.is_solution(cell):
        return ItemResult(notebook, gid, [], None, points, kind="task",
                          message=language.phrase("graded_by_teacher", lang))
    score, _ = nbutils.determine_grade(cell)  # a written or code answer graded by hand: nbgrader's rule
    return ItemResult(notebook, gid, [], score, points, kind="manual",
                      message=language.phrase("no_answer" if score == 0 else "graded_by_teacher", lang))


def zero_items(source_nb, notebook, message):
    """Every graded cell of ``source_nb`` at 0, each with ``message`` (a notebook that is
    missing, could not be read, or whose grading failed)."""
    from autograder.pipeline import rebuild
    items = []
    for cell in source_nb.cells:
        if rebuild.is_grade(cell) or rebuild.is_task(cell):
            checks = rebuild.check_ids(cell.source) if rebuild.is_test_cell(cell) else []
            items.append(ItemResult(notebook, rebuild.grade_id(cell), checks, 0.0, rebuild.points(cell),
                                    0.0, None, message,
                                    "autograded" if rebuild.is_test_cell(cell) else "manual"))
    return items
