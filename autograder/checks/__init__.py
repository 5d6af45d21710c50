"""Grader-side checks: what to collect from a student's kernel and how to judge it.

A hidden test cell says only ``convgrade_kernel.check("ps2.conv2d", globals())``.
The check with that id lives here, in the grader's process, and has two halves:

- :meth:`Check.cases` draws the inputs (fresh at grading time, or from the student's
  variant) and computes each expected value with ``reference``;
- :meth:`Check.compare` judges one decoded student value against one case and returns
  an :class:`Outcome` with a share of the marks and a message the student can act on.

Between the halves the student's kernel runs the cases (``convgrade_kernel.probe``);
only plain data crosses. The same code scores a sandboxed run (:func:`score`, from
the records the kernel wrote) and an in-process run under stock nbgrader
(:func:`run_in_process`), so the two can never disagree.

Checks register themselves in one module per assignment (``autograder/checks/ps2.py``
holds every ``ps2.*`` check); :func:`get` imports that module on first use.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.phrases import phrase
from convgrade_kernel import probe
from convgrade_kernel.codec import decode, encode

#: Library convolutions a "write it yourself" item may not call (watched at run time;
#: the grader also scans the answer cells' source).
LIBRARY_CONVOLUTIONS = (
    "numpy.convolve", "numpy.correlate",
    "scipy.signal.convolve", "scipy.signal.correlate", "scipy.signal.convolve2d",
    "scipy.signal.correlate2d", "scipy.signal.fftconvolve", "scipy.signal.oaconvolve",
    "scipy.ndimage.convolve", "scipy.ndimage.correlate", "scipy.ndimage.convolve1d",
    "scipy.ndimage.correlate1d",
    "torch.nn.functional.conv1d", "torch.nn.functional.conv2d", "torch.nn.functional.conv3d",
    "torch.conv1d", "torch.conv2d", "torch.conv3d",
)


@dataclass
class Case:
    """One thing to collect from the student's kernel, with its expected value.

    Exactly one of ``call`` (a function name, called with ``args``/``kwargs``) and
    ``value`` (a variable name) is set. ``expected`` and ``context`` never leave the
    grader. ``describe`` is shown to the student, so it must not reveal hidden inputs.
    ``expected`` may be an exception class (``ValueError``): the call must raise it.
    """

    call: str | None = None
    value: str | None = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    context: dict = field(default_factory=dict)
    describe: str = ""
    weight: float = 1.0

    def plan_entry(self):
        """The JSON-ready form the kernel sees (no expected value, no context)."""
        if self.call:
            return {"call": self.call, "args": [encode(a) for a in self.args],
                    "kwargs": {k: encode(v) for k, v in self.kwargs.items()}}
        return {"value": self.value}


@dataclass
class Outcome:
    """The judgement of one case: a share of its marks and why.

    ``misconception`` names an entry of ``autograder.diagnosis`` when one explains the
    answer; ``expected``/``submitted`` are kept for a feedback figure (feature maps).
    """

    fraction: float
    message: str
    misconception: str | None = None
    expected: Any = None
    submitted: Any = None


@dataclass
class CheckResult:
    """A whole check: the weighted share of its cases, and each case's outcome.

    ``labels`` says which case each outcome judges (student-safe, as in :func:`_what`).
    """

    check_id: str
    fraction: float
    outcomes: list
    library_calls: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    #: at most this many case lines in a message; the rest are counted
    MAX_LINES = 6

    @property
    def passed(self):
        return self.fraction >= 1.0 - 1e-12

    def message(self):
        """The student-facing summary: a headline, then one line per case not fully right.

        A misconception is explained once; later cases it explains are listed briefly."""
        check = get(self.check_id)
        lang = check.lang
        right = sum(1 for o in self.outcomes if o.fraction >= 1.0 - 1e-12)
        lines = [phrase("headline", lang) % (check.title, right, len(self.outcomes), 100 * self.fraction)]
        explained, seen, hidden = set(), set(), 0
        labels = self.labels or [""] * len(self.outcomes)
        for label, outcome in zip(labels, self.outcomes):
            if outcome.fraction >= 1.0 - 1e-12 or outcome.message in seen:
                continue
            seen.add(outcome.message)
            if len(lines) > self.MAX_LINES:
                hidden += 1
            elif outcome.misconception and outcome.misconception in explained and label:
                lines.append("- " + phrase("same_mistake", lang) % label)
            else:
                lines.append("- " + outcome.message)
            if outcome.misconception:
                explained.add(outcome.misconception)
        if hidden:
            lines.append("- " + phrase("more_cases_plural" if hidden > 1 else "more_cases", lang) % hidden)
        return "\n".join(lines)


class Check:
    """Base class of a grader-side check. Subclasses set ``id``, ``title`` and implement
    :meth:`cases` and :meth:`compare`."""

    id: str = ""
    title: str = ""
    #: The language of the check's messages (:data:`autograder.phrases.LANGUAGES`).
    lang: str = "en"
    forbid_library: bool = False

    def cases(self, rng: np.random.Generator, student: str) -> list:
        raise NotImplementedError

    def compare(self, case: Case, submitted) -> Outcome:
        raise NotImplementedError

    @property
    def library_functions(self):
        return list(LIBRARY_CONVOLUTIONS) if self.forbid_library else []


_REGISTRY: dict = {}


def register(check_class):
    """Class decorator: instantiate and register a :class:`Check` by its ``id``."""
    instance = check_class()
    if not instance.id or "." not in instance.id:
        raise ValueError("register: check id %r must look like '<assignment>.<item>'" % instance.id)
    _REGISTRY[instance.id] = instance
    return check_class


def get(check_id):
    """Return the registered check ``check_id``, importing its assignment's module."""
    if check_id not in _REGISTRY:
        assignment = check_id.split(".", 1)[0]
        try:
            importlib.import_module("autograder.checks." + assignment)
        except ModuleNotFoundError as exc:
            raise KeyError("no checks for assignment %r (looked for autograder.checks.%s)"
                           % (assignment, assignment)) from exc
    try:
        return _REGISTRY[check_id]
    except KeyError:
        known = ", ".join(sorted(k for k in _REGISTRY if k.startswith(check_id.split(".")[0])))
        raise KeyError("unknown check %r (known: %s)" % (check_id, known)) from None


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
        check = get(check_id)
        drawn = check.cases(rng, student)
        cases[check_id] = drawn
        plan["checks"][check_id] = {"cases": [c.plan_entry() for c in drawn],
                                    "library_functions": check.library_functions}
    return plan, cases


def libraries_needed(check_ids):
    """Banned packages the assignments of ``check_ids`` still need in the sandbox: the
    union of their checks modules' ``LIBRARIES_NEEDED`` (see
    :mod:`autograder.library_absence`)."""
    needed = set()
    for assignment in sorted({check_id.split(".", 1)[0] for check_id in check_ids}):
        needed.update(getattr(importlib.import_module("autograder.checks." + assignment), "LIBRARIES_NEEDED", ()))
    return sorted(needed)


def any_forbids_library(check_ids):
    """Whether one of ``check_ids`` is a "write it yourself" item."""
    return any(get(check_id).forbid_library for check_id in check_ids)


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


def score(check_id, cases, records):
    """Judge the records a kernel wrote for ``check_id`` against its ``cases``.

    Parameters
    ----------
    cases : list of Case
        What :func:`build_plan` drew for this check.
    records : dict
        ``{case_index: record}`` for this check (see :func:`read_records`).
    """
    check = get(check_id)
    outcomes, library_calls = [], set()
    for index, case in enumerate(cases):
        record = records.get(index)
        name = case.call or case.value
        if record is None:
            outcomes.append(Outcome(0.0, "%s was never reached: an earlier error, a time-out or "
                                         "the kernel stopping ended the run first." % _what(case)))
            continue
        if not record.get("ok"):
            error = expected_exception(case)
            if error is not None and record.get("error") == error.__name__:
                outcomes.append(Outcome(1.0, "%s raised %s, as it should." % (_what(case), error.__name__)))
                continue
            outcomes.append(Outcome(0.0, "%s raised %s: %s%s" % (
                _what(case), record.get("error", "an error"), str(record.get("message", ""))[:300],
                "; it should raise %s" % error.__name__ if error is not None else "")))
            continue
        if check.library_functions and probe.TRIPWIRE_REMOVED in record.get("library_calls", []):
            library_calls.add(probe.TRIPWIRE_REMOVED)
            outcomes.append(Outcome(0.0, "%s switched off the grader's check for library convolutions "
                                         "(sys.setprofile), so it earns nothing." % name))
            continue
        used = [c for c in record.get("library_calls", []) if c in check.library_functions]
        if used:
            library_calls.update(used)
            outcomes.append(Outcome(0.0, "%s called the library convolution %s; this item asks "
                                         "you to write it yourself, so it earns nothing."
                                         % (name, ", ".join(sorted(set(used))))))
            continue
        try:
            submitted = decode(record.get("value"))
        except Exception as exc:  # malformed data from a tampered results file
            outcomes.append(Outcome(0.0, "%s gave a value that could not be read (%s)."
                                         % (_what(case), type(exc).__name__)))
            continue
        outcomes.append(check.compare(case, submitted))
    total = sum(c.weight for c in cases) or 1.0
    fraction = sum(o.fraction * c.weight for o, c in zip(outcomes, cases)) / total
    return CheckResult(check_id, float(min(max(fraction, 0.0), 1.0)), outcomes, sorted(library_calls),
                       [_what(c) for c in cases])


def run_in_process(check_id, namespace, student=None, rng=None):
    """Run a check inside the current kernel (stock nbgrader) and raise on a shortfall.

    The cases go through the same probe and codec as a sandboxed run, so a value is
    judged identically either way.
    """
    if student is None:
        student = probe.student_id(str(namespace.get("STUDENT_ID", "") or ""))
    rng = np.random.default_rng() if rng is None else rng
    check = get(check_id)
    cases = check.cases(rng, student)
    records = {i: probe._run_case(check_id, i, json.loads(json.dumps(c.plan_entry())), namespace,
                                  check.library_functions)
               for i, c in enumerate(cases)}
    records = json.loads(json.dumps(records, allow_nan=True))  # exactly what a file would carry
    result = score(check_id, cases, {int(k): v for k, v in records.items()})
    if not result.passed:
        raise AssertionError(result.message())
    return result


def expected_exception(case):
    """The exception class a case expects its call to raise (``Case(expected=ValueError)``),
    or None. A record whose ``error`` names that class earns the case in full; a value
    returned instead goes to the check's ``compare``, which must say it should have raised."""
    expected = case.expected
    if isinstance(expected, type) and issubclass(expected, BaseException):
        return expected
    return None


def _what(case):
    if case.call:
        return "%s(%s)" % (case.call, case.describe) if case.describe else "%s(...)" % case.call
    return "the variable %s" % case.value
