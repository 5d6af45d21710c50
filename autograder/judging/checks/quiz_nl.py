"""Checks of quiz_nl, the Dutch quiz: the slots of :mod:`.quiz`, worded in Dutch (the same
questions for the same student: the draw is shared, ``convgrade_kernel.item_bank``)."""
from autograder.judging.checks.quiz import answer_key, slot_checks  # noqa: F401  (answer_key: `convgrade key`)

#: The checks of quiz_nl (:mod:`autograder.judging.registry` registers them).
CHECKS = slot_checks("quiz_nl", "nl")
