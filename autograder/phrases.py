"""The fixed sentences of students' feedback, in each language an assignment is taught in.

A check says its language (``Check.lang``: ``"en"`` or ``"nl"``); a notebook's language is
that of its checks (:func:`autograder.grading.notebook_language`). Everything a student
reads around the checks' own messages (the score line, the headline of each check, the
name of a misconception, the note on a question the teacher grades) comes from here, so
a Dutch notebook gives Dutch feedback from the first line to the last.
"""
from __future__ import annotations

LANGUAGES = ("en", "nl")

PHRASES = {
    "score": {"en": "Score: %g of %g", "nl": "Score: %g van %g"},
    "headline": {"en": "%s: %d of %d cases right (%.0f%% of the marks).",
                 "nl": "%s: %d van de %d gevallen goed (%.0f%% van de punten)."},
    "same_mistake": {"en": "%s: the same mistake as above.", "nl": "%s: dezelfde fout als hierboven."},
    "more_cases": {"en": "... and %d more case like these.", "nl": "... en nog %d geval zoals deze."},
    "more_cases_plural": {"en": "... and %d more cases like these.", "nl": "... en nog %d gevallen zoals deze."},
    "likely_misconception": {"en": "Likely misconception: %s", "nl": "Waarschijnlijk misverstand: %s"},
    "graded_by_teacher": {"en": "Graded by your teacher.", "nl": "Dit beoordeelt je docent."},
    "no_answer": {"en": "No answer given.", "nl": "Geen antwoord gegeven."},
    "no_response": {"en": "No response.", "nl": "Geen antwoord."},
    "not_submitted": {"en": "%s.ipynb was not submitted.", "nl": "%s.ipynb is niet ingeleverd."},
    "test_cell_error": {"en": "This test cell raised an error.", "nl": "Deze testcel gaf een foutmelding."},
}


def phrase(key, lang="en"):
    """The sentence ``key`` in ``lang`` (English for a language it has no version in)."""
    versions = PHRASES[key]
    return versions.get(lang) or versions["en"]


__all__ = ["LANGUAGES", "PHRASES", "phrase"]
