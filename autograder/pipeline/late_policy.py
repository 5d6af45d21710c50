"""Late work: a late policy, the penalty it gives, and the LMS's LATE mark on a submission.

Pure functions and one small file; no database (the gradebook side is
:mod:`autograder.classroom.deadlines`), so grading (:mod:`autograder.pipeline.record`),
collect and export all compute a penalty the same way.

Policies
--------
A policy is text of comma-separated terms, as ``convgrade deadline --late-policy`` takes it:

``none``
    Late work keeps its score (it is still shown as late).
``per-hour:P`` / ``per-day:P``
    ``P`` % of the assignment's marks off for every started hour / day (24 h) late.
``zero-after:H``
    A submission more than ``H`` hours late scores 0.

``per-day:10,zero-after:72`` combines a rate with a cut-off. The penalty never exceeds
the raw score, so a grade never goes below 0. A submission the LMS marked late but
whose lateness cannot be measured (no timestamp, or no due date) counts as late by one
started unit (one hour or one day), and ``zero-after`` cannot apply to it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import ConvgradeError

#: The file beside ``timestamp.txt`` in ``submitted/STUDENT/NAME/`` holding what the LMS said.
LMS_MARK_FILE = "lms.json"
_UNIT_SECONDS = {"per-hour": 3600.0, "per-day": 86400.0}


@dataclass(frozen=True)
class LatePolicy:
    """A late policy: ``rate`` (``"per-hour"``/``"per-day"`` or ``""``) taking ``percent``
    % of the marks per started unit, and ``zero_after_hours`` (None: no cut-off)."""

    rate: str = ""
    percent: float = 0.0
    zero_after_hours: float | None = None

    def __str__(self):
        terms = []
        if self.rate:
            terms.append("%s:%s" % (self.rate, _plain(self.percent)))
        if self.zero_after_hours is not None:
            terms.append("zero-after:%s" % _plain(self.zero_after_hours))
        return ",".join(terms) or "none"

    def penalty(self, raw, max_score, seconds_late, lms_late=False):
        """Points off a raw score ``raw`` of ``max_score`` for work ``seconds_late``
        seconds late (<= 0 or None: on time, or unknown); ``lms_late``: the LMS said late.

        Returns a float in ``[0, raw]``; 0 for work that is not late.
        """
        raw = max(0.0, float(raw or 0.0))
        measured = seconds_late is not None and seconds_late > 0
        if not (measured or lms_late):
            return 0.0
        if measured and self.zero_after_hours is not None and seconds_late > 3600.0 * self.zero_after_hours:
            return raw
        if not self.rate:
            return 0.0
        units = math.ceil(seconds_late / _UNIT_SECONDS[self.rate]) if measured else 1
        return min(raw, float(max_score or 0.0) * self.percent / 100.0 * units)


def parse_policy(text, what="--late-policy"):
    """The :class:`LatePolicy` of ``text`` (see the module docstring); a malformed one is
    a :class:`ConvgradeError` naming ``what``, the text and the rule."""
    rule = ("use none, per-hour:P, per-day:P (P: % of the marks, 0-100) and/or zero-after:H "
            "(H: hours > 0), comma-separated, e.g. per-day:10,zero-after:72")
    terms = [t.strip() for t in str(text).split(",")]
    if terms == ["none"]:
        return LatePolicy()
    rate, percent, zero_after = "", 0.0, None
    for term in terms:
        name, _, value = term.partition(":")
        number = _number(value)
        if name in _UNIT_SECONDS and not rate and number is not None and 0 <= number <= 100:
            rate, percent = name, number
        elif name == "zero-after" and zero_after is None and number is not None and number > 0:
            zero_after = number
        else:
            raise ConvgradeError("%s %r: %r is not a policy term; %s" % (what, str(text), term, rule))
    return LatePolicy(rate, percent, zero_after)


def is_late(seconds_late, lms_late):
    """Whether work is late: measured late, or marked LATE by the LMS."""
    return bool(lms_late) or (seconds_late is not None and seconds_late > 0)


def read_lms_mark(folder):
    """What the LMS said about the submission in ``folder`` (``submitted/STUDENT/NAME``):
    ``{"late": bool}``; ``{"late": False}`` when it said nothing or the file is unreadable."""
    try:
        data = json.loads((Path(folder) / LMS_MARK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"late": False}
    return {"late": bool(data.get("late")) if isinstance(data, dict) else False}


def write_lms_mark(folder, late):
    """Record in ``folder`` that the LMS marked the submission late (``late``)."""
    (Path(folder) / LMS_MARK_FILE).write_text(json.dumps({"late": bool(late)}) + "\n", encoding="utf-8")


def _number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _plain(value):
    return ("%.6f" % value).rstrip("0").rstrip(".")


__all__ = ["LatePolicy", "parse_policy", "is_late", "read_lms_mark", "write_lms_mark", "LMS_MARK_FILE"]
