"""Plan, execute and score one check inside the student's own kernel, for stock nbgrader.

Without a plan (``nbgrader autograde`` on a source notebook, or a teacher running the
notebook), ``convgrade_kernel.check`` imports this module and calls
:func:`run_in_process`. The cases go through the same probe, codec and
:func:`autograder.pipeline.score.score_check` as a sandboxed run, so a value is judged
identically either way.
"""
from __future__ import annotations

import json

import numpy as np

from autograder import language
from autograder.judging import registry
from autograder.pipeline.score import score_check
from convgrade_kernel import probe


def run_in_process(check_id, namespace, student=None, rng=None):
    """Run a check inside the current kernel and raise AssertionError, with the message a
    student would read, on a shortfall; returns the CheckResult otherwise."""
    if student is None:
        student = probe.student_id(str(namespace.get("STUDENT_ID", "") or ""))
    rng = np.random.default_rng() if rng is None else rng
    check = registry.get(check_id)
    cases = check.cases(rng, student)
    records = {i: probe._run_case(check_id, i, json.loads(json.dumps(c.plan_entry())), namespace,
                                  check.library_functions)
               for i, c in enumerate(cases)}
    records = json.loads(json.dumps(records, allow_nan=True))  # exactly what a file would carry
    result = score_check(check_id, cases, {int(k): v for k, v in records.items()})
    if not result.passed:
        raise AssertionError(language.check_message(result))
    return result
