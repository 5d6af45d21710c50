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
#: Who reads a check's messages (``Check.audience``): "school" gets the school voice (what is
#: right first, one cause in plain words, a next step; :func:`school_message`), "university"
#: the precise one (tolerances, shapes, indices).
AUDIENCES = ("school", "university")
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


def say(verdict, lang="en", audience="university", topic=""):
    """The message of a :class:`~autograder.records.Verdict`: its label, what it found,
    then its follow-through facts; in the school voice (:func:`school_message`) for
    ``audience="school"``."""
    if audience == "school":
        message = school_message(verdict, topic, lang)
        return labelled(verdict.label, message, lang) if verdict.label else message
    message = _texts(lang).verdict(verdict)
    for key, *values in verdict.notes:
        pattern = _texts(lang).NOTES.get(key) or en.NOTES[key]
        message += " " + (pattern % tuple(values) if values else pattern)
    if verdict.label:
        message = labelled(verdict.label, message, lang)
    return message


def outcome(verdict, lang="en", audience="university", topic=""):
    """The :class:`~autograder.records.Outcome` of a verdict, its message in ``lang`` for
    ``audience`` (``topic``: what the answer is, for the school voice; see :func:`school_message`)."""
    return Outcome(verdict.fraction, say(verdict, lang, audience, topic), misconception=verdict.misconception,
                   expected=verdict.expected, submitted=verdict.submitted)


# --------------------------------------------------------------------------- the school voice

def school(key, lang="en"):
    """The school-voice sentence ``key`` (:data:`.en.SCHOOL`) in ``lang``, or None."""
    return _texts(lang).SCHOOL.get(key) or en.SCHOOL.get(key)


def _school_mistake(key, topic, lang):
    """``(what is right, the cause, the next step)`` of misconception ``key`` on an answer
    about ``topic`` (the topic's own version first), or None."""
    for texts in (_texts(lang), en):
        found = texts.SCHOOL_MISTAKES.get("%s/%s" % (key, topic)) or texts.SCHOOL_MISTAKES.get(key)
        if found:
            return found
    return None


def _shape_words(shape, lang):
    if len(shape) == 0:
        return school("shape_0d", lang)
    if len(shape) == 1:
        return school("shape_1d", lang) % shape
    if len(shape) == 2:
        return school("shape_2d", lang) % shape
    return school("shape_nd", lang) % " x ".join(map(str, shape))


def _given_words(given, lang):
    """What a student typed that is not an answer of numbers, in words."""
    if given[0] == "text":
        return school("given_text", lang) % given[1]
    if given[0] == "none":
        return school("given_none", lang)
    return school("given_type", lang) % (given[-1] if given[0] == "type" else given[0])


def school_message(v, topic="", lang="en"):
    """A :class:`~autograder.records.Verdict` in the school voice (ages 14-18): what is
    right first, then the one likely mistake in plain words, then a next step; no
    tolerances, no internal codes, places counted from 1 (row 2, column 3).

    ``topic`` is what the answer is (``"map"``, ``"size"``, ``"weights"``...: the ``<topic>``
    of :data:`.en.SCHOOL`'s ``step_<topic>`` keys); it picks the explanation that fits the
    item (:data:`.en.SCHOOL_MISTAKES`' ``"key/topic"``) and the next step."""
    step = school("step_" + topic, lang)
    if v.fraction >= 1.0 - 1e-12:
        follows = [n for n in v.notes if n[0] == "follows_own"]
        return school("right_following", lang) % school("own_" + follows[0][1], lang) if follows \
            else school("right", lang)
    mistake = _school_mistake(v.misconception, topic, lang) if v.misconception else None
    notes = [_texts(lang).SCHOOL_NOTES.get(n[0]) or en.SCHOOL_NOTES.get(n[0]) for n in v.notes]
    notes = [n for n in notes if n]
    if v.kind == "wrong_entries":
        right = v.total - v.wrong
        where = tuple(i + 1 for i in v.first_wrong)
        if not right and mistake:  # nothing right: start with what the student did right
            return _sentences(" ".join(mistake[:2]), "", mistake[2], lang)
        first = school("count_right_one" if right == 1 else "count_right", lang) % (right, v.total) \
            if right else school("count_none", lang) % v.total
        if v.wrong <= max(1, v.total // 4):
            first += " " + school("close", lang)
        if mistake:
            cause, step = " ".join(mistake[:2]), mistake[2]
        elif notes:
            cause, step = notes[0]
        else:
            cause = school("first_wrong_%dd" % min(len(where), 2), lang) % where[:2]
            step = school("redo_" + topic, lang)
            step = step % where[0] if step else school("step_" + topic, lang)
        return _sentences(first, cause, step, lang)
    if v.kind == "wrong_shape":
        first = school("wrong_shape", lang) % (_shape_words(v.submitted_shape, lang),
                                               _shape_words(v.expected_shape, lang))
        if mistake and not v.shape_only:
            return _sentences(first, " ".join(mistake[:2]), mistake[2], lang)
        return _sentences(first, "", school("shape_step_" + topic, lang) or step, lang)
    if v.kind == "wrong_number":
        if mistake:
            return _sentences(" ".join(mistake[:2]), "", mistake[2], lang)
        return _sentences(school("number_too_" + v.direction, lang), "", step, lang)
    if v.kind == "not_a_list":
        got = _shape_words(v.submitted_shape, lang) if v.submitted_shape else school("given_not_a_list", lang)
        return _sentences(school("list_length", lang) % (got, v.total), "", school("list_step_" + topic, lang)
                          or step, lang)
    if v.kind == "not_numbers" and v.given and v.given[0] == "ragged":
        _, row, length, others = v.given
        return _sentences(school("ragged", lang) % (others, row, length), "", school("ragged_step", lang) % row, lang)
    if v.kind in ("not_numbers", "not_a_number"):
        looks_like_place = v.given[:1] == ("text",) and v.given[1].count(",") == 1
        first = school("not_numbers" if v.kind == "not_numbers" else "not_a_number", lang) % _given_words(
            v.given, lang)
        return _sentences(first, school("text_is_a_place", lang) if looks_like_place else "",
                          school("type_numbers" if v.kind == "not_numbers" else "type_a_number", lang), lang)
    if v.kind == "not_finite":
        return _sentences(school("not_finite", lang), "", step, lang)
    raise ValueError("school_message: unknown kind %r" % v.kind)


def _sentences(first, cause, step, lang):
    """What is right (or what came), the cause, and the next step, as one message."""
    parts = [first] + ([cause] if cause else []) + ([school("next_step", lang) % step] if step else [])
    return " ".join(parts)


def _school_check_message(result):
    """:func:`check_message` in the school voice: the title and what is right, then one
    line per wrong part, each mistake explained once (later: "row 3: the same mistake as
    in row 2")."""
    lang, outcomes = result.lang, result.outcomes
    right = sum(1 for o in outcomes if o.fraction >= 1.0 - 1e-12)
    if right == len(outcomes):
        return "%s: %s" % (result.title, outcomes[0].message if len(outcomes) == 1 else school("all_right", lang))
    wrong = {o.message for o in outcomes if o.fraction < 1.0 - 1e-12}
    if len(wrong) == 1 and not right:  # one answer, or one thing about the whole list (its length)
        return "%s: %s" % (result.title, outcomes[-1].message)
    # nothing right: the title alone, each line below (labelled: "row 2: ...") starts with what is right in it
    lines = ["%s: %s" % (result.title, school("count_right_one" if right == 1 else "count_right", lang)
                         % (right, len(outcomes))) if right else "%s:" % result.title]
    labels = result.labels or [""] * len(outcomes)
    first_of = {}  # a mistake (or the same words without one) -> the part it was explained at
    for label_, outcome_ in zip(labels, outcomes):
        if outcome_.fraction >= 1.0 - 1e-12:
            continue
        body = outcome_.message[len(label_) + 2:] if outcome_.message.startswith(label_ + ": ") else outcome_.message
        said = first_of.get(outcome_.misconception) or first_of.get(body)
        if said:
            lines.append("- " + school("same_mistake", lang) % (label_, said))
            continue
        first_of[outcome_.misconception or body] = label_
        lines.append("- " + outcome_.message)
    return "\n".join(lines)


def check_message(result):
    """The student-facing summary of a :class:`~autograder.records.CheckResult`: a
    headline, then one line per case not fully right (the school voice for a school
    check: :func:`_school_check_message`).

    A misconception is explained once; later cases it explains are listed briefly."""
    if result.audience == "school":
        return _school_check_message(result)
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


__all__ = ["LANGUAGES", "AUDIENCES", "MAX_CASE_LINES", "phrase", "title", "misconception_text", "case_name",
           "label", "labelled", "say", "outcome", "school", "school_message", "check_message"]
