"""The words of students' feedback, in each language an assignment is taught in.

Every sentence a student reads lives in one module per language (:mod:`.en`, :mod:`.nl`);
this module picks the version of a check's or a notebook's language and words the plain
records of :mod:`autograder.records`. A check says its language (``Check.lang``: ``"en"``
or ``"nl"``); a notebook's language is that of its checks
(:func:`autograder.pipeline.rebuild.notebook_language`). A sentence a language does not
have is said in English, so a Dutch notebook is Dutch wherever its checks can be.
"""
from __future__ import annotations

from autograder.language import en, nl
from autograder.records import Outcome

LANGUAGES = ("en", "nl")
_TEXTS = {"en": en, "nl": nl}
#: At most this many case lines in a check's message; the rest are counted.
MAX_CASE_LINES = 6


def _texts(lang):
    return _TEXTS.get(lang, en)


def phrase(key, lang="en"):
    """The sentence ``key`` in ``lang`` (English for a language it has no version in)."""
    return _texts(lang).PHRASES.get(key) or en.PHRASES[key]


def title(check_id, lang="en"):
    """The headline name of check ``check_id`` (the id itself when it has none)."""
    return _texts(lang).TITLES.get(check_id) or en.TITLES.get(check_id, check_id)


def misconception_text(key, lang="en"):
    """The student-facing explanation of misconception ``key`` in ``lang`` (English
    where there is no version in ``lang``; the key itself for an unknown key)."""
    return _texts(lang).MISCONCEPTIONS.get(key) or en.MISCONCEPTIONS.get(key, key)


def case_name(call=None, describe="", value=None, lang="en"):
    """What a case is, student-safe: the call with its description, or the variable."""
    if call:
        return phrase("case_call", lang) % (call, describe) if describe else phrase("case_call_unnamed", lang) % call
    return phrase("case_variable", lang) % value


def label(parts, lang="en"):
    """A verdict's ``label`` (``("row", 2)``) in words (``"row 2"``)."""
    kind, *values = parts
    pattern = _texts(lang).LABELS.get(kind) or en.LABELS[kind]
    return pattern % tuple(values)


def labelled(parts, message, lang="en"):
    """``message`` about the part of an answer a label names (``("name", "dx")``: ``"dx: ..."``)."""
    return phrase("labelled", lang) % (label(parts, lang), message)


def say(verdict, lang="en"):
    """The message of a :class:`~autograder.records.Verdict`: its label, what it found,
    then its follow-through facts."""
    message = _texts(lang).verdict(verdict)
    for key, *values in verdict.notes:
        pattern = _texts(lang).NOTES.get(key) or en.NOTES[key]
        message += " " + (pattern % tuple(values) if values else pattern)
    if verdict.label:
        message = labelled(verdict.label, message, lang)
    return message


def outcome(verdict, lang="en"):
    """The :class:`~autograder.records.Outcome` of a verdict, its message in ``lang``."""
    return Outcome(verdict.fraction, say(verdict, lang), misconception=verdict.misconception,
                   expected=verdict.expected, submitted=verdict.submitted)


def check_message(result):
    """The student-facing summary of a :class:`~autograder.records.CheckResult`: a
    headline, then one line per case not fully right.

    A misconception is explained once; later cases it explains are listed briefly."""
    lang = result.lang
    right = sum(1 for o in result.outcomes if o.fraction >= 1.0 - 1e-12)
    lines = [phrase("headline", lang) % (result.title, right, len(result.outcomes), 100 * result.fraction)]
    explained, seen, hidden = set(), set(), 0
    labels = result.labels or [""] * len(result.outcomes)
    for case, outcome_ in zip(labels, result.outcomes):
        if outcome_.fraction >= 1.0 - 1e-12 or outcome_.message in seen:
            continue
        seen.add(outcome_.message)
        if len(lines) > MAX_CASE_LINES:
            hidden += 1
        elif outcome_.misconception and outcome_.misconception in explained and case:
            lines.append("- " + phrase("same_mistake", lang) % case)
        else:
            lines.append("- " + outcome_.message)
        if outcome_.misconception:
            explained.add(outcome_.misconception)
    if hidden:
        lines.append("- " + phrase("more_cases_plural" if hidden > 1 else "more_cases", lang) % hidden)
    return "\n".join(lines)


__all__ = ["LANGUAGES", "MAX_CASE_LINES", "phrase", "title", "misconception_text", "case_name", "label",
           "labelled", "say", "outcome", "check_message"]
