"""Checks of the quiz (and of its Dutch twin quiz_nl): one check per question slot.

A student's quiz is drawn from the item bank (:mod:`convgrade_kernel.item_bank`) by their
id, as a variant: the grader redraws it from the id the submission is filed under (or the
typed ``MY_ID`` the roster says is theirs, :mod:`autograder.pipeline.identity`), so an
answer dict copied from a classmate answers someone else's questions. Slot ``quiz.qN``
reads ``answers["qN"]`` and judges it against the item's answer: a choice's letter (any
case, ``"b)"`` is ``"b"``) or a number (``"7"`` and ``"3,5"`` are read as numbers; within the
item's tolerance). Written for school students: the message says what is right, the
misconception the wrong choice or number reveals (the item's own words) and a next step
(the item's hint), in the check's language.
"""
from __future__ import annotations

import math

from autograder import language
from autograder.judging.contract import Case, Check, checks_of
from autograder.records import Outcome
from convgrade_kernel import item_bank
from convgrade_kernel.variants import variant

#: The answer variable every slot reads.
VARIABLE = "answers"


class QuizSlot(Check):
    """Question ``slot`` (from 1) of a student's quiz; :func:`checks_of` sets ``assignment``/``lang``."""

    slot = 0
    item = ""
    assignment = "quiz"
    lang = "en"
    audience = "school"

    @property
    def title(self):
        return language.school("quiz_title", self.lang) % self.slot

    def cases(self, rng, student):
        drawn = variant(self.assignment, student)["slots"][self.slot - 1]
        item = item_bank.load_bank()[drawn["item"]]
        return [Case(value=VARIABLE, expected=item_bank.answer_of(item, drawn["params"]),
                     context={"item": item.id, "params": drawn["params"]})]

    def compare(self, case, submitted, earlier=None):
        item = item_bank.load_bank()[case.context["item"]]
        key, say = "q%d" % self.slot, self._say
        if not isinstance(submitted, dict):
            return Outcome(0.0, self._message(say("quiz_no_dict"), "", say("quiz_no_dict_step")))
        if key not in submitted:
            return Outcome(0.0, self._message(say("quiz_missing") % key, "", say("quiz_missing_step") % key))
        given, hint = submitted[key], item.hint[self.lang]
        if item.kind == "choice":
            return self._judge_choice(item, key, given, hint)
        return self._judge_number(item, case, key, given, hint)

    def _judge_choice(self, item, key, given, hint):
        say, letters = self._say, [c.key for c in item.choices]
        letter = given.strip().strip(").").strip().lower() if isinstance(given, str) else None
        right = item.choice(item.right)
        if letter not in letters:
            return Outcome(0.0, self._message(say("quiz_not_a_letter") % (_shown(given), ", ".join(letters)), "",
                                              say("quiz_letter_step") % (key, letters[0])))
        if letter == item.right:
            return Outcome(1.0, say("quiz_right") % self._choice_words(right))
        chosen = item.choice(letter)
        return Outcome(0.0, self._message(say("quiz_chose") % (letter, self._choice_words(chosen)),
                                          chosen.why[self.lang] + " " + say("quiz_answer_choice") % (
                                              right.key, self._choice_words(right)), hint),
                       misconception=chosen.misconception)

    def _judge_number(self, item, case, key, given, hint):
        say, expected = self._say, case.expected
        number = _typed_number(given)
        if number is None:
            return Outcome(0.0, self._message(say("quiz_not_a_number") % _shown(given), "",
                                              say("quiz_number_step") % key))
        if item_bank.same_number(number, expected, item.tolerance):
            return Outcome(1.0, say("quiz_right") % _number_words(expected))
        params = case.context["params"]
        mistake = next((m for m in item.mistakes
                        if item_bank.same_number(number, item_bank.evaluate(m.answer, params), item.tolerance)), None)
        cause = mistake.why[self.lang] if mistake else say("quiz_too_large" if number > expected else "quiz_too_small")
        return Outcome(0.0, self._message(say("quiz_typed") % _number_words(number),
                                          cause + " " + say("quiz_answer_number") % _number_words(expected), hint),
                       misconception=mistake.misconception if mistake else None)

    def _say(self, key):
        return language.school(key, self.lang)

    def _choice_words(self, choice):
        return choice.text[self.lang]

    def _message(self, first, cause, step):
        """What came, why it is not right (with the right answer), and the next step, as one message."""
        return " ".join(part for part in (first, cause, language.school("next_step", self.lang) % step if step else "")
                        if part)


def _typed_number(given):
    """``given`` as a float: a number, or text of one (``"7"``, ``"3,5"``); None for anything else."""
    if isinstance(given, bool):
        return None
    if isinstance(given, (int, float)):
        return float(given) if math.isfinite(given) else None
    if isinstance(given, str):
        try:
            value = float(given.strip().replace(",", "."))
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    return None


def _number_words(value):
    """``7`` for 7.0, ``3.25`` for 3.25: as a student writes it."""
    return "%d" % value if float(value).is_integer() else ("%.2f" % value).rstrip("0")


def _shown(given):
    """What a student typed, short, for a message."""
    text = repr(given)
    return text if len(text) <= 40 else text[:37] + "..."


def answer_key(assignment, student):
    """``{"q1": answer, ...}`` of ``student``'s quiz (``convgrade key quiz --student ID``; the same
    questions in both languages)."""
    return item_bank.answer_key(student)


def slot_checks(assignment, lang):
    """One :class:`QuizSlot` per question of a drawn quiz, as checks ``<assignment>.q1`` ..."""
    slots = [type("QuizSlot%d" % n, (QuizSlot,), {"slot": n, "item": "q%d" % n})
             for n in range(1, sum(item_bank.MIX.values()) + 1)]
    return checks_of(slots, assignment, lang)


#: The checks of the quiz (:mod:`autograder.judging.registry` registers them).
CHECKS = slot_checks("quiz", "en")
