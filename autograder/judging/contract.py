"""The check contract: what to collect from a student's kernel and how to judge it.

A hidden test cell says only ``convgrade_kernel.check("ps2.conv2d", globals())``.
The check with that id lives in the grader's process (one module per assignment in
:mod:`autograder.judging.checks`, found by :mod:`autograder.judging.registry`) and has
two halves:

- :meth:`Check.cases` draws the inputs (fresh at grading time, or from the student's
  variant) and computes each expected value with ``reference``;
- :meth:`Check.compare` judges one decoded student value against one case and returns
  an :class:`~autograder.records.Outcome` with a share of the marks and a message the
  student can act on, worded by :mod:`autograder.language` in the check's language.

Between the halves the student's kernel runs the cases (``convgrade_kernel.probe``);
only plain data crosses. The same code scores a sandboxed run
(:func:`autograder.pipeline.score.score_check`, from the records the kernel sent) and
an in-process run under stock nbgrader (:func:`autograder.pipeline.in_process.run_in_process`),
so the two can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder import language
from autograder.records import Outcome
from convgrade_kernel.codec import encode

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
    ``also`` names earlier answer variables sent with a ``value`` case, for follow-through
    credit (the combined map judged against the student's own two maps).
    """

    call: str | None = None
    value: str | None = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    context: dict = field(default_factory=dict)
    describe: str = ""
    weight: float = 1.0
    also: tuple = ()

    def plan_entry(self):
        """The JSON-ready form the kernel sees (no expected value, no context)."""
        if self.call:
            return {"call": self.call, "args": [encode(a) for a in self.args],
                    "kwargs": {k: encode(v) for k, v in self.kwargs.items()}}
        return {"value": self.value, "also": list(self.also)} if self.also else {"value": self.value}


class Check:
    """Base class of a grader-side check. Subclasses set ``id`` (its title is the
    language layer's) and implement :meth:`cases` and :meth:`compare`."""

    id: str = ""
    #: The language of the check's messages (:data:`autograder.language.LANGUAGES`).
    lang: str = "en"
    #: Who reads its messages (:data:`autograder.language.AUDIENCES`): "school" (14-18, plain
    #: words, one cause, a next step) or "university" (precise: tolerances, indices).
    audience: str = "university"
    forbid_library: bool = False

    @property
    def title(self):
        """The check's headline name, in its language (:data:`autograder.language.en.TITLES`)."""
        return language.title(self.id, self.lang)

    def phrase(self, key):
        """The sentence ``key`` of :mod:`autograder.language` in the check's language (a
        case's ``describe``, a message)."""
        return language.phrase(key, self.lang)

    def cases(self, rng: np.random.Generator, student: str) -> list:
        raise NotImplementedError

    def compare(self, case: Case, submitted, earlier=None) -> Outcome:
        """Judge ``submitted`` against ``case``; ``earlier`` is ``{name: value}`` of the
        variables ``case.also`` names that the kernel sent (follow-through credit)."""
        raise NotImplementedError

    @property
    def library_functions(self):
        return list(LIBRARY_CONVOLUTIONS) if self.forbid_library else []


def expected_exception(case):
    """The exception class a case expects its call to raise (``Case(expected=ValueError)``),
    or None. A record whose ``error`` names that class earns the case in full; a value
    returned instead goes to the check's ``compare``, which must say it should have raised."""
    expected = case.expected
    if isinstance(expected, type) and issubclass(expected, BaseException):
        return expected
    return None


def describe_case(case, lang="en"):
    """What ``case`` is, student-safe: ``conv2d(a random 7x9 image, ...)``, the part of an
    answer its ``context["label"]`` names (``row 2``) or ``the variable answer_bump``."""
    if case.value and case.context.get("label"):  # one entry of a list answer: "row 2", "position 3"
        return language.label(case.context["label"], lang)
    return language.case_name(case.call, case.describe, case.value, lang)


def checks_of(items, assignment, lang):
    """Each check class of ``items`` (each names its ``item``) as a check of ``assignment``:
    a subclass with ``id`` ``"<assignment>.<item>"``, ``assignment`` and ``lang`` set, so one
    class serves an assignment and its translations (ps2 and ps2_nl) with no second copy."""
    return tuple(type("%s_%s" % (item_class.__name__, assignment), (item_class,), {
        "id": "%s.%s" % (assignment, item_class.item), "assignment": assignment, "lang": lang})
        for item_class in items)
