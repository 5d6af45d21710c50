"""Checks of ps2_nl, the Dutch ps2 ("Convolutie in code"): the items of :mod:`.ps2`, worded in Dutch.

:func:`autograder.judging.registry.get` imports the module named after a check id's
assignment; this one lists ps2's items as ``ps2_nl.*`` checks, whose messages and case
descriptions come from :mod:`autograder.language.nl`.
"""
from autograder.judging.checks.ps2 import checks_of

#: The checks of ps2_nl (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps2_nl")
