"""Checks of ps5_nl, the Dutch ps5 ("Voorbij de gewone convolutie"): the items of :mod:`.ps5`, worded in Dutch.

:func:`autograder.judging.registry.get` imports the module named after a check id's
assignment; this one lists ps5's items as ``ps5_nl.*`` checks, whose messages and case
descriptions come from :mod:`autograder.language.nl`, and gives ``convgrade key`` the shared
:func:`~autograder.judging.checks.ps5.answer_key`.
"""
from autograder.judging.checks.ps5 import answer_key, checks_of  # noqa: F401  (answer_key: `convgrade key`)

#: The checks of ps5_nl (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps5_nl")
