"""Stage 2, plan: draw the cases of a notebook's checks (``docs/architecture.md``).

Each check draws its cases: random inputs for code items, the student's variant (the
numbers of the id :mod:`autograder.pipeline.identity` settles on) for by-hand items. The
random inputs come from :func:`inputs_seed`: the same file always meets the same inputs,
so grading it again gives the same score; only ``--new-inputs`` (a new salt) changes them.
The kernel-visible part (function name, inputs; never expected values) becomes the plan the
kernel reads; the cases, with their expected values, stay in the grader for scoring.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from autograder.judging import registry


@dataclass(frozen=True)
class Plan:
    """The drawn cases of a notebook's checks.

    ``check_ids`` in the order the test cells call them; ``kernel`` the JSON-ready plan
    for the kernel; ``cases`` ``{check id: [Case, ...]}`` for the score stage.
    """

    check_ids: tuple
    kernel: dict
    cases: dict


def build_plan(check_ids, student, rng):
    """Draw the cases of ``check_ids`` for ``student``.

    Returns
    -------
    plan : dict
        JSON-ready ``{"checks": {id: {"cases": [...], "library_functions": [...]}}}`` for
        the kernel (written to the file that ``CONVGRADE_PLAN`` names).
    cases : dict
        ``{id: [Case, ...]}``, kept by the grader to score the records against.
    """
    plan, cases = {"checks": {}}, {}
    for check_id in check_ids:
        check = registry.get(check_id)
        drawn = check.cases(rng, student)
        cases[check_id] = drawn
        plan["checks"][check_id] = {"cases": [c.plan_entry() for c in drawn],
                                    "library_functions": check.library_functions}
    return plan, cases


def plan_notebook(rebuilt, student, rng):
    """The :class:`Plan` of a rebuilt notebook (:class:`autograder.pipeline.rebuild.Rebuilt`):
    every check its test cells call, each once, for ``student``."""
    ids = tuple(dict.fromkeys(i for cell_ids in rebuilt.test_cells.values() for i in cell_ids))
    kernel, cases = build_plan(ids, student, rng)
    return Plan(ids, kernel, cases)


def inputs_seed(assignment, student, submission_hash, salt=""):
    """The 63-bit seed of a submission's random inputs: SHA-256 of ``assignment``, the
    filed ``student``, the submitted files' ``submission_hash`` and ``salt`` (``""``
    until the teacher asks for new inputs). A changed file gets new inputs; an
    unchanged one the same, on any machine."""
    text = "convgrade-inputs\0%s\0%s\0%s\0%s" % (assignment, student, submission_hash, salt)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little") >> 1
