"""Checks of ps3_nl, the Dutch ps3 ("Filters op echte foto's"): the items of :mod:`.ps3`,
worded in Dutch.

:func:`autograder.judging.registry.get` imports the module named after a check id's
assignment; this one lists ps3's items as ``ps3_nl.*`` checks, whose messages and case
descriptions come from :mod:`autograder.language.nl`, and keeps ps3's ``LIBRARIES_NEEDED``
in the sandbox (:func:`autograder.judging.registry.libraries_needed` reads it per assignment).
"""
from autograder.judging.checks.ps3 import LIBRARIES_NEEDED, checks_of  # noqa: F401  (LIBRARIES_NEEDED: the sandbox)

#: The checks of ps3_nl (:mod:`autograder.judging.registry` registers them).
CHECKS = checks_of("ps3_nl")
